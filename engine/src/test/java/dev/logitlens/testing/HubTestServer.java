package dev.logitlens.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, answering as the real one does:
 * <ul>
 *   <li>{@code HEAD|GET /{org}/{name}/resolve/{main|commit}/{file}} of a regular file ({@code .json}):
 *       200 with {@code ETag} = the file's git blob hash and {@code X-Repo-Commit};</li>
 *   <li>of an LFS file ({@code .safetensors}, {@code .bin}): 302 with {@code X-Linked-Etag} = its sha256,
 *       {@code X-Linked-Size}, {@code X-Repo-Commit} and an absolute {@code Location} to {@code /cdn/{sha256}}
 *       on this server, which serves the bytes with {@code Range} support;</li>
 *   <li>a renamed repo: 307 with a relative {@code Location} to the new name;</li>
 *   <li>404 with {@code X-Error-Code} (RepoNotFound, RevisionNotFound, EntryNotFound); 401 when a token is required.</li>
 * </ul>
 * Faults can be queued for the next CDN downloads (a dropped connection, a stall), bodies corrupted and
 * ranges ignored. Every request is recorded. One response per connection ({@code Connection: close}).
 */
public final class HubTestServer implements AutoCloseable {

    /** One request as received; header names in lower case. */
    public record Request(String method, String path, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private record HostedFile(byte[] bytes, String etag, boolean lfs) {
    }

    private record Repo(String commit, Map<String, HostedFile> files) {
    }

    private enum FaultKind { DROP, STALL }

    private record Fault(FaultKind kind, long afterBytes, Duration stall) {
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renames = new ConcurrentHashMap<>();
    private final Map<String, byte[]> cdn = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private volatile String requiredToken;
    private volatile boolean ignoreRange;
    private volatile Long unsizedExtra; // null: regular files have lengths
    private volatile boolean corrupt;

    private HubTestServer() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofPlatform().daemon().name("hub-test-server").start(this::acceptLoop);
    }

    /** A server on a free port of 127.0.0.1. */
    public static HubTestServer start() throws IOException {
        return new HubTestServer();
    }

    /** {@code http://127.0.0.1:PORT} of a port nothing listens on (bound, then closed). */
    public static String closedPortEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    /** {@code http://127.0.0.1:PORT}, the value for {@code HF_ENDPOINT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /**
     * Serves every file in {@code folder} as repo {@code repoId} at revision {@code main}; returns the
     * repo's commit hash (40 hex digits, derived from the repo id).
     */
    public String addRepo(String repoId, Path folder) throws IOException {
        Map<String, HostedFile> files = new LinkedHashMap<>();
        try (Stream<Path> list = Files.list(folder)) {
            for (Path file : list.sorted().toList()) {
                String name = file.getFileName().toString();
                byte[] bytes = Files.readAllBytes(file);
                boolean lfs = name.endsWith(".safetensors") || name.endsWith(".bin");
                String etag = lfs ? sha256(bytes) : gitBlobHash(bytes);
                files.put(name, new HostedFile(bytes, etag, lfs));
                if (lfs) {
                    cdn.put(etag, bytes);
                }
            }
        }
        String commit = hex("SHA-1", ("commit of " + repoId).getBytes(StandardCharsets.UTF_8));
        repos.put(repoId, new Repo(commit, files));
        return commit;
    }

    /** Requests for {@code oldRepoId} are redirected (307, relative Location) to {@code newRepoId}, as the hub does for moved repos. */
    public void rename(String oldRepoId, String newRepoId) {
        renames.put(oldRepoId, newRepoId);
    }

    /** Resolve requests without {@code Authorization: Bearer token} get 401 (null: no token needed). */
    public void requireToken(String token) {
        requiredToken = token;
    }

    /** Whether the CDN answers range requests with the whole file (200), as some servers do. */
    public void ignoreRange(boolean ignore) {
        ignoreRange = ignore;
    }

    /**
     * Regular (non-LFS) files without any length: no {@code Content-Length} on {@code HEAD} or {@code GET}, the body
     * ending when the connection closes. {@code extraBytes} changes that body: 0 sends the file, a negative count cuts
     * that many bytes off its end, a positive one appends that many zero bytes (a large count: an endless body).
     * {@code null} turns the mode off.
     */
    public void serveRegularFilesUnsized(Long extraBytes) {
        unsizedExtra = extraBytes;
    }

    /** Whether the CDN flips one byte in the middle of every body it sends. */
    public void corruptBodies(boolean corruptBodies) {
        corrupt = corruptBodies;
    }

    /** The next CDN download announces its full length, sends {@code bytes} bytes of its body and closes the connection. */
    public void dropNextDownloadAfter(long bytes) {
        faults.add(new Fault(FaultKind.DROP, bytes, Duration.ZERO));
    }

    /** The next CDN download sends {@code bytes} bytes of its body, then nothing for {@code stall}, then closes. */
    public void stallNextDownloadAfter(long bytes, Duration stall) {
        faults.add(new Fault(FaultKind.STALL, bytes, stall));
    }

    /** Every request so far, in order of arrival. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The requests with this method. */
    public List<Request> requests(String method) {
        return requests.stream().filter(r -> r.method().equals(method)).toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    /** Stops listening; a later request finds the port closed. */
    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }

    public static String sha256(byte[] bytes) {
        return hex("SHA-256", bytes);
    }

    /** The hash git gives the file as a blob, which the hub sends as the ETag of non-LFS files. */
    public static String gitBlobHash(byte[] bytes) {
        byte[] header = ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(header, header.length + bytes.length);
        System.arraycopy(bytes, 0, all, header.length, bytes.length);
        return hex("SHA-1", all);
    }

    private static String hex(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                pool.submit(() -> handle(socket));
            } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try (socket) {
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String requestLine = readLine(in);
            if (requestLine == null || requestLine.isEmpty()) {
                return;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
                }
            }
            String[] parts = requestLine.split(" ");
            Request request = new Request(parts[0], parts[1], Map.copyOf(headers));
            requests.add(request);
            respond(request, socket.getOutputStream());
        } catch (IOException | InterruptedException e) {
            // the client went away or the server is closing
        }
    }

    private void respond(Request request, OutputStream out) throws IOException, InterruptedException {
        String path = request.path();
        if (path.startsWith("/cdn/")) {
            byte[] bytes = cdn.get(path.substring("/cdn/".length()));
            if (bytes == null) {
                send(out, request, 404, Map.of("X-Error-Code", "EntryNotFound"), new byte[0]);
                return;
            }
            serveBytes(out, request, corrupt ? corrupted(bytes) : bytes, Map.of(),
                    request.method().equals("GET") ? faults.poll() : null);
            return;
        }
        int resolve = path.indexOf("/resolve/");
        if (!path.startsWith("/") || resolve < 0) {
            send(out, request, 404, Map.of(), new byte[0]);
            return;
        }
        String repoId = path.substring(1, resolve);
        String rest = path.substring(resolve + "/resolve/".length());
        int slash = rest.indexOf('/');
        String rawRevision = slash < 0 ? rest : rest.substring(0, slash);
        String revision = URLDecoder.decode(rawRevision, StandardCharsets.UTF_8);
        String file = slash < 0 ? "" : rest.substring(slash + 1);
        String newName = renames.get(repoId);
        if (newName != null) {
            send(out, request, 307, Map.of("Location", "/" + newName + "/resolve/" + rawRevision + "/" + file), new byte[0]);
            return;
        }
        String token = requiredToken;
        if (token != null && !("Bearer " + token).equals(request.header("Authorization"))) {
            String message = request.header("Authorization") == null
                    ? "Access to model " + repoId + " is restricted. You must be authenticated to access it."
                    : "Invalid credentials in Authorization header";
            send(out, request, 401, Map.of("X-Error-Message", message), new byte[0]);
            return;
        }
        Repo repo = repos.get(repoId);
        if (repo == null) {
            send(out, request, 404, Map.of("X-Error-Code", "RepoNotFound", "X-Error-Message", "Repository not found"), new byte[0]);
            return;
        }
        if (!revision.equals("main") && !revision.equals(repo.commit())) {
            send(out, request, 404, Map.of("X-Error-Code", "RevisionNotFound", "X-Error-Message", "Invalid rev id: " + revision),
                    new byte[0]);
            return;
        }
        HostedFile hosted = repo.files().get(file);
        if (hosted == null) {
            send(out, request, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Error-Message", "Entry not found"), new byte[0]);
            return;
        }
        if (hosted.lfs()) {
            send(out, request, 302, Map.of(
                    "Location", endpoint() + "/cdn/" + hosted.etag(),
                    "X-Linked-Etag", "\"" + hosted.etag() + "\"",
                    "X-Linked-Size", Long.toString(hosted.bytes().length),
                    "X-Repo-Commit", repo.commit(),
                    "ETag", "W/\"redirect-" + hosted.etag().substring(0, 8) + "\""), new byte[0]);
            return;
        }
        Long extra = unsizedExtra;
        if (extra != null) {
            sendUnsized(out, request, Map.of("ETag", "\"" + hosted.etag() + "\"", "X-Repo-Commit", repo.commit()),
                    hosted.bytes(), extra);
            return;
        }
        serveBytes(out, request, hosted.bytes(), Map.of("ETag", "\"" + hosted.etag() + "\"", "X-Repo-Commit", repo.commit()), null);
    }

    /** 200 without Content-Length: the body is {@code bytes} changed by {@code extra} (see serveRegularFilesUnsized), then close. */
    private static void sendUnsized(OutputStream out, Request request, Map<String, String> headers, byte[] bytes, long extra)
            throws IOException {
        out.write(head(200, headers, -1));
        if (!request.method().equals("HEAD")) {
            out.write(bytes, 0, (int) Math.max(0, bytes.length + Math.min(0, extra)));
            byte[] zeros = new byte[1 << 16];
            for (long left = Math.max(0, extra); left > 0; left -= zeros.length) {
                out.write(zeros, 0, (int) Math.min(zeros.length, left));
            }
        }
        out.flush();
    }

    private void serveBytes(OutputStream out, Request request, byte[] bytes, Map<String, String> headers, Fault fault)
            throws IOException, InterruptedException {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Accept-Ranges", "bytes");
        String range = request.header("Range");
        Matcher m = RANGE.matcher(range == null ? "" : range);
        if (m.matches() && !ignoreRange) {
            long from = Long.parseLong(m.group(1));
            if (from >= bytes.length) {
                all.put("Content-Range", "bytes */" + bytes.length);
                send(out, request, 416, all, new byte[0]);
                return;
            }
            all.put("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
            sendBody(out, request, 206, all, Arrays.copyOfRange(bytes, (int) from, bytes.length), fault);
            return;
        }
        sendBody(out, request, 200, all, bytes, fault);
    }

    private static void sendBody(OutputStream out, Request request, int status, Map<String, String> headers, byte[] body, Fault fault)
            throws IOException, InterruptedException {
        if (fault == null || request.method().equals("HEAD")) {
            send(out, request, status, headers, body);
            return;
        }
        out.write(head(status, headers, body.length));
        out.write(body, 0, (int) Math.min(fault.afterBytes(), body.length));
        out.flush();
        if (fault.kind() == FaultKind.STALL) {
            Thread.sleep(fault.stall());
        }
        // returning closes the socket before the announced length
    }

    private static void send(OutputStream out, Request request, int status, Map<String, String> headers, byte[] body) throws IOException {
        out.write(head(status, headers, body.length));
        if (!request.method().equals("HEAD")) {
            out.write(body);
        }
        out.flush();
    }

    /** A response head; {@code contentLength} −1 sends none (the body then ends when the connection closes). */
    private static byte[] head(int status, Map<String, String> headers, long contentLength) {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (contentLength >= 0) {
            head.append("Content-Length: ").append(contentLength).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 206 -> "Partial Content";
            case 302 -> "Found";
            case 307 -> "Temporary Redirect";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 416 -> "Range Not Satisfiable";
            default -> "Status";
        };
    }

    private static byte[] corrupted(byte[] bytes) {
        byte[] copy = bytes.clone();
        copy[copy.length / 2] ^= 0x01;
        return copy;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                line.write(c);
            }
        }
        if (c < 0 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
