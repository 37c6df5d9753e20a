package dev.logitlens.spark;

import dev.logitlens.corpus.Document;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import scala.jdk.javaapi.CollectionConverters;

import java.util.Arrays;
import java.util.List;

/** A corpus document as a row of {@link LensSchema#documents()}, and back. */
final class DocumentRows {

    private DocumentRows() {
    }

    /** The document of a row ({@code text} or {@code tokens}; a text file's text is read into the row beforehand). */
    static Document document(Row row) {
        int doc = row.getInt(0);
        String source = row.getString(1);
        String text = row.isNullAt(2) ? null : row.getString(2);
        int[] tokens = null;
        if (!row.isNullAt(3)) {
            List<Integer> list = row.getList(3);
            tokens = new int[list.size()]; // [T]
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = list.get(i);
            }
        }
        return new Document(doc, source, text, tokens);
    }

    /** The row of a document given as a text or as token ids. */
    static Row row(Document document, String text) {
        // an array column's value is a Scala sequence (Spark's encoder takes no java.util.List)
        return RowFactory.create(document.index(), document.source(), text, document.tokens() == null ? null
                : CollectionConverters.asScala(Arrays.stream(document.tokens()).boxed().toList()).toSeq());
    }
}
