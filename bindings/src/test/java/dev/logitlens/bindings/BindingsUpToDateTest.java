package dev.logitlens.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/**
 * Fails when native/include/logitlens.h changed but the committed jextract bindings were
 * not regenerated: the header's sha256 must equal the one bindings/regenerate.sh recorded
 * in the resource dev/logitlens/bindings/logitlens.h.sha256. bindings/check.sh is the same
 * check without Maven.
 */
class BindingsUpToDateTest {

    private static final String HEADER = "native/include/logitlens.h";
    private static final String SHA_RESOURCE = "/dev/logitlens/bindings/logitlens.h.sha256";

    @Test
    void bindingsWereGeneratedFromTheCurrentHeader() throws IOException, NoSuchAlgorithmException {
        Path header = findHeader();
        String actual = sha256(Files.readAllBytes(header));
        String recorded = recordedDigest();
        assertEquals(recorded, actual,
                () -> "The Panama bindings are out of date: " + header + " has sha256 " + actual
                        + " but the bindings were generated from a header with sha256 " + recorded
                        + ". Run bindings/regenerate.sh (needs jextract) and commit the regenerated bindings.");
    }

    /** The header, found from Maven's basedir (the bindings module) or the working directory upwards. */
    private static Path findHeader() {
        String explicit = System.getProperty("logitlens.header");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit).toAbsolutePath().normalize();
            assertTrue(Files.isRegularFile(p), "logitlens.header=" + p + " is not a file");
            return p;
        }
        for (String start : new String[] {System.getProperty("basedir"), System.getProperty("user.dir")}) {
            if (start == null || start.isBlank()) {
                continue;
            }
            for (Path dir = Path.of(start).toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve(HEADER);
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        throw new AssertionError("Cannot find " + HEADER + " above basedir=" + System.getProperty("basedir")
                + " or user.dir=" + System.getProperty("user.dir") + " (set -Dlogitlens.header=...)");
    }

    private static String recordedDigest() throws IOException {
        try (InputStream in = BindingsUpToDateTest.class.getResourceAsStream(SHA_RESOURCE)) {
            assertNotNull(in, "Resource " + SHA_RESOURCE + " is missing: run bindings/regenerate.sh");
            String digest = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip().toLowerCase();
            assertTrue(digest.matches("[0-9a-f]{64}"),
                    "Resource " + SHA_RESOURCE + " does not hold a sha256 hex digest: '" + digest
                            + "'. Run bindings/regenerate.sh");
            return digest;
        }
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
