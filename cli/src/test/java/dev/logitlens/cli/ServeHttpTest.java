package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.view.ColorScale;
import dev.logitlens.view.LensView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LensServer} over HTTP, without a browser, on the trained fixture (3 tokens, a context of 11): what the page
 * gets, and every request it refuses — each with its status and a JSON message — after which it still answers.
 */
class ServeHttpTest {

    private static final String FIXTURE_IDS = "2,1,0,2,1,0,0,0,1,1,2";

    private final HttpClient http = HttpClient.newHttpClient();
    private final StringWriter log = new StringWriter();
    private final AtomicInteger calls = new AtomicInteger();
    private LensModel model;
    private LensServer server;

    @BeforeEach
    void start() throws IOException {
        model = LensModel.open(Fixtures.gptNanoSortModel());
        LensServer.Lens real = LensServer.lensOf(model, LensOptions.defaults().withTopK(3));
        // the lens as the command runs it, except that token 1 alone fails inside the server as a bug would
        LensServer.Lens lens = (tokens, sublayers) -> {
            calls.incrementAndGet();
            if (tokens.length == 1 && tokens[0] == 1) {
                throw new IllegalStateException("a bug in the lens");
            }
            if (tokens.length == 1 && tokens[0] == 2) {
                throw new StackOverflowError();
            }
            return real.run(tokens, sublayers);
        };
        server = new LensServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "nano </script><b>sort", model.config(),
                3, LensView.DEFAULT_KL_MAX, lens, new PrintWriter(log, true));
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        model.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(server.uri().resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(int status, String message, HttpResponse<String> response) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("Content-Type").orElse(""));
        Map<String, Object> body = Json.asObject(Json.parse(response.body()), "the answer");
        String error = Json.asString(body.get("error"), "error");
        assertTrue(error.contains(message), "'" + error + "' should say '" + message + "'");
    }

    /** The server still answers a good request. */
    private void assertStillServing() throws Exception {
        HttpResponse<String> lens = post("/api/lens", "{\"tokens\": [0, 1]}");
        assertEquals(200, lens.statusCode(), lens.body());
    }

    @Test
    void thePageIsSelfContainedAndCarriesTheModelSafely() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
        String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.startsWith("default-src 'none';") && policy.contains("connect-src 'self'"), policy);
        String html = page.body();
        assertFalse(html.contains("http:") || html.contains("https:") || html.contains("src=\""), "nothing from elsewhere");
        assertFalse(html.contains("/*CONFIG*/"));
        assertFalse(html.contains("</script><b>"), "a model name cannot end the page's script");
        assertTrue(html.contains("\"model\":\"nano \\u003c/script>\\u003cb>sort\""), html);
        assertTrue(html.contains("\"nCtx\":11") && html.contains("\"gpt2\":false"), html);
        assertEquals(200, http.send(HttpRequest.newBuilder(server.uri()).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theLensJsonHoldsEveryViewsColoursAsLensViewGivesThem() throws Exception {
        HttpResponse<String> response = post("/api/lens", "{\"tokens\": [" + FIXTURE_IDS + "], \"sublayers\": false}");
        assertEquals(200, response.statusCode(), response.body());
        Map<String, Object> data = Json.asObject(Json.parse(response.body()), "lens");
        assertEquals(11L, data.get("tokens"));
        List<Object> rows = Json.asArray(data.get("rows"), "rows");
        assertEquals(4, rows.size());
        assertEquals(Map.of("layer", 3L, "name", "h3"), rows.getFirst(), "the final layer on top, as in the post");
        assertEquals(Map.of("layer", 0L, "name", "in"), rows.getLast());
        List<Object> views = Json.asArray(data.get("views"), "views");
        assertEquals(List.of("logit", "prob", "rank-final", "rank-input", "kl-final", "kl-input"),
                views.stream().map(v -> ((Map<String, Object>) v).get("name")).toList());

        int[] ids = {2, 1, 0, 2, 1, 0, 0, 0, 1, 1, 2};
        LensResult lens = model.run(ids, LensOptions.defaults().withTopK(3));
        for (Object v : views) {
            Map<String, Object> view = (Map<String, Object>) v;
            LensView.Kind kind = LensView.Kind.valueOf(((String) view.get("kind")).toUpperCase(java.util.Locale.ROOT));
            LensView.Reference reference = view.get("reference") == null ? LensView.Reference.FINAL
                    : LensView.Reference.valueOf(((String) view.get("reference")).toUpperCase(java.util.Locale.ROOT));
            LensView expected = LensView.of(lens, LensView.Spec.of(kind, reference));
            List<Object> fill = (List<Object>) view.get("fill");
            List<Object> outlined = (List<Object>) view.get("outlined");
            for (int row = 0; row < 4; row++) {
                int layer = 3 - row;
                for (int pos = 0; pos < ids.length; pos++) {
                    assertEquals(ColorScale.toHex(expected.rgb(layer, pos)), ((List<Object>) fill.get(row)).get(pos),
                            view.get("name") + " layer " + layer + " position " + pos);
                    assertEquals(expected.outlined(layer, pos), ((List<Object>) outlined.get(row)).get(pos));
                }
            }
            assertEquals(33, ((List<Object>) view.get("bar")).size());
            assertEquals(expected.scaleDescription(), view.get("scale"));
        }
        Map<String, Object> cell = (Map<String, Object>) ((List<Object>) ((List<Object>) data.get("cells")).get(3)).get(4);
        assertEquals("in (layer 0), position 4", cell.get("heading"));
        assertEquals(3, ((List<Object>) cell.get("top")).size(), "the server's top-k");
    }

    @Test
    void theCsvIsWhatRunPrints() throws Exception {
        HttpResponse<String> csv = get("/lens.csv?tokens=" + FIXTURE_IDS.replace(",", "%2C") + "&sublayers=false");
        assertEquals(200, csv.statusCode(), csv.body());
        assertEquals("text/csv; charset=utf-8", csv.headers().firstValue("Content-Type").orElse(""));
        CliTest.Run run = CliTest.cli("run", "--model", Fixtures.gptNanoSortModel().toString(), "--tokens", FIXTURE_IDS,
                "--format", "csv", "--top-k", "3");
        assertEquals(0, run.exit(), run.err());
        assertEquals(run.out(), csv.body());
    }

    @Test
    void badRequestsAreRefusedWithAMessageAndTheServerGoesOn() throws Exception {
        assertError(400, "the request is not the JSON this server expects", post("/api/lens", "{\"tokens\": [1,"));
        assertError(400, "the request must be an object", post("/api/lens", "[1, 2]"));
        assertError(400, "unknown field \"txt\"", post("/api/lens", "{\"txt\": \"hello\"}"));
        assertError(400, "give exactly one of text and tokens", post("/api/lens", "{\"sublayers\": false}"));
        assertError(400, "give exactly one of text and tokens", post("/api/lens", "{\"text\": \"a\", \"tokens\": [1]}"));
        assertError(400, "tokens[1] must be an integer", post("/api/lens", "{\"tokens\": [1, 1.5]}"));
        assertError(400, "sublayers must be true or false", post("/api/lens", "{\"tokens\": [1], \"sublayers\": 1}"));
        assertError(400, "the input has no tokens", post("/api/lens", "{\"tokens\": []}"));
        assertError(400, "token id 3 at position 1 is outside the model's vocabulary [0, 3)", post("/api/lens", "{\"tokens\": [0, 3]}"));
        assertError(400, "token id -1 at position 0", post("/api/lens", "{\"tokens\": [-1]}"));
        assertError(400, "token id 2147483647 at position 0", post("/api/lens", "{\"tokens\": [99999999999999]}"));
        assertError(400, "a text cannot be tokenised: give token ids instead", post("/api/lens", "{\"text\": \"hello\"}"));
        assertError(400, "not UTF-8", post("/api/lens", new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xff, '"', '}'}));
        assertError(413, "the input has 12 tokens; the model's context is 11 tokens", post("/api/lens",
                "{\"tokens\": [0,1,2,0,1,2,0,1,2,0,1,2]}"));
        assertError(413, "larger than 1 MiB", post("/api/lens", "{\"tokens\": [" + "0,".repeat(LensServer.MAX_BODY_BYTES / 2) + "0]}"));

        assertError(405, "method GET is not allowed here; use POST", get("/api/lens"));
        assertError(405, "use GET or HEAD", post("/", "{}"));
        assertError(404, "no such page: /index.html", get("/index.html"));
        assertError(404, "no such page: /api/lens/", get("/api/lens/"));
        assertError(400, "unknown parameter \"bogus\"", get("/lens.csv?tokens=0&bogus=1"));
        assertError(400, "the parameter tokens is given twice", get("/lens.csv?tokens=0&tokens=1"));
        assertError(400, "tokens: \"x\" is not a token id", get("/lens.csv?tokens=0,x"));
        assertError(400, "sublayers must be true or false", get("/lens.csv?tokens=0&sublayers=yes"));
        String badEscape = raw("GET /lens.csv?tokens=%zz HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nConnection: close\r\n\r\n");
        assertTrue(badEscape.startsWith("HTTP/1.1 400"), badEscape);
        assertError(400, "give exactly one of text and tokens", get("/lens.csv"));
        assertError(413, "the model's context is 11 tokens", get("/lens.csv?tokens=0,0,0,0,0,0,0,0,0,0,0,0"));
        assertEquals(0, calls.get(), "no refused request reached the lens");
        assertEquals(0, server.failures());
        assertStillServing();
    }

    @Test
    void sublayersAddTheStreamAfterEachAttentionToTheJsonAndTheCsv() throws Exception {
        HttpResponse<String> json = post("/api/lens", "{\"tokens\": [" + FIXTURE_IDS + "], \"sublayers\": true}");
        assertEquals(200, json.statusCode(), json.body());
        int blocks = model.config().nLayer();
        for (int block = 1; block <= blocks; block++) {
            assertTrue(json.body().contains("\"name\":\"h" + block + ".attn\""), "row h" + block + ".attn: " + json.body());
        }
        HttpResponse<String> csv = get("/lens.csv?tokens=" + FIXTURE_IDS.replace(",", "%2C") + "&sublayers=true");
        assertEquals(200, csv.statusCode(), csv.body());
        List<Map<String, String>> rows = CsvReader.rows(csv.body());
        int positions = FIXTURE_IDS.split(",").length;
        assertEquals((2 * blocks + 1) * positions, rows.size(), "in, h1.attn, h1, ... at every position");
        assertTrue(rows.stream().anyMatch(r -> "1".equals(r.get("sublayer"))), "the sublayer column marks the attention rows");
    }

    @Test
    void aFailureInsideTheServerIsA500WithItsMessageAndTheServerGoesOn() throws Exception {
        assertError(500, "the server failed on this request (IllegalStateException: a bug in the lens)", post("/api/lens", "{\"tokens\": [1]}"));
        assertStillServing();
        assertError(500, "(StackOverflowError)", get("/lens.csv?tokens=2"));
        assertStillServing();
        assertEquals(2, server.failures());
        assertTrue(log.toString().contains("logitlens serve: POST /api/lens failed: IllegalStateException: a bug in the lens"), log.toString());
    }

    @Test
    void requestsForAnotherHostAndBrokenHttpAreRefusedAndTheServerGoesOn() throws Exception {
        // DNS rebinding: a page of another site that resolves its name to 127.0.0.1 sends its own name as Host
        String rebound = raw("GET / HTTP/1.1\r\nHost: attacker.example:" + server.port() + "\r\nConnection: close\r\n\r\n");
        assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
        assertTrue(rebound.contains("answers only requests addressed to"), rebound);
        String noHost = raw("GET / HTTP/1.0\r\n\r\n");
        assertTrue(noHost.startsWith("HTTP/1.1 403"), noHost);
        String localhost = raw("GET / HTTP/1.1\r\nHost: localhost:" + server.port() + "\r\nConnection: close\r\n\r\n");
        assertTrue(localhost.startsWith("HTTP/1.1 200"), localhost.lines().findFirst().orElse(""));

        String garbage = raw("\u0001\u0002 not http at all\r\n\r\n");
        assertFalse(garbage.startsWith("HTTP/1.1 200"), garbage);
        String lengthless = raw("POST /api/lens HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nContent-Length: x\r\n"
                + "Connection: close\r\n\r\n{}");
        assertFalse(lengthless.startsWith("HTTP/1.1 200"), lengthless);
        assertStillServing();
    }

    /** Sends {@code request} as it is and returns what comes back until the server closes the connection. */
    private String raw(String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.net.SocketException e) {
            return "connection closed: " + e.getMessage();
        }
    }

    @Test
    void theAddressIsPrintable() {
        URI uri = server.uri();
        assertEquals("127.0.0.1", uri.getHost());
        assertEquals(server.port(), uri.getPort());
    }
}
