package dev.logitlens.spark;

import dev.logitlens.cli.LogitLensCli;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.TableColumn;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Spark job in local mode against the command line itself ({@link LogitLensCli#run}) on a generated model and a
 * small corpus: the dump row for row and its manifest byte for byte, the stats table, a task failed once and retried,
 * corrupt documents. One SparkSession for the class, {@code local[2,2]}: 2 cores, a task may fail once.
 */
class LensSparkTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(53, 12, 32, 4, 2);
    /** Lengths: full windows, several overlapping windows, one token (no next token at all), and short ones. */
    private static final int[] LENGTHS = {5, 12, 30, 1, 13, 7, 20, 3};
    /** Windows of 8 tokens every 5: overlapping windows, whose later positions only are reported. */
    private static final String[] WINDOWS = {"--window", "8", "--stride", "5"};
    /** The dump's options (of both); Spark's partitions hold at most 3 documents. */
    private static final String[] DUMP = {"--top-k", "3", "--layers", "0,2", "--shard-docs", "3"};

    @TempDir
    static Path dir;

    static SparkSession spark;
    static String model;
    static String corpus;
    /** The command line's dump of the corpus. */
    static Path cliDump;

    @BeforeAll
    static void start() throws IOException {
        model = new GgufWriter(TinyGpt2.generate(CONFIG, 11, 4, true)).write(dir.resolve("m.gguf")).toString();
        SplittableRandom random = new SplittableRandom(5);
        StringBuilder jsonl = new StringBuilder();
        for (int length : LENGTHS) {
            jsonl.append("{\"tokens\": ").append(Arrays.toString(random.ints(length, 0, CONFIG.nVocab()).toArray())).append("}\n");
            jsonl.append("\n"); // blank lines are skipped, by both
        }
        corpus = Files.writeString(dir.resolve("corpus.jsonl"), jsonl).toString();
        spark = SparkSession.builder().master("local[2,2]").appName("LensSparkTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        cliDump = dir.resolve("cli-dump");
        Result cli = cli("dump", corpus, "--model", model, "--out", cliDump.toString(), "--progress", "never");
        assertEquals(0, cli.code, cli.err);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    record Result(int code, String out, String err) {
    }

    private static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LogitLensCli.run(new PrintWriter(out), new PrintWriter(err), options(args));
        return new Result(code, out.toString(), err.toString());
    }

    private static Result sparkMain(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] options = options(args);
        int code = LensSparkMain.run(new PrintWriter(out), new PrintWriter(err),
                args[0].equals("stats") ? concat(options, new String[] {"--shard-docs", "3"}) : options);
        return new Result(code, out.toString(), err.toString());
    }

    private static String[] options(String[] args) {
        return concat(concat(args, WINDOWS), args[0].equals("dump") ? DUMP : new String[0]);
    }

    private static String[] concat(String[] a, String[] b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    /** The Parquet files of a dump folder (which also holds manifest.json, and the command line's documents files). */
    private static Dataset<Row> parquet(Path folder) {
        return spark.read().option("pathGlobFilter", "*.parquet").parquet(folder.toString());
    }

    private static List<Row> sorted(Dataset<Row> rows) {
        return rows.orderBy("doc", "position", "layer").collectAsList();
    }

    /** Row for row: every column by name; ids, ranks, positions and texts exactly, reals to 1e-5, nulls alike. */
    private static void assertSameRows(List<Row> expected, List<Row> actual) {
        assertEquals(expected.size(), actual.size(), "rows");
        List<TableColumn> columns = LensRows.columns(3);
        for (int r = 0; r < expected.size(); r++) {
            Row e = expected.get(r);
            Row a = actual.get(r);
            for (TableColumn column : columns) {
                Object x = e.getAs(column.name());
                Object y = a.getAs(column.name());
                String where = "row " + r + " column " + column.name();
                if (x == null || y == null) {
                    assertEquals(x, y, where);
                } else if (x instanceof Float || x instanceof Double) {
                    assertEquals(((Number) x).doubleValue(), ((Number) y).doubleValue(), 1e-5, where);
                } else {
                    assertEquals(x, y, where);
                }
            }
        }
    }

    private static int documents() {
        return LENGTHS.length;
    }

    @Test
    void dumpEqualsTheCommandLinesRowForRowWithItsManifest() throws IOException {
        Path out = dir.resolve("spark-dump");
        Result result = sparkMain("dump", corpus, "--model", model, "--out", out.toString());
        assertEquals(0, result.code, result.err);

        Dataset<Row> cliRows = parquet(cliDump);
        Dataset<Row> sparkRows = parquet(out);
        // the same columns, in order, names and types, as the engine defines them; the units travel as metadata
        StructType schema = LensSchema.rows(3);
        List<TableColumn> columns = LensRows.columns(3);
        assertEquals(columns.size(), cliRows.schema().size());
        for (int i = 0; i < columns.size(); i++) {
            StructField field = sparkRows.schema().fields()[i];
            assertEquals(columns.get(i).name(), field.name());
            assertEquals(cliRows.schema().fields()[i].name(), field.name());
            assertEquals(cliRows.schema().fields()[i].dataType(), field.dataType(), field.name());
            assertEquals(schema.fields()[i].dataType(), field.dataType(), field.name());
            assertEquals(columns.get(i).nullable(), schema.fields()[i].nullable(), field.name());
            assertEquals(columns.get(i).unit(), field.metadata().getString(LensSchema.UNIT), field.name());
        }
        List<Row> expected = sorted(cliRows);
        assertTrue(expected.size() > 100, "a corpus of some size: " + expected.size());
        assertSameRows(expected, sorted(sparkRows));
        assertTrue(expected.stream().anyMatch(r -> r.isNullAt(r.fieldIndex("next_id"))), "rows without a next token");

        // the manifest, byte for byte; a Parquet file per partition of at most 3 documents, compressed
        assertEquals(Files.readString(cliDump.resolve("manifest.json")), Files.readString(out.resolve("manifest.json")));
        try (Stream<Path> files = Files.list(out)) {
            List<String> parts = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")).toList();
            assertEquals(3, parts.size(), parts.toString());
            assertTrue(parts.stream().allMatch(n -> n.contains(".zstd.")), parts.toString());
        }
        assertEquals(1, ExecutorModels.opened(), "one model for every partition of every job in this JVM");
        assertEquals(2, ExecutorModels.executorCores(), "local[2,2]: 2 cores");
        assertEquals(2, ExecutorModels.get(LensJob.of(model)).settings().threads(), "the model uses the executor's cores");
        assertEquals(1, ExecutorModels.opened());

        // the API's rows, not through Parquet, in partition order
        Dataset<Row> api = LensSpark.dump(LensSpark.documents(spark, Path.of(corpus), "text", 4),
                LensJob.of(model).withTopK(3).withLayers("0,2").withWindow(8, 5));
        assertEquals(schema, api.schema());
        List<Row> collected = api.collectAsList();
        assertSameRows(expected, collected);
        assertEquals(1, ExecutorModels.opened());

        // a folder that holds anything is refused, as the command line refuses a folder that is not its dump
        Result again = sparkMain("dump", corpus, "--model", model, "--out", out.toString());
        assertEquals(1, again.code);
        assertTrue(again.err.startsWith("logitlens: " + out + " exists and is not an empty folder"), again.err);
    }

    @Test
    void statsEqualTheCommandLines() throws Exception {
        Result cli = cli("stats", corpus, "--model", model, "--format", "json");
        assertEquals(0, cli.code, cli.err);
        Result spark = sparkMain("stats", corpus, "--model", model, "--format", "json");
        assertEquals(0, spark.code, spark.err);
        Map<String, Object> expected = Json.asObject(Json.parse(cli.out.strip()), "cli");
        Map<String, Object> actual = Json.asObject(Json.parse(spark.out.strip()), "spark");
        assertEquals(documents(), ((Number) actual.get("documents")).intValue());
        for (String key : List.of("documents", "tokens", "predicted_bytes")) {
            assertEquals(expected.get(key), actual.get(key), key);
        }
        List<Object> expectedLayers = Json.asArray(expected.get("layers"), "layers");
        List<Object> actualLayers = Json.asArray(actual.get("layers"), "layers");
        assertEquals(CONFIG.nLayer() + 1, actualLayers.size());
        for (int l = 0; l < expectedLayers.size(); l++) {
            Map<String, Object> e = Json.asObject(expectedLayers.get(l), "layer");
            Map<String, Object> a = Json.asObject(actualLayers.get(l), "layer");
            assertEquals(e.keySet(), a.keySet());
            for (String key : e.keySet()) {
                Object x = e.get(key);
                Object y = a.get(key);
                if (x instanceof Double d) {
                    assertEquals(d, ((Number) y).doubleValue(), 1e-9 * Math.max(1, Math.abs(d)), "layer " + l + " " + key);
                } else {
                    assertEquals(x, y, "layer " + l + " " + key); // counts exactly
                }
            }
        }
        assertEquals(1, ExecutorModels.opened());
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheOutputIsComplete() throws Exception {
        AtomicInteger failed = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failed.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        List<Row> expected = sorted(parquet(cliDump));
        LensJob job = LensJob.of(model).withTopK(3).withLayers("0,2").withWindow(8, 5);
        Dataset<Row> documents = LensSpark.documents(spark, Path.of(corpus), "text", 3); // 2, 3 and 3 documents
        System.setProperty(TestFailures.PROPERTY, "1");
        try {
            List<Row> rows = LensSpark.dump(documents, job).collectAsList();
            waitFor(failed, 1);
            assertEquals(1, failed.get(), "partition 1 failed once");
            assertSameRows(expected, rows);
            System.setProperty(TestFailures.PROPERTY, "2");
            Result stats = sparkMain("stats", corpus, "--model", model, "--format", "json");
            assertEquals(0, stats.code, stats.err);
            waitFor(failed, 2);
            assertEquals(2, failed.get(), "stats' partition 2 failed once");
            System.clearProperty(TestFailures.PROPERTY);
            assertEquals(Json.parse(sparkMain("stats", corpus, "--model", model, "--format", "json").out.strip()),
                    Json.parse(stats.out.strip()), "the same table as without the failure");
        } finally {
            System.clearProperty(TestFailures.PROPERTY);
            spark.sparkContext().removeSparkListener(listener);
        }
    }

    /** Listener events arrive on Spark's bus thread, after the job has ended. */
    private static void waitFor(AtomicInteger count, int least) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (count.get() < least && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Test
    void aCorruptDocumentGivesTheCommandLinesMessage() throws IOException {
        // read on the driver: a line that is not JSON; run on an executor: a token id outside the vocabulary
        String notJson = Files.writeString(dir.resolve("not-json.jsonl"), "{\"tokens\": [1, 2]}\n{\"tokens\": [1, 2\n").toString();
        String outside = Files.writeString(dir.resolve("outside.jsonl"),
                "{\"tokens\": [1, 2]}\n{\"tokens\": [3, 4]}\n{\"tokens\": [1, 2]}\n{\"tokens\": [1, 2]}\n{\"tokens\": [1, 53, 2]}\n").toString();
        for (String input : List.of(notJson, outside)) {
            for (String command : List.of("dump", "stats")) {
                List<String> args = new ArrayList<>(List.of(command, input, "--model", model));
                if (command.equals("dump")) {
                    args.addAll(List.of("--out", dir.resolve("corrupt-" + command + "-" + Path.of(input).getFileName()).toString()));
                }
                Result cli = cli(args.toArray(String[]::new));
                if (command.equals("dump")) {
                    args.set(args.size() - 1, args.getLast() + "-spark");
                }
                Result spark = sparkMain(args.toArray(String[]::new));
                assertEquals(1, cli.code, cli.err);
                assertEquals(1, spark.code, spark.err);
                String line = cli.err.lines().filter(l -> l.startsWith("logitlens: ")).findFirst().orElseThrow();
                assertTrue(line.contains(Path.of(input).getFileName() + ":"), line);
                assertEquals(line, spark.err.lines().findFirst().orElseThrow(), command + " " + input);
            }
        }
        String message = cli("stats", outside, "--model", model).err;
        assertTrue(message.contains("outside.jsonl:5: token id 53 at position 1 is outside the model's vocabulary [0, 53)"), message);
        assertNotEquals(-1, message.indexOf("logitlens: "));
    }

    @Test
    void badOptionsAreUsageErrors() {
        Result noModel = sparkMain("stats", corpus);
        assertEquals(2, noModel.code);
        assertTrue(noModel.err.contains("--model"), noModel.err);
        StringWriter err = new StringWriter();
        int code = LensSparkMain.run(new PrintWriter(new StringWriter()), new PrintWriter(err),
                "dump", corpus, "--model", model, "--out", dir.resolve("w").toString(), "--window", "13");
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("exceeds the model's context of 12"), err.toString());
        StringWriter strideErr = new StringWriter();
        assertEquals(2, LensSparkMain.run(new PrintWriter(new StringWriter()), new PrintWriter(strideErr),
                "stats", corpus, "--model", model, "--window", "4", "--stride", "5"), strideErr.toString());
        assertTrue(strideErr.toString().contains("stride"), strideErr.toString());
        assertArrayEquals(new int[] {0, 2}, LensJob.of(model).withLayers("0,last").layersFor(CONFIG));
        if (Files.exists(dir.resolve("w"))) {
            fail("a refused dump wrote nothing");
        }
    }
}
