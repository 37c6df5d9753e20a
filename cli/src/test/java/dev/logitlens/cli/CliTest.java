package dev.logitlens.cli;

import dev.logitlens.io.NpyWriter;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.ReferenceGpt2;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line end to end, in-process, on generated models and on the trained fixture. */
class CliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);

    @TempDir
    Path dir;

    /** What an in-process run of the command line returned and printed. */
    record Run(int exit, String out, String err) {
    }

    /** Runs the command line in-process with the process's environment (the other CLI tests use this too). */
    static Run cli(String... args) {
        return cli(System.getenv(), args);
    }

    /** Runs the command line in-process with the given environment variables. */
    static Run cli(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LogitLensCli.run(new PrintWriter(out, true), new PrintWriter(err, true), environment, args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void residualsWritesEveryModeAsNpyMatchingTheReference() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 8, 4, false);
        Path model = new SafetensorsWriter(weights).writeFolder(dir.resolve("hf"));
        int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
        ReferenceGpt2.Trace trace = new ReferenceGpt2(weights).run(tokens);
        String ids = "3,1,4,1,5,9,2,6";

        Path normalised = dir.resolve("n.npy");
        Path mid = dir.resolve("mid.npy");
        Run run = cli("residuals", "--model", model.toString(), "--tokens", ids, "--out", normalised.toString(), "--mid", mid.toString());
        assertEquals(0, run.exit(), run.err());
        assertArrayEquals(new long[] {3, 8, 32}, NpyWriter.readShape(normalised));
        assertArrayEquals(new long[] {2, 8, 32}, NpyWriter.readShape(mid));
        assertClose(trace.normalized(true), NpyWriter.readFloat32(normalised));
        assertClose(trace.midNormalized(true), NpyWriter.readFloat32(mid));

        Path raw = dir.resolve("raw.npy");
        assertEquals(0, cli("residuals", "-m", model.toString(), "--tokens", ids, "-o", raw.toString(), "--raw").exit());
        assertClose(trace.residual(), NpyWriter.readFloat32(raw));

        Path noAffine = dir.resolve("na.npy");
        assertEquals(0, cli("residuals", "-m", model.toString(), "--tokens", ids, "-o", noAffine.toString(), "--no-affine").exit());
        assertClose(trace.normalized(false), NpyWriter.readFloat32(noAffine));
    }

    @Test
    void runPrintsTheTableAndJsonOfTheTrainedFixture() throws IOException {
        String model = Fixtures.gptNanoSortModel().toString();
        Run table = cli("run", "--model", model, "--tokens", "2,1,0,2,1,0,0,0,1,1,2", "--color", "never");
        assertEquals(0, table.exit(), table.err());
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(1).startsWith("h3"), table.out());
        assertTrue(lines.get(4).startsWith("in"), table.out());
        // the trained model sorts: from position 5 on, its final layer predicts the sorted digits 0 0 0 1 1 2
        assertTrue(lines.get(1).contains("*0        *0        *0        *1        *1        *2"), table.out());

        Run json = cli("run", "--model", model, "--tokens", "0,1,2", "--format", "json", "-k", "3", "--kernel", "jvm");
        assertEquals(0, json.exit(), json.err());
        Map<String, Object> root = Json.asObject(Json.parse(json.out()), "output");
        List<Object> layers = Json.asArray(root.get("layers"), "layers");
        assertEquals(4, layers.size());
        Map<String, Object> finalFirst = Json.asObject(Json.asArray(layers.get(3), "layer").get(0), "cell");
        assertEquals(1L, Json.asLong(finalFirst.get("rank_final_top1"), "rank"));
        double sum = 0;
        for (Object entry : Json.asArray(finalFirst.get("top"), "top")) {
            sum += Json.asDouble(Json.asObject(entry, "top").get("prob"), "prob");
        }
        assertEquals(1.0, sum, 1e-5, "the top-3 of a 3-token vocabulary hold all the probability");
    }

    @Test
    void timingsNameEveryPhaseOfTheDataPathAndChangeNothingElse() throws IOException {
        String model = Fixtures.gptNanoSortModel().toString();
        String[] args = {"run", "--model", model, "--tokens", "2,1,0,2,1", "--format", "csv"};
        Run plain = cli(args);
        String[] timed = java.util.Arrays.copyOf(args, args.length + 1);
        timed[args.length] = "--timings";
        Run run = cli(timed);
        assertEquals(0, run.exit(), run.err());
        assertEquals(plain.out(), run.out(), "the timings go to standard error only");
        assertTrue(run.err().startsWith("timings (native-f32 + native statistics, "), run.err());
        for (String phase : new String[] {"native library load", "model open", "weight upload", "W_U preparation",
                "forward pass", "projection", "statistics", "output", "sum"}) {
            assertTrue(run.err().lines().anyMatch(line -> line.startsWith(phase) && line.endsWith(" ms")), phase + " in\n" + run.err());
        }
        assertFalse(plain.err().contains("timings"), plain.err());
    }

    @Test
    void wrongArgumentsExitWithTwoAndFailuresWithOne() throws IOException {
        Path gguf = new GgufWriter(TinyGpt2.generate(CONFIG, 1, 2, true)).write(dir.resolve("m.gguf"));
        Path out = dir.resolve("o.npy");
        assertEquals(2, cli("residuals", "--model", gguf.toString(), "--out", out.toString()).exit(), "no input");
        assertEquals(2, cli("residuals", "--model", gguf.toString(), "--tokens", "1", "--text", "a", "--out", out.toString()).exit());
        assertEquals(2, cli("residuals", "--model", gguf.toString(), "--tokens", "53", "--out", out.toString()).exit(), "id ≥ vocab");
        assertEquals(2, cli("residuals", "--model", gguf.toString(), "--tokens", "x", "--out", out.toString()).exit());
        assertEquals(2, cli("residuals", "--model", gguf.toString(), "--tokens", "1", "--out", out.toString(), "--raw", "--no-affine").exit());
        Run oneFile = cli("residuals", "--model", gguf.toString(), "--tokens", "1", "--out", out.toString(),
                "--mid", dir.resolve(".").resolve("o.npy").toString());
        assertEquals(2, oneFile.exit(), "--out and --mid one file");
        assertTrue(oneFile.err().contains("--out and --mid name the same file"), oneFile.err());
        assertFalse(Files.exists(out), "nothing written");
        assertEquals(2, cli("run", "--model", gguf.toString(), "--text", "hello").exit(), "text needs GPT-2's vocabulary");
        assertEquals(2, cli("frobnicate").exit());
        assertEquals(2, cli("run", "--model", gguf.toString(), "--tokens", "1", "--color", "sometimes").exit());

        Run missing = cli("residuals", "--model", dir.resolve("nope.gguf").toString(), "--tokens", "1", "--out", out.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("nope.gguf"), missing.err());

        Path corrupt = Files.write(dir.resolve("bad.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0});
        Run bad = cli("run", "--model", corrupt.toString(), "--tokens", "1");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("bad.gguf"), bad.err());

        Run noFolder = cli("residuals", "--model", gguf.toString(), "--tokens", "1", "--out", dir.resolve("no/such/dir/o.npy").toString());
        assertEquals(1, noFolder.exit());
        assertTrue(noFolder.err().contains("does not exist"), noFolder.err());
        assertFalse(Files.exists(out), "nothing written by the failed runs");
    }

    private static void assertClose(double[][][] expected, float[] actual) {
        int i = 0;
        for (double[][] layer : expected) {
            for (double[] row : layer) {
                double scale = 0;
                for (double v : row) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (double v : row) {
                    assertEquals(v, actual[i++], 1e-5 * scale);
                }
            }
        }
        assertEquals(i, actual.length);
    }
}
