package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TableAssertions;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code dump} and {@code stats} end to end: formats, both model files, the trained fixture, bad input, a full disk, Ctrl-C. */
class DumpCliTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);

    @TempDir
    static Path shared;

    static Path gguf;
    static Path safetensors;
    static Path corpus;

    @TempDir
    Path dir;

    @BeforeAll
    static void models() throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(CONFIG, 21, 4, false);
        gguf = new GgufWriter(weights).write(shared.resolve("m.gguf"));
        safetensors = new SafetensorsWriter(weights).writeFolder(shared.resolve("hf"));
        corpus = tokensCorpus(shared.resolve("corpus.jsonl"), 9, 1);
    }

    /** {@code documents} JSONL documents of token ids, lengths 1 to 30. */
    static Path tokensCorpus(Path file, int documents, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] tokens = new int[documents][];
        for (int d = 0; d < documents; d++) {
            tokens[d] = random.ints(1 + random.nextInt(30), 0, CONFIG.nVocab()).toArray();
        }
        return Fixtures.writeTokenCorpus(file, tokens);
    }

    static List<Map<String, String>> csvRows(Path folder) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path part : files.filter(p -> p.getFileName().toString().matches("part-\\d+\\.csv")).sorted().toList()) {
                rows.addAll(CsvReader.rows(Files.readString(part)));
            }
        }
        rows.sort(Comparator.comparingInt((Map<String, String> r) -> Integer.parseInt(r.get("doc")))
                .thenComparingInt(r -> Integer.parseInt(r.get("position")))
                .thenComparingInt(r -> Integer.parseInt(r.get("layer"))));
        return rows;
    }

    static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean contains(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void dumpWritesEveryFormatAndBothModelFilesAgree() throws IOException {
        Path fromGguf = dir.resolve("gguf");
        Run run = cli("dump", corpus.toString(), "--model", gguf.toString(), "--out", fromGguf.toString(),
                "--format", "jsonl,csv,parquet,npy", "--top-k", "2", "--layers", "0,last", "--window", "8", "--stride", "6",
                "--shard-docs", "4", "--progress", "never");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("in 3 shards"), run.err());
        List<String> files = names(fromGguf);
        for (String part : List.of("part-00000", "part-00001", "part-00002")) {
            for (String suffix : List.of(".jsonl", ".csv", ".parquet", ".npy", ".docs.jsonl")) {
                assertTrue(files.contains(part + suffix), part + suffix + " in " + files);
            }
        }
        Map<String, Object> manifest = Json.asObject(Json.parse(Files.readString(fromGguf.resolve("manifest.json"))), "manifest");
        Map<String, Object> settings = Json.asObject(manifest.get("settings"), "settings");
        assertEquals(List.of(0L, 2L), settings.get("layers"));
        assertEquals(6L, settings.get("stride"));

        List<Map<String, String>> rows = csvRows(fromGguf);
        int tokens = 0;
        for (String line : Files.readAllLines(corpus)) {
            tokens += Json.asArray(Json.asObject(Json.parse(line), "doc").get("tokens"), "tokens").size();
        }
        assertEquals(2 * tokens, rows.size(), "each position once, at two layers");
        assertEquals(Set2.of("0", "2"), Set2.copy(rows.stream().map(r -> r.get("layer")).toList()));
        assertFalse(rows.getFirst().containsKey("top3_id"));

        Path fromSafetensors = dir.resolve("st");
        assertEquals(0, cli("dump", corpus.toString(), "-m", safetensors.toString(), "-o", fromSafetensors.toString(),
                "--format", "csv,parquet", "--parquet-compression", "uncompressed", "-k", "2", "--layers", "0-2",
                "--window", "8", "--stride", "6", "--progress", "never").exit());
        // the Parquet pages are gzip members by default, and none with --parquet-compression uncompressed (the engine's
        // tests read both back with DuckDB); a gzip member starts with these 10 bytes, as ParquetWriter writes it
        byte[] gzipHeader = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        assertTrue(contains(Files.readAllBytes(fromGguf.resolve("part-00000.parquet")), gzipHeader));
        assertFalse(contains(Files.readAllBytes(fromSafetensors.resolve("part-00000.parquet")), gzipHeader));
        List<Map<String, String>> all = csvRows(fromSafetensors);
        assertEquals(3 * tokens, all.size());
        int r = 0;
        for (Map<String, String> row : all) {
            if (row.get("layer").equals("1")) {
                continue;
            }
            Map<String, String> other = rows.get(r++);
            for (String column : List.of("doc", "position", "layer", "token_id", "next_id", "top1_id", "rank_next", "rank_final_top1")) {
                assertEquals(other.get(column), row.get(column), column);
            }
            assertEquals(Double.parseDouble(other.get("kl_final")), Double.parseDouble(row.get("kl_final")), 1e-5);
        }
        assertEquals(rows.size(), r);
    }

    @Test
    void statsAgreeOnBothModelFilesAndCountEveryPositionOnce() throws IOException {
        Run fromGguf = cli("stats", corpus.toString(), "--model", gguf.toString(), "--format", "csv", "--window", "8", "--stride", "5",
                "--progress", "never");
        Run fromSafetensors = cli("stats", corpus.toString(), "--model", safetensors.toString(), "--format", "csv", "--window", "8",
                "--stride", "5", "--progress", "never");
        assertEquals(0, fromGguf.exit(), fromGguf.err());
        assertEquals(0, fromSafetensors.exit(), fromSafetensors.err());
        List<Map<String, String>> a = CsvReader.rows(fromGguf.out());
        List<Map<String, String>> b = CsvReader.rows(fromSafetensors.out());
        assertEquals(CONFIG.nLayer() + 1, a.size());
        int tokens = 0;
        int documents = 0;
        for (String line : Files.readAllLines(corpus)) {
            tokens += Json.asArray(Json.asObject(Json.parse(line), "doc").get("tokens"), "tokens").size();
            documents++;
        }
        for (int layer = 0; layer < a.size(); layer++) {
            assertEquals(Integer.toString(tokens), a.get(layer).get("positions"), "each position once, whatever the windows");
            assertEquals(Integer.toString(tokens - documents), a.get(layer).get("predicted"));
            for (String column : List.of("ce_nats_per_token", "kl_final_nats", "entropy_nats", "top1_agreement")) {
                assertEquals(Double.parseDouble(a.get(layer).get(column)), Double.parseDouble(b.get(layer).get(column)), 1e-5, column);
            }
        }
        assertEquals("1.0", a.getLast().get("top1_agreement"));
    }

    /** A tiny stand-in for Set.copyOf with a readable failure message. */
    private static final class Set2 {
        static java.util.Set<String> of(String... items) {
            return new java.util.TreeSet<>(List.of(items));
        }

        static java.util.Set<String> copy(List<String> items) {
            return new java.util.TreeSet<>(items);
        }
    }

    /** Nothing to predict (one-token documents, or none): exit 1 and a message, not a table of NaN. */
    @Test
    void statsWithNothingToAverageFail() throws IOException {
        String model = Fixtures.gptNanoSortModel().toString();
        Path single = Files.writeString(dir.resolve("single.jsonl"), "{\"tokens\": [2]}\n{\"tokens\": [1]}\n");
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        for (Path corpus : List.of(single, empty)) {
            Run stats = cli("stats", corpus.toString(), "--model", model, "--progress", "never");
            assertEquals(1, stats.exit(), stats.out() + stats.err());
            assertTrue(stats.err().contains(corpus.toString()), stats.err());
            assertFalse(stats.out().contains("NaN"), stats.out());
        }
        assertTrue(cli("stats", single.toString(), "--model", model, "--progress", "never").err().contains("nothing to average"));
    }

    @Test
    void theTrainedFixtureSortsAndStatsAgreeWithTheDump() throws IOException {
        String model = Fixtures.gptNanoSortModel().toString();
        Path docs = Files.writeString(dir.resolve("sort.jsonl"),
                "{\"tokens\": [2, 1, 0, 2, 1, 0, 0, 0, 1, 1, 2]}\n{\"tokens\": [1, 0, 2, 1, 2, 0, 0, 0, 1, 1, 2]}\n");
        Path out = dir.resolve("sort");
        assertEquals(0, cli("dump", docs.toString(), "--model", model, "--out", out.toString(), "--format", "csv", "-k", "3",
                "--progress", "never").exit());
        List<Map<String, String>> rows = csvRows(out);
        assertEquals(2 * 11 * 4, rows.size());
        // the final layer (3) of the trained model predicts the sorted half: positions 5..9 of both documents
        for (Map<String, String> row : rows) {
            int position = Integer.parseInt(row.get("position"));
            if (row.get("layer").equals("3") && position >= 5 && position <= 9) {
                assertEquals(row.get("next_id"), row.get("top1_id"), "position " + position);
                assertEquals("1", row.get("rank_next"));
            }
        }

        Run stats = cli("stats", docs.toString(), "--model", model, "--format", "json", "--progress", "never");
        assertEquals(0, stats.exit(), stats.err());
        List<Object> layers = Json.asArray(Json.asObject(Json.parse(stats.out()), "stats").get("layers"), "layers");
        assertEquals(4, layers.size());
        for (int layer = 0; layer < 4; layer++) {
            Map<String, Object> s = Json.asObject(layers.get(layer), "layer");
            String l = Integer.toString(layer);
            List<Map<String, String>> mine = rows.stream().filter(row -> row.get("layer").equals(l)).toList();
            List<Map<String, String>> predicted = mine.stream().filter(row -> !row.get("next_id").isEmpty()).toList();
            double ce = predicted.stream().mapToDouble(row -> -Double.parseDouble(row.get("logprob_next"))).average().orElseThrow();
            double accuracy = predicted.stream().filter(row -> row.get("top1_id").equals(row.get("next_id"))).count() / (double) predicted.size();
            double kl = mine.stream().mapToDouble(row -> Double.parseDouble(row.get("kl_final"))).average().orElseThrow();
            double agreement = mine.stream().filter(row -> row.get("rank_final_top1").equals("1")).count() / (double) mine.size();
            assertEquals(22L, s.get("positions"));
            assertEquals(20L, s.get("predicted"));
            assertEquals(ce, Json.asDouble(s.get("ce_nats_per_token"), "ce"), 1e-9);
            assertEquals(ce / Math.log(2), Json.asDouble(s.get("ce_bits_per_byte"), "bpb"), 1e-9, "one byte per token for this vocabulary");
            assertEquals(accuracy, Json.asDouble(s.get("top1_accuracy"), "accuracy"), 1e-12);
            assertEquals(kl / Math.log(2), Json.asDouble(s.get("kl_final_bits"), "kl"), 1e-9);
            assertEquals(agreement, Json.asDouble(s.get("top1_agreement"), "agreement"), 1e-12);
        }
        assertTrue(Json.asDouble(Json.asObject(layers.get(3), "final").get("top1_accuracy"), "accuracy") >= 0.5);

        Run table = cli("stats", docs.toString(), "--model", model, "--progress", "never");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("bits/byte") && table.out().lines().anyMatch(line -> line.startsWith("h3 ")), table.out());
        Run csv = cli("stats", docs.toString(), "--model", model, "--format", "csv", "--progress", "never");
        assertEquals(5, CsvReader.records(csv.out()).size());
    }

    @Test
    void wrongArgumentsExitTwoAndUnreadableInputsExitOne() throws IOException {
        String m = gguf.toString();
        String c = corpus.toString();
        String o = dir.resolve("o").toString();
        assertEquals(2, cli("dump", c, "-m", m).exit(), "no --out");
        assertEquals(2, cli("dump", "-m", m, "-o", o).exit(), "no input");
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--stride", "0").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--window", "8", "--stride", "9").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--window", "13").exit(), "window beyond the context");
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--layers", "3").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--layers", "two").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--format", "xml").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--top-k", "0").exit());
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--top-k", "100000").exit(), "top-k beyond the vocabulary");
        assertEquals(2, cli("dump", c, "-m", m, "-o", o, "--bos").exit(), "<|endoftext|> needs GPT-2's vocabulary");
        assertEquals(2, cli("stats", c, "-m", m, "--stride", "13").exit());
        assertFalse(Files.exists(Path.of(o)), "nothing written by refused command lines");

        Run missing = cli("dump", dir.resolve("nope.jsonl").toString(), "-m", m, "-o", o);
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("nope.jsonl"), missing.err());

        Path badUtf8 = Files.write(dir.resolve("bad.txt"), "fine\nbad \u00ff here\n".getBytes(StandardCharsets.ISO_8859_1));
        Run utf8 = cli("stats", badUtf8.toString(), "-m", m);
        assertEquals(1, utf8.exit());
        assertTrue(utf8.err().contains("bad.txt:2") && utf8.err().contains("UTF-8"), utf8.err());

        Path badJson = Files.writeString(dir.resolve("bad.jsonl"), "{\"tokens\": [1, 2]}\n{\"tokens\": [1, 99]}\n");
        Run json = cli("dump", badJson.toString(), "-m", m, "-o", o, "--progress", "never");
        assertEquals(1, json.exit());
        assertTrue(json.err().contains("bad.jsonl:2") && json.err().contains("99"), json.err());

        Path text = Files.writeString(dir.resolve("words.txt"), "some words\n");
        Run notGpt2 = cli("dump", text.toString(), "-m", m, "-o", dir.resolve("w").toString(), "--progress", "never");
        assertEquals(1, notGpt2.exit());
        assertTrue(notGpt2.err().contains("not GPT-2's"), notGpt2.err());

        Path first = dir.resolve("first");
        assertEquals(0, cli("dump", c, "-m", m, "-o", first.toString(), "--format", "csv", "--progress", "never").exit());
        Run other = cli("dump", c, "-m", m, "-o", first.toString(), "--format", "csv", "-k", "4", "--progress", "never");
        assertEquals(1, other.exit());
        assertTrue(other.err().contains("other settings") && other.err().contains("top_k"), other.err());
    }

    /** The dump of {@code corpus} with these options into a fresh folder, uninterrupted: the reference. */
    private List<Map<String, String>> reference(Path corpusFile, String... options) throws IOException {
        Path folder = Files.createTempDirectory(dir, "reference");
        List<String> args = new ArrayList<>(List.of("dump", corpusFile.toString(), "-m", gguf.toString(), "-o", folder.toString(),
                "--progress", "never"));
        args.addAll(List.of(options));
        Run run = cli(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        return csvRows(folder);
    }

    @Test
    void ctrlCStopsCleanlyAndARerunResumes() throws Exception {
        Path big = tokensCorpus(dir.resolve("big.jsonl"), 2000, 7);
        Path out = dir.resolve("interrupted");
        String[] options = {"--format", "csv", "--shard-docs", "5", "--threads", "1"};
        List<String> command = CliProcess.command("dump", big.toString(), "-m", gguf.toString(), "-o", out.toString(),
                "--progress", "never", "--format", "csv", "--shard-docs", "5", "--threads", "1");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (docsFiles(out) < 3) {
            if (!process.isAlive()) {
                fail("the dump ended before it could be interrupted: " + Files.readString(dir.resolve("log.txt")));
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                fail("no shard written in 120 s");
            }
            Thread.sleep(20);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the dump stops after Ctrl-C");
        String log = Files.readString(dir.resolve("log.txt"));
        assertEquals(130, process.exitValue(), log);
        assertTrue(log.contains("interrupted after") && log.contains("run the same command again to resume"), log);
        int done = docsFiles(out);
        assertTrue(done < 400, "interrupted before the end: " + done + " shards");
        for (String name : names(out)) {
            if (name.matches("part-\\d+\\.csv")) {
                CsvReader.rows(Files.readString(out.resolve(name))); // every visible part is whole CSV
            }
        }

        List<String> args = new ArrayList<>(List.of("dump", big.toString(), "-m", gguf.toString(), "-o", out.toString(), "--progress", "never"));
        args.addAll(List.of(options));
        Run resumed = cli(args.toArray(String[]::new));
        assertEquals(0, resumed.exit(), resumed.err());
        assertTrue(resumed.err().contains((done * 5) + " done before, skipped"), resumed.err());
        assertEquals(400, docsFiles(out));
        assertTrue(names(out).stream().noneMatch(name -> name.startsWith(".") && !name.equals(".logitlens-dump.lock")),
                "no temporary files left: " + names(out));
        TableAssertions.assertSameRows(reference(big, options), csvRows(out));
    }

    /** A dump process that stopped itself at a crash point ({@code -Dlogitlens.test.crashAt}), waiting to be killed. */
    private record Paused(Process process, String label) {
        /** SIGKILL, as a crash or the OOM killer would. */
        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Unix
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the killed dump ended");
            assertEquals(137, process.exitValue(), "ended by SIGKILL");
        }
    }

    /** Starts {@code logitlens args} in a new JVM that pauses at crash point {@code step}. */
    private static Process startPausingAt(int step, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(CliProcess.command(args.toArray(String[]::new)));
        command.add(1, "-Dlogitlens.test.crashAt=" + step);
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Waits for a process of {@link #startPausingAt} to pause; null when it ended before (normally). */
    private static Paused awaitPause(Process process, int step, Path log) throws IOException, InterruptedException {
        StringBuilder output = new StringBuilder();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String prefix = "logitlens-test paused at step " + step + ": ";
            String line;
            while ((line = reader.readLine()) != null) {
                output.append(line).append('\n');
                if (line.startsWith(prefix)) {
                    Files.writeString(log, output);
                    return new Paused(process, line.substring(prefix.length()));
                }
            }
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        Files.writeString(log, output);
        assertEquals(0, process.exitValue(), "a dump that was not paused ends normally: " + output);
        return null;
    }

    private static Paused pauseAt(int step, Path log, List<String> args) throws IOException, InterruptedException {
        return awaitPause(startPausingAt(step, args), step, log);
    }

    private static List<String> dumpArgs(Path corpusFile, Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("dump", corpusFile.toString(), "-m", gguf.toString(), "-o", out.toString()));
        args.addAll(List.of(options));
        return args;
    }

    /**
     * Two dumps of different corpora into one new folder at once: the second fails at once naming the first's pid and
     * writes nothing; once the first is killed, its lock (the file is still there) is taken over.
     */
    @Test
    void aSecondDumpIntoTheFolderFailsAtOnceAndAKilledDumpsLockIsTakenOver() throws Exception {
        Path other = tokensCorpus(dir.resolve("other.jsonl"), 5, 99);
        Path out = dir.resolve("contested");
        String[] options = {"--format", "csv", "--shard-docs", "2", "--progress", "never"};
        Paused first = pauseAt(1, dir.resolve("first.log"), dumpArgs(corpus, out, options));
        long firstPid = first == null ? -1 : first.process().pid();
        try {
            assertTrue(first != null && first.label().equals("dump folder locked"), String.valueOf(first));
            Run second = cli(dumpArgs(other, out, options).toArray(String[]::new));
            assertEquals(1, second.exit(), second.err());
            assertTrue(second.err().contains(out.toString()) && second.err().contains("another dump (pid " + first.process().pid() + ")"),
                    second.err());
            assertEquals(1, second.err().strip().lines().count(), "one line: " + second.err());
            assertEquals(List.of(".logitlens-dump.lock"), names(out), "the refused dump wrote nothing");
        } finally {
            if (first != null) {
                first.kill();
            }
        }
        assertEquals("pid " + firstPid + "\n", Files.readString(out.resolve(".logitlens-dump.lock")),
                "the killed dump's lock file is left, without its OS lock");

        Run taken = cli(dumpArgs(other, out, options).toArray(String[]::new));
        assertEquals(0, taken.exit(), taken.err());
        Map<String, Object> manifest = Json.asObject(Json.parse(Files.readString(out.resolve("manifest.json"))), "manifest");
        assertEquals(other.toString(), Json.asObject(manifest.get("corpus"), "corpus").get("path"));
        assertTrue(names(out).stream().noneMatch(name -> name.startsWith(".") && !name.equals(".logitlens-dump.lock")), names(out).toString());
        assertEquals(0, Files.size(out.resolve(".logitlens-dump.lock")), "emptied of its pid");
        Run refused = cli(dumpArgs(corpus, out, options).toArray(String[]::new));
        assertEquals(1, refused.exit(), refused.err());
        assertTrue(refused.err().contains("other settings") && refused.err().contains("(corpus."), refused.err());
    }

    /** A folder holding a file the dump did not write and no manifest: exit 1, one line naming it, the file untouched. */
    @Test
    void aFolderThatIsNotADumpIsRefused() throws IOException {
        Path out = Files.createDirectory(dir.resolve("mine"));
        Path notes = Files.writeString(out.resolve("part-00000.jsonl"), "{\"my\": \"notes\"}\n");
        Run run = cli(dumpArgs(corpus, out, "--format", "jsonl", "--progress", "never").toArray(String[]::new));
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().contains(out.toString()) && run.err().contains("part-00000.jsonl")
                && run.err().contains("not a logitlens dump"), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
        assertEquals(List.of("part-00000.jsonl"), names(out));
        assertEquals("{\"my\": \"notes\"}\n", Files.readString(notes));
    }

    /**
     * SIGKILL at chosen and at random points of a dump (half-way through the manifest's write, in the renames that publish a shard, in
     * the NPY folder's; the last twice in a row), then a rerun: the folder ends byte for
     * byte equal to that of an uninterrupted dump. Nothing in it depends on the run (no time, pid or host name).
     */
    @Test
    void aDumpKilledAtAnyPointAndRerunEndsWithTheBytesOfAnUninterruptedOne() throws Exception {
        String[] options = {"--format", "csv,npy", "--shard-docs", "3", "--top-k", "2", "--progress", "never"};
        Path reference = dir.resolve("reference");
        List<String> command = new ArrayList<>(CliProcess.command(dumpArgs(corpus, reference, options).toArray(String[]::new)));
        command.add(1, "-Dlogitlens.test.crashAt=trace");
        Process traced = new ProcessBuilder(command).redirectErrorStream(true).start();
        String trace = new String(traced.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(traced.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, traced.exitValue(), trace);
        List<String> steps = new ArrayList<>();
        for (String line : trace.lines().toList()) {
            if (line.startsWith("logitlens-test step ")) {
                assertEquals("logitlens-test step " + (steps.size() + 1) + ": ", line.substring(0, line.indexOf(": ") + 2));
                steps.add(line.substring(line.indexOf(": ") + 2));
            }
        }
        Map<String, byte[]> expected = dev.logitlens.testing.FolderBytes.of(reference);
        assertEquals(Set2.of(".logitlens-dump.lock", "manifest.json", "part-00000.csv", "part-00000.docs.jsonl", "part-00000.npy/", "part-00001.csv",
                "part-00001.docs.jsonl", "part-00001.npy/", "part-00002.csv", "part-00002.docs.jsonl", "part-00002.npy/"),
                Set2.copy(expected.keySet().stream().filter(name -> !name.contains(".npy/") || name.endsWith(".npy/")).toList()));

        List<Integer> chosen = new ArrayList<>();
        chosen.add(steps.indexOf("half of manifest.json written") + 1);
        chosen.add(steps.indexOf("rename to part-00001.npy") + 1); // the NPY folder, into the staging folder
        chosen.add(steps.lastIndexOf("rename to part-00001.csv") + 1); // publishing shard 1: the first file
        chosen.add(steps.lastIndexOf("rename to part-00001.docs.jsonl") + 1); // ... and its last
        assertTrue(chosen.stream().allMatch(step -> step > 0), chosen + " in " + steps);
        assertTrue(steps.indexOf("rename to part-00001.docs.jsonl") < steps.lastIndexOf("rename to part-00001.csv"),
                "the publishing renames come after the staged files are complete");
        long[] seeds = {1, 2};
        for (long seed : seeds) {
            chosen.add(1 + new SplittableRandom(seed).nextInt(steps.size()));
        }
        // the dumps to kill run side by side (each into its own folder): a JVM's start is most of their time
        List<List<String>> args = new ArrayList<>();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            args.add(dumpArgs(corpus, dir.resolve("killed-" + i), options));
            processes.add(startPausingAt(chosen.get(i), args.get(i)));
        }
        List<String> what = new ArrayList<>();
        try {
            for (int i = 0; i < chosen.size(); i++) {
                int step = chosen.get(i);
                Paused paused = awaitPause(processes.get(i), step, dir.resolve("killed-" + i + ".log"));
                assertTrue(paused != null, "step " + step + " reached");
                assertEquals(steps.get(step - 1), paused.label(), "the steps of a dump are always the same");
                paused.kill();
                what.add("killed at step " + step + " (" + paused.label() + ")");
            }
            // the last is killed again in its rerun, at a random point of the rerun's own steps (when it has that many)
            int last = chosen.size() - 1;
            int again = 1 + new SplittableRandom(seeds[seeds.length - 1] + 100).nextInt(steps.size());
            processes.set(last, startPausingAt(again, args.get(last)));
            Paused second = awaitPause(processes.get(last), again, dir.resolve("killed-" + last + "-again.log"));
            if (second != null) {
                second.kill();
                what.set(last, what.get(last) + ", then at step " + again + " (" + second.label() + ")");
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
        for (int i = 0; i < chosen.size(); i++) {
            Run rerun = cli(args.get(i).toArray(String[]::new));
            assertEquals(0, rerun.exit(), what.get(i) + ": " + rerun.err());
            dev.logitlens.testing.FolderBytes.assertSame(expected, dev.logitlens.testing.FolderBytes.of(dir.resolve("killed-" + i)),
                    what.get(i) + ", then rerun: ");
        }
    }

    private static int docsFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        return (int) names(folder).stream().filter(name -> name.endsWith(".docs.jsonl")).count();
    }

    /**
     * A real full disk: the dump writes into a 64 KiB tmpfs mounted in a private mount namespace ({@code unshare -m},
     * which needs root or user namespaces). It must fail with exit 1 and a clear message, leave only complete parts,
     * and after the disk is enlarged, the same command finishes the dump from where it stopped.
     */
    @Test
    void aFullDiskFailsCleanlyAndLosesNothing() throws Exception {
        if (Boolean.getBoolean("logitlens.skipNamespaceTests")) {
            return;
        }
        Path mount = Files.createDirectories(dir.resolve("small-disk"));
        Path saved = dir.resolve("saved");
        Path first = dir.resolve("first.log");
        Path second = dir.resolve("second.log");
        String dump = String.join(" ", CliProcess.command("dump", corpus.toString(), "-m", gguf.toString(), "-o",
                mount.resolve("out").toString(), "--format", "csv", "--shard-docs", "1", "--progress", "never").stream()
                .map(DumpCliTest::quote).toList());
        String script = "set -u; mount -t tmpfs -o size=64k tmpfs " + quote(mount.toString()) + " || exit 97\n"
                + dump + " > " + quote(first.toString()) + " 2>&1; echo $? > " + quote(dir.resolve("first.rc").toString()) + "\n"
                + "mkdir -p " + quote(saved.resolve("after-failure").toString()) + " && cp -a " + quote(mount.resolve("out").toString())
                + "/. " + quote(saved.resolve("after-failure").toString()) + "\n"
                + "mount -o remount,size=16m " + quote(mount.toString()) + " || exit 98\n"
                + dump + " > " + quote(second.toString()) + " 2>&1; echo $? > " + quote(dir.resolve("second.rc").toString()) + "\n"
                + "mkdir -p " + quote(saved.resolve("resumed").toString()) + " && cp -a " + quote(mount.resolve("out").toString())
                + "/. " + quote(saved.resolve("resumed").toString()) + "\n";
        Process process = new ProcessBuilder("unshare", "-m", "sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(dir.resolve("unshare.log").toFile()).start();
        assertTrue(process.waitFor(300, TimeUnit.SECONDS));
        if (process.exitValue() == 97 || process.exitValue() == 98 || !Files.exists(dir.resolve("first.rc"))) {
            fail("cannot mount a small tmpfs here (unshare -m needs root or user namespaces; set -Dlogitlens.skipNamespaceTests=true "
                    + "to skip): " + Files.readString(dir.resolve("unshare.log")));
        }
        String firstLog = Files.readString(first);
        assertEquals("1", Files.readString(dir.resolve("first.rc")).strip(), firstLog);
        assertTrue(firstLog.contains("the disk is full"), firstLog);
        Path afterFailure = saved.resolve("after-failure");
        List<String> left = names(afterFailure);
        assertTrue(left.contains("manifest.json"), left.toString());
        assertTrue(left.stream().noneMatch(name -> name.startsWith(".") && !name.equals(".logitlens-dump.lock")), "no temporary files: " + left);
        int completeShards = (int) left.stream().filter(name -> name.endsWith(".docs.jsonl")).count();
        assertTrue(completeShards >= 1 && completeShards < 9, "the disk filled part way: " + left);
        for (String name : left) {
            if (name.matches("part-\\d+\\.csv")) {
                CsvReader.rows(Files.readString(afterFailure.resolve(name)));
            }
        }

        String secondLog = Files.readString(second);
        assertEquals("0", Files.readString(dir.resolve("second.rc")).strip(), secondLog);
        assertTrue(secondLog.contains(completeShards + " done before, skipped"), secondLog);
        TableAssertions.assertSameRows(reference(corpus, "--format", "csv", "--shard-docs", "1"), csvRows(saved.resolve("resumed")));
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "'\"'\"'") + "'";
    }
}
