package dev.logitlens.spark;

import dev.logitlens.corpus.Corpus;
import dev.logitlens.corpus.CorpusException;
import dev.logitlens.io.Utf8;
import dev.logitlens.stats.LayerStatistics;
import dev.logitlens.stats.StatsReport;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The lens of a corpus on Apache Spark: {@code logitlens dump}'s rows as a {@link Dataset} and {@code logitlens stats}'
 * per-layer table, computed by the executors, each with one model per JVM.
 *
 * <pre>{@code
 * Dataset<Row> documents = LensSpark.documents(spark, Path.of("corpus.jsonl"), "text", 64);
 * LensJob job = LensJob.of("/shared/models/gpt2.gguf").withTopK(5);
 * LensSpark.dump(documents, job).write().parquet("out");     // the dump's columns and units
 * StatsReport table = LensSpark.stats(documents, job);        // the stats command's table
 * }</pre>
 *
 * Documents and windows are split exactly as the command line splits them (the engine's {@code Corpus},
 * {@code Windows}, {@code DocumentLens}): the same documents give the same rows and the same table.
 */
public final class LensSpark {

    private LensSpark() {
    }

    /**
     * The documents of a corpus on the driver's file system, read (and validated) there exactly as the command line reads
     * them, as rows of {@link LensSchema#documents()} in corpus order, in {@code partitions} slices of consecutive
     * documents. A {@code .txt} file of a folder is read whole into its row (Spark holds a row whole).
     *
     * @throws CorpusException for a corrupt document, with the command line's message
     */
    public static Dataset<Row> documents(SparkSession spark, Path corpus, String textField, int partitions) throws IOException {
        return documents(spark, Corpus.open(corpus, textField), partitions);
    }

    /** {@link #documents(SparkSession, Path, String, int)} of an open corpus. */
    public static Dataset<Row> documents(SparkSession spark, Corpus corpus, int partitions) throws IOException {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
        }
        corpus.scan(); // validates every document first, as the command line does
        List<Row> rows = new ArrayList<>();
        corpus.forEach(document -> {
            String text = document.text();
            if (document.textFile() != null) {
                byte[] bytes = Files.readAllBytes(document.textFile().path());
                try {
                    text = Utf8.decode(bytes, 0, bytes.length);
                } catch (CharacterCodingException e) {
                    throw new CorpusException(document.source() + ": not valid UTF-8", e);
                }
            }
            rows.add(DocumentRows.row(document, text));
        });
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(context.parallelize(rows, Math.min(partitions, Math.max(1, rows.size()))), LensSchema.documents());
    }

    /**
     * The dump's rows of {@code documents} (rows of {@link LensSchema#documents()}): exactly the columns, types, units
     * and values of {@code logitlens dump}'s Parquet ({@link LensSchema#rows(int)}), one row per document, window-
     * reported position and layer; within a partition sorted by document, position and layer. Lazy: an action runs it.
     */
    public static Dataset<Row> dump(Dataset<Row> documents, LensJob job) {
        StructType schema = LensSchema.rows(job.topK());
        Dataset<Row> rows = documents.mapPartitions(new DumpPartition(job), Encoders.row(schema));
        // the encoder keeps the names, types and nullability, not the fields' metadata (the units): set it again
        Column[] columns = new Column[schema.size()];
        for (int i = 0; i < columns.length; i++) {
            StructField field = schema.fields()[i];
            columns[i] = rows.col(field.name()).as(field.name(), field.metadata());
        }
        return rows.select(columns);
    }

    /**
     * {@code logitlens stats}' per-layer table of {@code documents}: each partition's sums and counts, merged on the
     * driver in partition order (means of the whole corpus, never averages of averages). Runs the job now.
     */
    public static StatsReport stats(Dataset<Row> documents, LensJob job) {
        List<StatsPartition.Part> parts = documents.javaRDD().mapPartitions(new StatsPartition(job)).collect();
        if (parts.isEmpty()) {
            return new StatsReport(0, 0, new LayerStatistics(0), true);
        }
        StatsPartition.Part total = parts.getFirst();
        for (StatsPartition.Part part : parts.subList(1, parts.size())) {
            total = total.merge(part);
        }
        return new StatsReport(total.documents(), total.tokens(), total.statistics(), total.gpt2());
    }
}
