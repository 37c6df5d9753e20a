package dev.logitlens.hub;

import dev.logitlens.hub.HubException.Reason;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The HTTP side of the hub, as {@code huggingface_hub} speaks it: a {@code HEAD} of the resolve URL for a
 * file's metadata, following relative redirects (a renamed repo) but not absolute ones (the CDN, whose
 * URL is the download location), then {@code GET}s of the bytes, resumable with {@code Range}.
 * The token goes only to the endpoint's own origin, never to the CDN.
 */
final class HubClient implements AutoCloseable {

    /** Relative redirects a {@code HEAD} follows, and redirects a {@code GET} follows, before giving up. */
    static final int MAX_REDIRECTS = 5;

    /** One {@code GET} whose headers have arrived; its body is read through {@link #body()}. Close it when done. */
    record Download(int status, HttpHeaders headers, TimedBody body, URI uri) implements AutoCloseable {
        @Override
        public void close() {
            body.cancel();
        }
    }

    private final HubOptions options;
    private final URI endpoint;
    private final HttpClient http;

    HubClient(HubOptions options) throws HubException {
        this.options = options;
        this.endpoint = parseEndpoint(options.endpoint());
        this.http = HttpClient.newBuilder()
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    String endpoint() {
        return options.endpoint();
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{file}}, the revision percent-encoded ({@code refs/pr/1} → {@code refs%2Fpr%2F1}). */
    URI resolveUrl(String repoId, String revision, String file) {
        String encoded = URLEncoder.encode(revision, StandardCharsets.UTF_8).replace("+", "%20");
        return URI.create(options.endpoint() + "/" + repoId + "/resolve/" + encoded + "/" + file);
    }

    /**
     * The metadata of {@code file} of {@code repo} at {@code revision}.
     *
     * @param repoExists true once another file of the repo was found: a 404 then means this file is missing
     * @throws HubException {@link Reason#UNREACHABLE} when the endpoint cannot be reached; other reasons for
     *                      HTTP errors and answers without the hub's headers
     */
    FileMetadata head(HubRepo repo, String revision, String file, boolean repoExists) throws HubException {
        URI url = resolveUrl(repo.repoId(), revision, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<Void> response;
            try {
                response = http.send(request(url).HEAD().build(), HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                throw new HubException(Reason.UNREACHABLE, "could not reach " + options.endpoint() + " (" + describeNetworkError(e) + ")", e);
            } catch (InterruptedException e) {
                throw interrupted();
            }
            int status = response.statusCode();
            if (status >= 300 && status < 400) {
                URI location = location(response.headers(), url, repo, file);
                if (location.getHost() == null) {
                    url = url.resolve(location);
                    continue;
                }
                return metadata(response.headers(), location, repo, file);
            }
            if (status >= 200 && status < 300) {
                return metadata(response.headers(), url, repo, file);
            }
            throw statusError(status, response.headers(), repo, revision, file, repoExists);
        }
        throw new HubException(Reason.SERVER, "more than " + MAX_REDIRECTS + " redirects for " + file + " of " + repo.repoId()
                + " from " + options.endpoint());
    }

    /**
     * Starts a {@code GET} of {@code url}, from byte {@code offset} on ({@code Range}) when it is above 0,
     * following redirects. The caller checks the status and reads or closes the body.
     *
     * @throws IOException when the server cannot be reached or does not answer in time
     */
    Download get(URI url, long offset) throws IOException, InterruptedException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = request(current).GET();
            if (offset > 0) {
                request.header("Range", "bytes=" + offset + "-");
            }
            HttpResponse<java.util.concurrent.Flow.Publisher<java.util.List<java.nio.ByteBuffer>>> response =
                    http.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
            TimedBody body = new TimedBody();
            response.body().subscribe(body);
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (status >= 300 && status < 400 && location.isPresent()) {
                body.cancel();
                try {
                    current = current.resolve(new URI(location.get()));
                } catch (URISyntaxException e) {
                    throw new IOException("bad redirect Location '" + location.get() + "'", e);
                }
                continue;
            }
            return new Download(status, response.headers(), body, current);
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + url.getHost());
    }

    /** A user-facing error for an HTTP error status of the hub. */
    private HubException statusError(int status, HttpHeaders headers, HubRepo repo, String revision, String file, boolean repoExists) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String serverMessage = headers.firstValue("X-Error-Message").map(m -> " (the hub says: " + shorten(m) + ")").orElse("");
        String repoUrl = options.endpoint() + "/" + repo.repoId();
        boolean hasToken = options.token() != null;
        return switch (status) {
            case 401 -> new HubException(Reason.ACCESS_DENIED, hasToken && serverMessage.contains("Invalid credentials")
                    ? "the hub rejected the token in HF_TOKEN (401, invalid credentials) for " + repo.repoId()
                            + ": set HF_TOKEN to a valid access token"
                    : "not authorized to read " + repo.repoId() + " (401): the repo does not exist, or it is private or gated"
                            + serverMessage + ". Check the name" + (hasToken
                            ? "; the token in HF_TOKEN has no access to it"
                            : "; for a private or gated repo, set HF_TOKEN to an access token that can read it"));
            case 403 -> new HubException(Reason.ACCESS_DENIED, "access to " + repo.repoId() + " is denied (403): the repo is "
                    + ("GatedRepo".equals(code) ? "gated; accept its conditions at " + repoUrl : "gated or private") + serverMessage
                    + (hasToken ? "; the token in HF_TOKEN has no access to it" : "; set HF_TOKEN to an access token that can read it"));
            case 404 -> {
                if ("RevisionNotFound".equals(code)) {
                    yield new HubException(Reason.NOT_FOUND, repo.repoId() + " has no revision '" + revision + "' (404)" + serverMessage);
                }
                if (repoExists || "EntryNotFound".equals(code)) {
                    yield new HubException(Reason.NOT_FOUND, repo.repoId() + " has no file " + file + " at revision " + revision
                            + " (404)" + serverMessage);
                }
                yield new HubException(Reason.NOT_FOUND, "no such repo or file: " + repoUrl + " has no " + file
                        + " at revision " + revision + " (404)" + serverMessage + ". Check the name");
            }
            case 429 -> new HubException(Reason.SERVER, options.endpoint() + " is limiting requests (429 too many requests); "
                    + "wait a minute and try again");
            default -> new HubException(Reason.SERVER, options.endpoint() + " answered HTTP " + status + " for " + file + " of "
                    + repo.repoId() + serverMessage + (status >= 500 ? "; try again later" : ""));
        };
    }

    /** Stops the client's threads and connections without waiting for transfers nobody reads any more. */
    @Override
    public void close() {
        http.shutdownNow();
    }

    private HttpRequest.Builder request(URI url) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(options.readTimeout())
                .header("User-Agent", options.userAgent())
                .header("Accept-Encoding", "identity");
        if (options.token() != null && sameOrigin(url, endpoint)) {
            request.header("Authorization", "Bearer " + options.token());
        }
        return request;
    }

    private FileMetadata metadata(HttpHeaders headers, URI location, HubRepo repo, String file) throws HubException {
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).map(HubClient::normalizeEtag).orElse(null);
        if (commit == null || etag == null) {
            throw new HubException(Reason.SERVER, options.endpoint() + " sent no " + (commit == null ? "X-Repo-Commit" : "ETag")
                    + " header for " + file + " of " + repo.repoId() + ": is HF_ENDPOINT a Hugging Face hub (or a mirror of one)?");
        }
        if (!HubCache.isSafeName(commit) || !HubCache.isSafeName(etag)) {
            throw new HubException(Reason.SERVER, options.endpoint() + " sent a malformed commit or ETag for " + file + " of "
                    + repo.repoId() + ": '" + shorten(commit) + "', '" + shorten(etag) + "'");
        }
        OptionalLong size = parseSize(headers.firstValue("X-Linked-Size"));
        if (size.isEmpty()) {
            size = parseSize(headers.firstValue("Content-Length"));
        }
        return new FileMetadata(commit, etag, size.orElse(-1), location);
    }

    private URI location(HttpHeaders headers, URI url, HubRepo repo, String file) throws HubException {
        String location = headers.firstValue("Location").orElseThrow(() -> new HubException(Reason.SERVER,
                options.endpoint() + " redirected " + file + " of " + repo.repoId() + " without a Location"));
        try {
            return new URI(location);
        } catch (URISyntaxException e) {
            throw new HubException(Reason.SERVER, options.endpoint() + " redirected " + url.getPath() + " to a malformed Location '"
                    + shorten(location) + "'", e);
        }
    }

    /** {@code W/"abc"} and {@code "abc"} → {@code abc}. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    /** Same scheme, host and port: where the token may go. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    /** A few words on why a connection failed: DNS, refused, timed out. */
    static String describeNetworkError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "host not found";
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return t.getMessage() == null ? "no answer in time" : t.getMessage();
            }
            if (t instanceof ConnectException) {
                String message = t.getMessage();
                return message == null || message.isBlank() ? "connection refused" : message.toLowerCase(Locale.ROOT);
            }
        }
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
    }

    static HubException interrupted() {
        Thread.currentThread().interrupt();
        return new HubException(Reason.TRANSFER, "interrupted");
    }

    private static int effectivePort(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static OptionalLong parseSize(Optional<String> value) {
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(value.get().strip());
            return n >= 0 ? OptionalLong.of(n) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static URI parseEndpoint(String endpoint) throws HubException {
        try {
            URI uri = new URI(endpoint);
            if (uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                throw new URISyntaxException(endpoint, "not an http:// or https:// URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new HubException(Reason.BAD_NAME, "HF_ENDPOINT must be an http:// or https:// URL, not '" + endpoint + "'", e);
        }
    }

    private static String shorten(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
    }
}
