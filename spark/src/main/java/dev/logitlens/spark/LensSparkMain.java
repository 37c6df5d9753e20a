package dev.logitlens.spark;

import dev.logitlens.corpus.Corpus;
import dev.logitlens.dump.DumpSettings;
import dev.logitlens.dump.LensDump;
import dev.logitlens.io.ParquetWriter;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.stats.StatsReport;
import dev.logitlens.table.LensRowsFormat;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Spark job's command line, for {@code spark-submit --class dev.logitlens.spark.LensSparkMain} and
 * {@code scripts/spark-local.sh}:
 *
 * <pre>
 * dump  INPUT --model MODEL --out DIR [options]   the dump's rows as Parquet (Spark's writer) and manifest.json
 * stats INPUT --model MODEL [--format table|csv|json] [options]
 * </pre>
 *
 * Options as {@code logitlens dump} / {@code stats} name them: {@code --top-k K}, {@code --layers LAYERS},
 * {@code --window N}, {@code --stride N}, {@code --bos}, {@code --no-affine}, {@code --text-field NAME},
 * {@code --shard-docs N} (documents per Spark partition, each written as its own files), {@code --shard-rows N}
 * (rows per Parquet file at most: Spark's {@code maxRecordsPerFile}), {@code --parquet-compression CODEC}
 * (Spark's: zstd, snappy, gzip, uncompressed; default zstd), {@code --threads N} (of each executor's model; default
 * its cores); and {@code --master URL} (default: what spark-submit set). The manifest is the command line's, byte for
 * byte, for the same options. A failure is one line, {@code logitlens: MESSAGE} (for a corrupt document, the command
 * line's message), and exit code 1; a wrong command line, exit code 2.
 */
public final class LensSparkMain {

    private LensSparkMain() {
    }

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8), args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command line; returns the exit code (0, 1 the work failed, 2 the command line was wrong). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("logitlens: " + e.getMessage());
            err.println("usage: LensSparkMain dump|stats INPUT --model MODEL [--out DIR] [options] (see the README)");
            err.flush();
            return 2;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("logitlens " + arguments.command);
        if (arguments.master != null) {
            builder.master(arguments.master).config("spark.ui.enabled", "false");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            if (arguments.command.equals("dump")) {
                dump(spark, arguments, err);
            } else {
                stats(spark, arguments, out);
            }
            out.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("logitlens: " + e.getMessage());
            err.flush();
            return 2;
        } catch (Exception | Error e) {
            err.println("logitlens: " + describe(e));
            if (Boolean.getBoolean("logitlens.debug")) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        }
    }

    private static void dump(SparkSession spark, Arguments a, PrintWriter err) throws IOException {
        Corpus corpus = Corpus.open(Path.of(a.input), a.textField);
        Gpt2Config config = config(a.model);
        LensJob job = a.job(config);
        DumpSettings settings = new DumpSettings(job.topK(), job.layersFor(config), job.windowFor(config), job.strideFor(config),
                job.bos(), List.of(LensRowsFormat.PARQUET), a.shardDocuments, a.shardRows, ParquetWriter.Codec.GZIP);
        LensDump.validate(config, settings);
        org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(a.out);
        FileSystem fs = folder.getFileSystem(spark.sparkContext().hadoopConfiguration());
        boolean empty = false;
        if (fs.exists(folder)) {
            FileStatus[] entries = fs.listStatus(folder);
            if (!fs.getFileStatus(folder).isDirectory() || entries.length > 0) {
                throw new IOException(a.out + " exists and is not an empty folder; the Spark dump writes a new one (it does not"
                        + " resume): choose an empty or new folder");
            }
            empty = true;
        }
        Dataset<Row> documents = LensSpark.documents(spark, corpus, partitions(corpus, a.shardDocuments));
        int count = (int) documents.count();
        LensSpark.dump(documents, job).write()
                .mode(empty ? "overwrite" : "errorifexists")
                .option("compression", a.compression)
                .option("maxRecordsPerFile", a.shardRows)
                .parquet(a.out);
        byte[] manifest = LensDump.manifestText(job.model(), config, job.lensSettings(1), corpus, count, settings)
                .getBytes(StandardCharsets.UTF_8);
        org.apache.hadoop.fs.Path partial = new org.apache.hadoop.fs.Path(folder, ".manifest.json.partial");
        try (FSDataOutputStream stream = fs.create(partial, true)) {
            stream.write(manifest);
        }
        if (!fs.rename(partial, new org.apache.hadoop.fs.Path(folder, "manifest.json"))) {
            throw new IOException("cannot move " + partial + " to manifest.json");
        }
        err.printf(Locale.ROOT, "wrote %s: %d documents in %d partitions%n", a.out, count, documents.rdd().getNumPartitions());
    }

    private static void stats(SparkSession spark, Arguments a, PrintWriter out) throws IOException {
        Corpus corpus = Corpus.open(Path.of(a.input), a.textField);
        Gpt2Config config = config(a.model);
        LensJob job = a.job(config);
        // the window, stride and --bos checked on the driver, as for a dump (a usage error, not a failed task)
        LensDump.validate(config, new DumpSettings(1, new int[] {0}, job.windowFor(config), job.strideFor(config), job.bos(),
                List.of(LensRowsFormat.PARQUET), 1, 1, ParquetWriter.Codec.GZIP));
        StatsReport report = LensSpark.stats(LensSpark.documents(spark, corpus, partitions(corpus, a.shardDocuments)), job);
        report.requirePredictions(a.input);
        switch (a.format) {
            case "table" -> report.printTable(out);
            case "csv" -> report.printCsv(out);
            default -> out.println(Json.write(report.json()));
        }
    }

    /** Partitions of at most {@code shardDocuments} consecutive documents. */
    private static int partitions(Corpus corpus, int shardDocuments) throws IOException {
        int documents = corpus.scan().documents();
        return Math.max(1, (int) ((documents + (long) shardDocuments - 1) / shardDocuments));
    }

    /** The model's shape, read on the driver from its file (memory-mapped, not loaded). */
    private static Gpt2Config config(String model) throws IOException {
        try (ModelWeights weights = ModelFiles.open(ExecutorModels.locate(model))) {
            return weights.config();
        }
    }

    /**
     * The message of the failure a user should see: Spark wraps a task's exception (a corrupt document, a bad model) in
     * its own; the first cause that is not Spark's is the one the command line would report.
     */
    static String describe(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause
                && (cause.getClass().getName().startsWith("org.apache.spark.") || cause instanceof java.io.UncheckedIOException
                    || cause instanceof java.util.concurrent.ExecutionException)) {
            cause = cause.getCause();
        }
        if (cause instanceof NoSuchFileException) {
            return "no such file: " + cause.getMessage();
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }

    /** The parsed command line. */
    private static final class Arguments {
        String command;
        String input;
        String model;
        String out;
        String master;
        String textField = "text";
        String layers = "all";
        String format = "table";
        String compression = "zstd";
        int topK; // 0: not given, 5 or the vocabulary when smaller (as on the command line)
        int window;
        int stride;
        int threads;
        int shardDocuments = 256;
        int shardRows = 1_000_000;
        boolean bos;
        boolean noAffine;

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            List<String> positional = new ArrayList<>();
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--bos")) {
                    a.bos = true;
                } else if (arg.equals("--no-affine")) {
                    a.noAffine = true;
                } else if (arg.startsWith("--")) {
                    String name = arg;
                    String value;
                    int eq = arg.indexOf('=');
                    if (eq > 0) {
                        name = arg.substring(0, eq);
                        value = arg.substring(eq + 1);
                    } else if (i + 1 < args.length) {
                        value = args[++i];
                    } else {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    values.put(name, value);
                } else {
                    positional.add(arg);
                }
            }
            if (positional.isEmpty() || !(positional.getFirst().equals("dump") || positional.getFirst().equals("stats"))) {
                throw new IllegalArgumentException("the command comes first: dump or stats");
            }
            a.command = positional.getFirst();
            if (positional.size() != 2) {
                throw new IllegalArgumentException("one INPUT (a corpus file or folder) is wanted, not " + positional.subList(1, positional.size()));
            }
            a.input = positional.get(1);
            for (Map.Entry<String, String> entry : values.entrySet()) {
                String v = entry.getValue();
                switch (entry.getKey()) {
                    case "--model" -> a.model = v;
                    case "--out" -> a.out = v;
                    case "--master" -> a.master = v;
                    case "--text-field" -> a.textField = v;
                    case "--layers" -> a.layers = v;
                    case "--format" -> a.format = oneOf(v, "--format", "table", "csv", "json");
                    case "--parquet-compression" -> a.compression = oneOf(v, "--parquet-compression", "zstd", "snappy", "gzip", "uncompressed");
                    case "--top-k" -> a.topK = number(v, "--top-k", 1);
                    case "--window" -> a.window = number(v, "--window", 1);
                    case "--stride" -> a.stride = number(v, "--stride", 1);
                    case "--threads" -> a.threads = number(v, "--threads", 1);
                    case "--shard-docs" -> a.shardDocuments = number(v, "--shard-docs", 1);
                    case "--shard-rows" -> a.shardRows = number(v, "--shard-rows", 1);
                    default -> throw new IllegalArgumentException("unknown option " + entry.getKey());
                }
            }
            if (a.model == null) {
                throw new IllegalArgumentException("Missing required option: '--model=MODEL'");
            }
            if (a.command.equals("dump") && a.out == null) {
                throw new IllegalArgumentException("Missing required option: '--out=DIR'");
            }
            return a;
        }

        LensJob job(Gpt2Config config) {
            return LensJob.of(model).withThreads(threads).withTopK(topK > 0 ? topK : Math.min(LensJob.of(model).topK(), config.nVocab())).withLayers(layers).withWindow(window, stride)
                    .withBos(bos).withMode(noAffine ? ResidualMode.NO_AFFINE : ResidualMode.NORMALISED);
        }

        private static String oneOf(String value, String option, String... allowed) {
            if (!Arrays.asList(allowed).contains(value)) {
                throw new IllegalArgumentException(option + " " + value + ": one of " + String.join(", ", allowed) + " is wanted");
            }
            return value;
        }

        private static int number(String value, String option, int least) {
            try {
                int n = Integer.parseInt(value);
                if (n >= least) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // the message below
            }
            throw new IllegalArgumentException(option + " " + value + ": a whole number of at least " + least + " is wanted");
        }
    }
}
