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
        StringBuilder text = new StringBuilder();
        for (int d = 0; d < documents; d++) {
            int[] tokens = random.ints(1 + random.nextInt(30), 0, CONFIG.nVocab()).toArray();
            text.append("{\"tokens\": ").append(Arrays.toString(tokens)).append("}\n");
        }
        return Files.writeString(file, text);
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
        assertTrue(names(out).stream().noneMatch(name -> name.startsWith(".")), "no temporary files left: " + names(out));
        TableAssertions.assertSameRows(reference(big, options), csvRows(out));
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
        assertTrue(left.stream().noneMatch(name -> name.startsWith(".")), "no temporary files: " + left);
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
