package dev.logitlens.hub;

import java.net.URI;

/**
 * What a {@code HEAD} of {@code {endpoint}/{repo}/resolve/{revision}/{file}} told about one file.
 *
 * @param commit   the commit the revision resolved to ({@code X-Repo-Commit})
 * @param etag     the blob's name in the cache: the sha256 for LFS files ({@code X-Linked-Etag}), else the git hash ({@code ETag})
 * @param size     bytes ({@code X-Linked-Size} or {@code Content-Length}); -1 if the server did not say
 * @param location where to {@code GET} the bytes: a CDN URL for LFS files, else the resolve URL
 */
record FileMetadata(String commit, String etag, long size, URI location) {

    /** True when the etag is an LFS object id, a sha256 the downloaded bytes must match. */
    boolean etagIsSha256() {
        return etag.matches("[0-9a-f]{64}");
    }

    /** True when the etag looks like a git blob hash (40 hex digits), the hub's ETag of a regular file. */
    boolean etagIsGitHash() {
        return etag.matches("[0-9a-f]{40}");
    }
}
