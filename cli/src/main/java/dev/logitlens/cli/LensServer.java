package dev.logitlens.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.logitlens.api.LensModel;
import dev.logitlens.io.Utf8;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.model.JsonException;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.LensFigure;
import dev.logitlens.view.LensPageData;
import dev.logitlens.view.LensView;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The HTTP server of {@code logitlens serve}: one page and what it asks for, on the JDK's {@code jdk.httpserver}.
 *
 * <table>
 *   <caption>what it serves</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code GET /}</td><td>the page: HTML with its script and style inline, nothing loaded from elsewhere (its
 *       Content-Security-Policy allows nothing else)</td></tr>
 *   <tr><td>{@code POST /api/lens} {@code {"text": "..."} or {"tokens": [ids]}, optional "sublayers": bool}</td>
 *       <td>the lens as {@link LensPageData} JSON (every cell's colour in every view, its top-k and statistics) plus
 *       {@code tokens} (the token count)</td></tr>
 *   <tr><td>{@code GET /lens.csv?text=...} (or {@code tokens=1,2,3}; {@code sublayers=true})</td>
 *       <td>the CSV that {@code logitlens run --format csv} prints for the same input and top-k</td></tr>
 * </table>
 *
 * Anything else is a 404, a known path with another method a 405. A request the server refuses gets a JSON
 * {@code {"error": "..."}} with a 4xx status: malformed JSON, unknown fields, no input, token ids outside the
 * vocabulary, a text without GPT-2's vocabulary (400); a body over {@value #MAX_BODY_BYTES} bytes or an input over
 * the model's context (413). A failure inside the server is a 500 with its message; the server goes on serving
 * either way. When bound to a loopback address it answers only requests whose {@code Host} names that address,
 * {@code localhost} or {@code [::1]} with its port (403 otherwise), so a web page elsewhere cannot reach it through
 * DNS rebinding.
 */
final class LensServer implements AutoCloseable {

    /** The largest request body read; a longer one is refused unread (413). */
    static final int MAX_BODY_BYTES = 1 << 20;
    /** How much of a body over {@link #MAX_BODY_BYTES} is read and thrown away so that the 413 reaches the client. */
    private static final long DRAIN_BYTES = 64L << 20;
    /** Threads answering requests; lens runs queue on the model, one at a time. */
    private static final int THREADS = 4;

    /** What runs the lens of one input: {@link #lensOf} in the command, a stand-in in tests. */
    @FunctionalInterface
    interface Lens {
        LensResult run(int[] tokens, boolean sublayers);
    }

    /**
     * THE place where the server runs the lens: every request (the page's JSON and the CSV) comes here, with the page's
     * sublayers switch (rows {@code in, h1.attn, h1, ...}: {@link Snapshots.Kind#SUBLAYERS}).
     */
    static Lens lensOf(LensModel model, LensOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        return (tokens, sublayers) -> model.run(tokens, -1, options,
                sublayers ? Snapshots.Kind.SUBLAYERS : Snapshots.Kind.LAYERS);
    }

    /** A request refused with {@code status} and a message for the page. */
    static final class RequestException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final int status;

        RequestException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    private final Gpt2Config config;
    private final Lens lens;
    private final double klMax;
    private final IntFunction<String> tokenText;
    private final boolean gpt2Vocabulary;
    private final PrintWriter log;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String page;
    private final boolean loopback;
    private final AtomicInteger failures = new AtomicInteger();

    /**
     * Binds {@code address} (port 0: any free port) and prepares the page; {@link #start()} starts serving.
     *
     * @param modelName how the page names the model
     * @param config    the model's shape: its context and vocabulary bound the inputs
     * @param topK      the tokens listed per cell (the lens must keep at least these)
     * @param klMax     the KL view's cap, nats
     * @param lens      runs the lens ({@link #lensOf})
     * @param log       where failures inside the server are reported (one line each)
     */
    LensServer(InetSocketAddress address, String modelName, Gpt2Config config, int topK, double klMax, Lens lens,
               PrintWriter log) throws IOException {
        this.config = Objects.requireNonNull(config, "config");
        this.lens = Objects.requireNonNull(lens, "lens");
        this.klMax = klMax;
        this.log = Objects.requireNonNull(log, "log");
        this.tokenText = TokenTexts.forVocabulary(config.nVocab());
        this.gpt2Vocabulary = config.nVocab() == Gpt2Tokenizer.VOCAB_SIZE;
        this.loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
        this.page = ServePage.html(modelName, config, topK, gpt2Vocabulary);
        this.server = HttpServer.create(address, 0);
        this.executor = Executors.newFixedThreadPool(THREADS, Thread.ofPlatform().daemon().name("logitlens-serve-", 1).factory());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    void start() {
        server.start();
    }

    /** The port it listens on (the one chosen when it was bound to port 0). */
    int port() {
        return server.getAddress().getPort();
    }

    /** The page's address. */
    URI uri() {
        InetAddress address = server.getAddress().getAddress();
        String host = address.isAnyLocalAddress() ? "127.0.0.1" : address.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /** How many requests failed inside the server (500) so far. */
    int failures() {
        return failures.get();
    }

    /** Stops listening, lets running requests finish (up to a second), and stops the threads. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            Response response;
            try {
                response = route(exchange);
            } catch (RequestException e) {
                response = Response.error(e.status(), e.getMessage());
            } catch (Throwable e) { // anything else is the server's fault: say so, and keep serving
                failures.incrementAndGet();
                String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                synchronized (log) {
                    log.println("logitlens serve: " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath()
                            + " failed: " + TerminalText.escape(message));
                    log.flush();
                }
                response = Response.error(500, "the server failed on this request (" + message + ")");
            }
            send(exchange, response);
        } catch (IOException | UncheckedIOException e) {
            // the client went away while we answered: nothing to tell it
        }
    }

    private Response route(HttpExchange exchange) throws IOException {
        if (loopback && !hostAllowed(exchange.getRequestHeaders().getFirst("Host"))) {
            throw new RequestException(403, "this server answers only requests addressed to " + uri().getAuthority()
                    + " (or localhost)");
        }
        String path = exchange.getRequestURI().getRawPath();
        String method = exchange.getRequestMethod();
        return switch (path) {
            case "/" -> {
                requireMethod(method, "GET", "HEAD");
                yield Response.page(page);
            }
            case "/api/lens" -> {
                requireMethod(method, "POST");
                yield Response.json(200, lensJson(readBody(exchange)));
            }
            case "/lens.csv" -> {
                requireMethod(method, "GET", "HEAD");
                yield Response.csv(csv(exchange.getRequestURI().getRawQuery()));
            }
            default -> throw new RequestException(404, "no such page: " + path + " (this server has /, /api/lens and /lens.csv)");
        };
    }

    private static void requireMethod(String method, String... allowed) {
        if (!Set.of(allowed).contains(method)) {
            throw new RequestException(405, "method " + method + " is not allowed here; use " + String.join(" or ", allowed));
        }
    }

    private boolean hostAllowed(String host) {
        if (host == null) {
            return false;
        }
        String authority = host.strip().toLowerCase(java.util.Locale.ROOT);
        int port = port();
        return authority.equals(uri().getAuthority()) || authority.equals("localhost:" + port)
                || authority.equals("127.0.0.1:" + port) || authority.equals("[::1]:" + port);
    }

    /**
     * The request body as text: at most {@value #MAX_BODY_BYTES} bytes of UTF-8. A longer body is read on (and thrown
     * away) up to {@value #DRAIN_BYTES} bytes before the 413 goes out, so that the client, still sending, gets it.
     */
    private static String readBody(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                long left = DRAIN_BYTES;
                while (left > 0) {
                    long skipped = in.skip(left);
                    if (skipped <= 0) {
                        break;
                    }
                    left -= skipped;
                }
                throw tooLarge();
            }
        }
        try {
            return Utf8.decode(body, 0, body.length);
        } catch (CharacterCodingException e) {
            throw new RequestException(400, "the request is not UTF-8 text");
        }
    }

    private static RequestException tooLarge() {
        return new RequestException(413, "the request is larger than " + (MAX_BODY_BYTES >> 20) + " MiB: send a shorter text");
    }

    /** One input: its tokens and whether the sublayers were asked for. */
    private record Input(int[] tokens, boolean sublayers) {
    }

    /** The page's request: {@code {"text": ...}} or {@code {"tokens": [...]}}, and optionally {@code "sublayers"}. */
    private Input parseRequest(String body) {
        Map<String, Object> request;
        try {
            request = Json.asObject(Json.parse(body), "the request");
        } catch (JsonException e) {
            throw new RequestException(400, "the request is not the JSON this server expects: " + e.getMessage());
        }
        for (String key : request.keySet()) {
            if (!Set.of("text", "tokens", "sublayers").contains(key)) {
                throw new RequestException(400, "unknown field \"" + key + "\" in the request (expected text or tokens, and sublayers)");
            }
        }
        try {
            boolean sublayers = request.containsKey("sublayers") && Json.asBoolean(request.get("sublayers"), "sublayers");
            if (request.containsKey("text") == request.containsKey("tokens")) {
                throw new RequestException(400, "give exactly one of text and tokens");
            }
            if (request.containsKey("text")) {
                return new Input(tokenize(Json.asString(request.get("text"), "text")), sublayers);
            }
            List<Object> list = Json.asArray(request.get("tokens"), "tokens");
            int[] ids = new int[list.size()];
            for (int i = 0; i < ids.length; i++) {
                long id = Json.asLong(list.get(i), "tokens[" + i + "]");
                ids[i] = Math.clamp(id, -1, Integer.MAX_VALUE);
            }
            return new Input(check(ids), sublayers);
        } catch (JsonException e) {
            throw new RequestException(400, e.getMessage());
        }
    }

    /** The CSV request's query: {@code text=...} or {@code tokens=1,2,3}, and optionally {@code sublayers=true|false}. */
    private Input parseQuery(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&", -1)) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (!Set.of("text", "tokens", "sublayers").contains(key)) {
                    throw new RequestException(400, "unknown parameter \"" + key + "\" (expected text or tokens, and sublayers)");
                }
                if (query.put(key, value) != null) {
                    throw new RequestException(400, "the parameter " + key + " is given twice");
                }
            }
        }
        String sublayersValue = query.getOrDefault("sublayers", "false");
        if (!sublayersValue.equals("true") && !sublayersValue.equals("false")) {
            throw new RequestException(400, "sublayers must be true or false, not \"" + sublayersValue + "\"");
        }
        boolean sublayers = sublayersValue.equals("true");
        if (query.containsKey("text") == query.containsKey("tokens")) {
            throw new RequestException(400, "give exactly one of text and tokens");
        }
        if (query.containsKey("text")) {
            return new Input(tokenize(query.get("text")), sublayers);
        }
        String[] parts = query.get("tokens").split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new RequestException(400, "tokens: \"" + parts[i] + "\" is not a token id");
            }
        }
        return new Input(check(ids), sublayers);
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RequestException(400, "a malformed parameter in the address: " + e.getMessage());
        }
    }

    private int[] tokenize(String text) {
        if (!gpt2Vocabulary) {
            throw new RequestException(400, "this model's vocabulary has " + config.nVocab() + " tokens, not GPT-2's "
                    + Gpt2Tokenizer.VOCAB_SIZE + ", so a text cannot be tokenised: give token ids instead");
        }
        return check(new Gpt2Tokenizer().encode(text));
    }

    /** The rules of an input, as the command line's: not empty, within the context, ids in the vocabulary. */
    private int[] check(int[] ids) {
        if (ids.length == 0) {
            throw new RequestException(400, "the input has no tokens: type a text");
        }
        if (ids.length > config.nCtx()) {
            throw new RequestException(413, "the input has " + ids.length + " tokens; the model's context is " + config.nCtx()
                    + " tokens: shorten the text");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.nVocab()) {
                throw new RequestException(400, "token id " + ids[i] + " at position " + i
                        + " is outside the model's vocabulary [0, " + config.nVocab() + ")");
            }
        }
        return ids;
    }

    private String lensJson(String body) {
        Input input = parseRequest(body);
        LensResult result = lens.run(input.tokens(), input.sublayers());
        List<LensView.Spec> views = new ArrayList<>();
        for (LensView.Kind kind : LensView.Kind.POST) { // the views that need no tracked token
            views.add(LensView.Spec.of(kind, LensView.Reference.FINAL).withKlMax(klMax));
            if (kind == LensView.Kind.RANK || kind == LensView.Kind.KL) {
                views.add(LensView.Spec.of(kind, LensView.Reference.INPUT).withKlMax(klMax));
            }
        }
        LensFigure figure = LensFigure.of(result.nTokens() + " tokens", result, tokenText, views);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("tokens", result.nTokens());
        data.putAll(LensPageData.of(figure));
        return Json.write(data);
    }

    private String csv(String rawQuery) throws IOException {
        Input input = parseQuery(rawQuery);
        LensResult result = lens.run(input.tokens(), input.sublayers());
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            RunCommand.csv(out, result, tokenText, 0, result.nTokens());
        }
        return text.toString();
    }

    /** A response, made in full before anything is sent (so a failure can still become a 500). */
    private record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

        static Response json(int status, String json) {
            return new Response(status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Response error(int status, String message) {
            return json(status, Json.write(Map.of("error", message)));
        }

        static Response page(String html) {
            return new Response(200, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), Map.of(
                    "Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                            + " connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"));
        }

        static Response csv(String text) {
            return new Response(200, "text/csv; charset=utf-8", text.getBytes(StandardCharsets.UTF_8),
                    Map.of("Content-Disposition", "attachment; filename=\"logitlens.csv\""));
        }
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", response.contentType());
        headers.set("Cache-Control", "no-store");
        headers.set("X-Content-Type-Options", "nosniff");
        response.headers().forEach(headers::set);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(response.status(), head ? -1 : response.body().length == 0 ? -1 : response.body().length);
        if (!head && response.body().length > 0) {
            exchange.getResponseBody().write(response.body());
        }
    }
}
