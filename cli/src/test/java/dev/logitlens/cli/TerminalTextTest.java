package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Strings from files reach the terminal with their control characters escaped, never raw. */
class TerminalTextTest {

    @TempDir
    Path dir;

    @Test
    void controlCharactersAndBidiOverridesBecomeVisible() {
        assertEquals("a\\u001b[31mred", TerminalText.escape("a\u001b[31mred"));
        assertEquals("bell\\u0007 del\\u007f c1\\u009b rlo\\u202e", TerminalText.escape("bell\u0007 del\u007f c1\u009b rlo\u202e"));
        String plain = "line one\n\tline two, état, 日本";
        assertEquals(plain, TerminalText.escape(plain));
    }

    /** A GGUF whose tensor name holds ESC: the error names it, escaped. */
    @Test
    void aTensorNameWithAnEscapeSequenceIsPrintedEscaped() throws IOException {
        Gpt2Config config = TinyGpt2.config(53, 12, 32, 4, 2);
        Path gguf = new GgufWriter(TinyGpt2.generate(config, 1, 2, true)).write(dir.resolve("m.gguf"));
        byte[] bytes = Files.readAllBytes(gguf);
        byte[] name = "blk.0.ffn_up.weight".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(bytes, name);
        assertTrue(at > 0, "the tensor name is in the file");
        bytes[at + "blk.0.ffn_".length()] = 0x1b; // same length: the header stays well formed
        Files.write(gguf, bytes);

        Run run = cli("run", "--model", gguf.toString(), "--tokens", "1,2");
        assertEquals(1, run.exit(), run.err());
        assertFalse(run.err().contains("\u001b"), "no raw ESC on standard error: " + run.err());
        assertTrue(run.err().contains("blk.0.ffn_\\u001bp.weight"), run.err());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
