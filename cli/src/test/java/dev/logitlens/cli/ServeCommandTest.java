package dev.logitlens.cli;

import dev.logitlens.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code logitlens serve} as a command: in a process of its own it prints the page's address, serves it, and on SIGTERM
 * (what Ctrl-C's SIGINT also does: the JVM's shutdown) stops the server, closes the model and exits; its command-line
 * faults are exit 2 and a port it cannot have is exit 1, both with a message and before anything is served.
 */
class ServeCommandTest {

    private static final Pattern ADDRESS = Pattern.compile("serving the lens of gpt-nano-sort-model\\.json at (http://\\S+)  \\(Ctrl-C stops\\)");

    @TempDir
    Path dir;

    @Test
    void servesOnLoopbackUntilStoppedThenClosesTheModel() throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process process = new ProcessBuilder(CliProcess.command("serve", "--model", Fixtures.gptNanoSortModel().toString(),
                "--port", "0", "--threads", "1"))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            Matcher matcher = ADDRESS.matcher(firstLine(process, out, err));
            assertTrue(matcher.matches(), Files.readString(out));
            URI uri = URI.create(matcher.group(1));
            assertEquals("127.0.0.1", uri.getHost(), "loopback by default");
            assertTrue(uri.getPort() > 0, "port 0 took a free port: " + uri);

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("\"model\":\"gpt-nano-sort-model.json\""), "the page names the model");
            HttpResponse<String> lens = http.send(HttpRequest.newBuilder(uri.resolve("/api/lens"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tokens\": [2, 1, 0]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, lens.statusCode(), lens.body());
        } finally {
            process.destroy(); // SIGTERM
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("serve did not stop on SIGTERM: " + Files.readString(err));
            }
        }
        assertEquals(List.of("stopped"), Files.readAllLines(out).subList(1, Files.readAllLines(out).size()),
                "the shutdown closed the server and the model: " + Files.readString(out));
        assertEquals(143, process.exitValue(), "the exit status of SIGTERM");
        assertFalse(Files.readString(err).contains("Exception"), Files.readString(err));
    }

    @Test
    void anotherAddressThanLoopbackIsServedWithAWarning() throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process process = new ProcessBuilder(CliProcess.command("serve", "--model", Fixtures.gptNanoSortModel().toString(),
                "--host", "0.0.0.0", "--port", "0", "--threads", "1"))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            String line = firstLine(process, out, err);
            assertTrue(ADDRESS.matcher(line).matches(), line);
        } finally {
            process.destroy();
            process.waitFor(60, TimeUnit.SECONDS);
        }
        assertTrue(Files.readString(err).contains("logitlens serve: warning: listening on 0.0.0.0, not on this machine's loopback"
                + " address: anyone who can reach it can run the model"), Files.readString(err));
    }

    /** The first whole line the process writes to {@code out}; fails with its output if it ends first. */
    private static String firstLine(Process process, Path out, Path err) throws Exception {
        while (true) {
            String text = Files.readString(out);
            int end = text.indexOf('\n');
            if (end >= 0) {
                return text.substring(0, end);
            }
            if (!process.isAlive()) {
                fail("serve ended (exit " + process.exitValue() + ") before printing its address: " + text + Files.readString(err));
            }
            Thread.sleep(50);
        }
    }

    @Test
    void faultsOfTheCommandLineAreExit2AndATakenPortIsExit1() throws Exception {
        String model = Fixtures.gptNanoSortModel().toString();
        CliTest.Run port = CliTest.cli("serve", "--model", model, "--port", "65536");
        assertEquals(2, port.exit(), port.err());
        assertTrue(port.err().contains("--port 65536: use 1 to 65535, or 0 for any free port"), port.err());
        CliTest.Run topK = CliTest.cli("serve", "--model", model, "--top-k", "4");
        assertEquals(2, topK.exit(), topK.err());
        assertTrue(topK.err().contains("--top-k 4: use 1 to 3 (the model's vocabulary has 3 tokens)"), topK.err());
        CliTest.Run klMax = CliTest.cli("serve", "--model", model, "--kl-max", "0");
        assertEquals(2, klMax.exit(), klMax.err());
        assertEquals(2, CliTest.cli("serve", "--port", "0").exit(), "no model");

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliTest.Run busy = CliTest.cli("serve", "--model", model, "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(1, busy.exit(), busy.err());
            assertTrue(busy.err().contains("cannot listen on 127.0.0.1 port " + taken.getLocalPort()), busy.err());
            assertTrue(busy.err().contains("--port 0 takes any free port"), busy.err());
        }
    }
}
