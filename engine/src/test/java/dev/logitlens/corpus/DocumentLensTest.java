package dev.logitlens.corpus;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.logitlens.testing.LensAssertions.assertSameResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A streamed document gives the windows of {@link Windows#plan} and, per window, the lens of its tokens. */
class DocumentLensTest {

    @TempDir
    Path dir;

    private record Ran(Windows.Window window, LensResult lens) {
    }

    private static List<Ran> run(DocumentLens lens, Document document) throws IOException {
        List<Ran> ran = new ArrayList<>();
        DocumentLens.Summary summary = lens.run(document, (window, result) -> ran.add(new Ran(window, result)));
        assertEquals(ran.size(), summary.windows());
        return ran;
    }

    @Test
    void aDocumentLongerThanTheTokenBufferIsPlannedAndRunAsAWhole() throws IOException {
        Gpt2Config config = TinyGpt2.config(61, 16, 8, 2, 1);
        Path file = new GgufWriter(TinyGpt2.generate(config, 3, 4, true)).write(dir.resolve("m.gguf"));
        int[] tokens = new SplittableRandom(5).ints(70_001, 0, 61).toArray(); // more than one read of the buffer
        LensOptions options = LensOptions.defaults().withTopK(1);
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(1))) {
            for (int[] window : new int[][] {{16, 11}, {7, 7}, {1, 1}}) {
                DocumentLens lens = new DocumentLens(model, window[0], window[1], false, options);
                int[] document = window[0] == 16 ? tokens : Arrays.copyOf(tokens, 300);
                List<Ran> ran = run(lens, new Document(0, "d", null, document));
                List<Windows.Window> planned = Windows.plan(document.length, window[0], window[1]);
                assertEquals(planned, ran.stream().map(Ran::window).toList());
                for (int i = 0; i < ran.size(); i += i < 20 || ran.size() - i < 20 ? 1 : 97) {
                    Windows.Window w = planned.get(i);
                    int end = w.start() + w.length();
                    LensResult expected = model.run(Arrays.copyOfRange(document, w.start(), end),
                            end < document.length ? document[end] : -1, options);
                    assertSameResult(expected, ran.get(i).lens());
                }
            }
        }
    }

    @Test
    void aTextFileGivesTheLensOfItsTextWithOrWithoutEndOfText() throws IOException {
        Gpt2Config config = TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 16, 16, 2, 1);
        Path file = new GgufWriter(TinyGpt2.generate(config, 6, 4, true)).write(dir.resolve("vocab.gguf"));
        String text = "The cat sat on the mat.\nIt was a sunny day, and the cat's owner, a 42-year-old,  read.\n\nÉtude 日本語 😀 end";
        Path textFile = Files.writeString(dir.resolve("doc.txt"), text);
        Document inMemory = new Document(0, "doc", text, null);
        Document streamed = new Document(0, "doc.txt", null, null, new Document.TextFile(textFile, Files.size(textFile)));
        LensOptions options = LensOptions.defaults().withTopK(2);
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(1))) {
            for (boolean bos : new boolean[] {false, true}) {
                DocumentLens lens = new DocumentLens(model, 8, 5, bos, options);
                List<Ran> expected = run(lens, inMemory);
                List<Ran> actual = run(lens, streamed);
                assertEquals(expected.stream().map(Ran::window).toList(), actual.stream().map(Ran::window).toList());
                for (int i = 0; i < expected.size(); i++) {
                    assertSameResult(expected.get(i).lens(), actual.get(i).lens());
                }
                assertEquals(bos ? Gpt2Tokenizer.END_OF_TEXT : 464, actual.getFirst().lens().tokenId(0));

                List<long[]> progress = new ArrayList<>(); // after each window: tokens, bytes
                DocumentLens.Summary summary = lens.run(streamed, (window, result) -> { },
                        (tokens, bytes) -> progress.add(new long[] {tokens, bytes}));
                assertEquals(summary.windows(), progress.size());
                assertEquals(summary.tokens(), progress.getLast()[0]);
                assertEquals(Files.size(textFile), progress.getLast()[1], "a text file's bytes are all read at the end");
                for (int i = 1; i < progress.size(); i++) {
                    assertTrue(progress.get(i)[0] > progress.get(i - 1)[0], "tokens advance");
                }
            }
        }
    }
}
