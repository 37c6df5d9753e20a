package dev.logitlens.hub;

/**
 * Told how a download advances, so that a user interface can draw a progress line. Called on the
 * downloading thread, often (every few kilobytes): implementations should be quick and may skip updates.
 */
@FunctionalInterface
public interface DownloadProgress {

    /** Ignores every update. */
    DownloadProgress NONE = (file, done, total) -> { };

    /**
     * @param file  the file being fetched, e.g. {@code model.safetensors}
     * @param done  bytes of it on disk so far (a resumed download starts above 0)
     * @param total its size in bytes, or -1 when the server did not say
     */
    void update(String file, long done, long total);
}
