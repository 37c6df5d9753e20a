package dev.logitlens.spark;

import dev.logitlens.api.LensModel;
import dev.logitlens.corpus.Document;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.stats.LayerStatistics;
import dev.logitlens.tokenizer.TokenTexts;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.io.Serial;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * One partition of {@code stats}: the sums and counts of its documents' positions ({@link LayerStatistics}), with the
 * number of its documents and tokens; the driver merges the partitions' parts ({@link Part#merge}).
 */
final class StatsPartition implements FlatMapFunction<Iterator<Row>, StatsPartition.Part> {

    @Serial
    private static final long serialVersionUID = 1L;

    /** A partition's sums: its statistics, documents and tokens; {@code gpt2}: whether the vocabulary is GPT-2's. */
    record Part(LayerStatistics statistics, int documents, long tokens, boolean gpt2) implements Serializable {

        /** The sums of both parts (this one's statistics take the other's in). */
        Part merge(Part other) {
            statistics.merge(other.statistics);
            return new Part(statistics, Math.addExact(documents, other.documents), tokens + other.tokens, gpt2);
        }
    }

    private final LensJob job;

    StatsPartition(LensJob job) {
        this.job = job;
    }

    @Override
    public Iterator<Part> call(Iterator<Row> documents) throws Exception {
        if (!documents.hasNext()) {
            return Collections.emptyIterator();
        }
        LensModel model = ExecutorModels.get(job);
        Gpt2Config config = model.config();
        TokenTexts texts = TokenTexts.forVocabulary(config.nVocab());
        DocumentLens lens = new DocumentLens(model, job.windowFor(config), job.strideFor(config), job.bos(),
                LensOptions.defaults().withTopK(1));
        LayerStatistics statistics = new LayerStatistics(config.nLayer());
        int count = 0;
        long tokens = 0;
        while (documents.hasNext()) {
            if (count == 1) {
                TestFailures.afterFirstDocument();
            }
            Document document = DocumentRows.document(documents.next());
            tokens += lens.run(document, (window, result) -> statistics.add(window, result, texts::byteLength)).tokens();
            count++;
        }
        return List.of(new Part(statistics, count, tokens, texts.isGpt2())).iterator();
    }
}
