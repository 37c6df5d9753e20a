package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whatever goes wrong inside a command is one line on stderr and exit 1; the stack trace only with {@code --debug}. */
class UnexpectedFailureCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);

    @TempDir
    Path dir;

    @Test
    void debugAddsTheStackTraceToTheOneLine() {
        String missing = dir.resolve("missing.gguf").toString();
        Run plain = cli("run", "--model", missing, "--tokens", "1,2");
        assertEquals(1, plain.exit());
        assertEquals(1, plain.err().lines().count(), plain.err());
        assertFalse(plain.err().contains("\tat "), plain.err());
        Run debug = cli("run", "--model", missing, "--tokens", "1,2", "--debug");
        assertEquals(1, debug.exit());
        assertTrue(debug.err().startsWith(plain.err()), debug.err());
        assertTrue(debug.err().contains("\tat dev.logitlens."), debug.err());
    }

    /** An {@link OutOfMemoryError} (picocli lets errors through) in a separate JVM with a small heap. */
    @Test
    void runningOutOfMemoryIsOneLineAndExitOne() throws IOException, InterruptedException {
        Path model = new GgufWriter(TinyGpt2.generate(CONFIG, 3, 2, true)).write(dir.resolve("m.gguf"));
        Path corpus = dir.resolve("one-long-line.jsonl");
        try (OutputStream out = Files.newOutputStream(corpus)) {
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) 'x');
            out.write("{\"text\": \"".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 60; i++) { // under the 64 MiB line limit, over what a 48 MiB heap can buffer
                out.write(block);
            }
            out.write("\"}\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (boolean debug : new boolean[] {false, true}) {
            List<String> args = new java.util.ArrayList<>(List.of("stats", corpus.toString(), "-m", model.toString(), "--progress", "never"));
            if (debug) {
                args.add("--debug");
            }
            Path log = dir.resolve("log-" + debug + ".txt");
            Process process = new ProcessBuilder(CliProcess.command(List.of("-Xmx48m"), args.toArray(String[]::new)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the command ends");
            List<String> lines = Files.readAllLines(log).stream().filter(line -> !line.startsWith("WARNING: Using incubator")).toList();
            assertEquals(1, process.exitValue(), String.join("\n", lines));
            assertTrue(lines.getFirst().startsWith("logitlens: the JVM ran out of memory"), String.join("\n", lines));
            assertEquals(!debug, lines.size() == 1, String.join("\n", lines));
        }
    }
}
