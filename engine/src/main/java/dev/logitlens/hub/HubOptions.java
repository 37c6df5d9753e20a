package dev.logitlens.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where the Hugging Face cache is and how to talk to the hub, read from environment variables the way
 * {@code huggingface_hub} reads them.
 *
 * @param cacheDir       the hub cache: {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 *                       {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}
 * @param endpoint       {@code HF_ENDPOINT} without trailing slashes; {@code https://huggingface.co} by default
 * @param token          {@code HF_TOKEN}, sent as {@code Authorization: Bearer} to the endpoint; null if unset
 * @param offline        {@code HF_HUB_OFFLINE} is {@code 1}, {@code true}, {@code yes} or {@code on}: use the cache only
 * @param userAgent      the {@code User-Agent} header
 * @param connectTimeout how long to wait for a connection
 * @param readTimeout    how long to wait for response headers, and for the next bytes of a body
 * @param retries        how many times a broken-off transfer is resumed before giving up
 * @param retryDelay     the wait before the first retry; it doubles for each further one
 */
public record HubOptions(Path cacheDir, String endpoint, String token, boolean offline, String userAgent,
                         Duration connectTimeout, Duration readTimeout, int retries, Duration retryDelay) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_RETRIES = 3;
    public static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(1);

    private static final Set<String> TRUE_WORDS = Set.of("1", "true", "yes", "on");

    public HubOptions {
        Objects.requireNonNull(cacheDir, "cacheDir");
        endpoint = stripTrailingSlashes(Objects.requireNonNull(endpoint, "endpoint"));
        token = token == null || token.isBlank() ? null : token.strip();
        Objects.requireNonNull(userAgent, "userAgent");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(retryDelay, "retryDelay");
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
    }

    /**
     * Options from environment variables ({@code HF_HUB_CACHE}, {@code HF_HOME}, {@code XDG_CACHE_HOME},
     * {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}); the home folder comes from the
     * {@code user.home} system property.
     */
    public static HubOptions fromEnvironment(Map<String, String> env) {
        return new HubOptions(cacheDir(env), orDefault(env.get("HF_ENDPOINT"), DEFAULT_ENDPOINT), env.get("HF_TOKEN"),
                isTrue(env.get("HF_HUB_OFFLINE")), "logitlens/" + version(), DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_READ_TIMEOUT, DEFAULT_RETRIES, DEFAULT_RETRY_DELAY);
    }

    /** The hub cache folder the environment points at. */
    public static Path cacheDir(Map<String, String> env) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (isSet(hubCache)) {
            return Path.of(hubCache);
        }
        String hfHome = env.get("HF_HOME");
        if (isSet(hfHome)) {
            return Path.of(hfHome, "hub");
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (isSet(xdg)) {
            return Path.of(xdg, "huggingface", "hub");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    public HubOptions withUserAgent(String newUserAgent) {
        return new HubOptions(cacheDir, endpoint, token, offline, newUserAgent, connectTimeout, readTimeout, retries, retryDelay);
    }

    public HubOptions withOffline(boolean newOffline) {
        return new HubOptions(cacheDir, endpoint, token, newOffline, userAgent, connectTimeout, readTimeout, retries, retryDelay);
    }

    public HubOptions withTimeouts(Duration newConnectTimeout, Duration newReadTimeout) {
        return new HubOptions(cacheDir, endpoint, token, offline, userAgent, newConnectTimeout, newReadTimeout, retries, retryDelay);
    }

    public HubOptions withRetries(int newRetries, Duration newRetryDelay) {
        return new HubOptions(cacheDir, endpoint, token, offline, userAgent, connectTimeout, readTimeout, newRetries, newRetryDelay);
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "HubOptions[cacheDir=" + cacheDir + ", endpoint=" + endpoint + ", token=" + (token == null ? "none" : "***")
                + ", offline=" + offline + ", userAgent=" + userAgent + ", connectTimeout=" + connectTimeout
                + ", readTimeout=" + readTimeout + ", retries=" + retries + ", retryDelay=" + retryDelay + "]";
    }

    static boolean isTrue(String value) {
        return value != null && TRUE_WORDS.contains(value.strip().toLowerCase(Locale.ROOT));
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    private static String orDefault(String value, String fallback) {
        return isSet(value) ? value.strip() : fallback;
    }

    private static String stripTrailingSlashes(String url) {
        String s = url.strip();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    private static String version() {
        String version = HubOptions.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
