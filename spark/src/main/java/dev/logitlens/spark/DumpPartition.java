package dev.logitlens.spark;

import dev.logitlens.api.LensModel;
import dev.logitlens.corpus.Document;
import dev.logitlens.corpus.DocumentLens;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.table.LensRows;
import dev.logitlens.tokenizer.TokenTexts;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

import java.io.IOException;
import java.io.Serial;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * One partition of the dump: its documents, in order, through the executor's model ({@link ExecutorModels}), window
 * by window ({@link DocumentLens}), into rows ({@link LensRows}) given out one document at a time.
 */
final class DumpPartition implements MapPartitionsFunction<Row, Row> {

    @Serial
    private static final long serialVersionUID = 1L;

    private final LensJob job;

    DumpPartition(LensJob job) {
        this.job = job;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> documents) {
        return new Iterator<>() {
            private DocumentLens lens;
            private LensRows rows;
            private int[] layers;
            private Object[] columns;
            private int next;
            private int done;

            @Override
            public boolean hasNext() {
                while ((rows == null || next == rows.size()) && documents.hasNext()) {
                    try {
                        fill(DocumentRows.document(documents.next()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return rows != null && next < rows.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return LensSchema.row(rows, columns, next++);
            }

            private void fill(Document document) throws IOException {
                if (done++ == 1) {
                    TestFailures.afterFirstDocument();
                }
                if (lens == null) { // the first document of the partition: the executor's model, opened once per JVM
                    LensModel model = ExecutorModels.get(job);
                    Gpt2Config config = model.config();
                    lens = new DocumentLens(model, job.windowFor(config), job.strideFor(config), job.bos(),
                            LensOptions.defaults().withTopK(job.topK()));
                    rows = new LensRows(job.topK(), TokenTexts.forVocabulary(config.nVocab()));
                    layers = job.layersFor(config);
                    columns = new Object[rows.columns().size()];
                }
                rows.clear();
                next = 0;
                lens.run(document, (window, result) -> rows.add(result, document.index(), window, layers));
                for (int c = 0; c < columns.length; c++) {
                    columns[c] = rows.values(c); // read again after every document: add may have grown the arrays
                }
            }
        };
    }
}
