package dev.logitlens.hub;

import java.io.IOException;

/**
 * A model could not be found in the Hugging Face cache or fetched from the hub. The message is written
 * for the person at the terminal: it says what went wrong and what to do about it, and never contains
 * the access token.
 */
public class HubException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why the model could not be had, for callers that react differently to each. */
    public enum Reason {
        /** Not in the cache and offline mode ({@code HF_HUB_OFFLINE}) forbids the network. */
        OFFLINE,
        /** Not in the cache and the hub could not be reached (DNS, refused connection, timeout). */
        UNREACHABLE,
        /** No such repo, revision or file (HTTP 404). */
        NOT_FOUND,
        /** The hub wants a (better) token: HTTP 401 or 403, gated or private repos. */
        ACCESS_DENIED,
        /** The repo exists but has nothing logitlens reads (e.g. only {@code pytorch_model.bin}). */
        UNSUPPORTED,
        /** The downloaded bytes do not match the checksum the hub announced. */
        CORRUPT,
        /** A transfer broke off (dropped connection, no data for too long); a later run resumes it. */
        TRANSFER,
        /** Another process holds the download lock and makes no progress. */
        LOCKED,
        /** The server's answer made no sense (an error status, missing headers). */
        SERVER,
        /** The cache folder could not be read or written. */
        CACHE,
        /** {@code HF_ENDPOINT} is malformed (a malformed model name or repo id is an {@link IllegalArgumentException}). */
        BAD_NAME
    }

    private final Reason reason;

    public HubException(Reason reason, String message) {
        this(reason, message, null);
    }

    public HubException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
