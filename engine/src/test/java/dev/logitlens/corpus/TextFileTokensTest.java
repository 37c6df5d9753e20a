package dev.logitlens.corpus;

import dev.logitlens.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A text file tokenised a piece at a time gives exactly the tokens of the whole text. */
class TextFileTokensTest {

    @TempDir
    Path dir;

    private static final Gpt2Tokenizer TOKENIZER = new Gpt2Tokenizer();

    /** Pieces the pre-tokeniser treats differently: words, numbers, contractions, runs of white space, Unicode. */
    private static final String[] PARTS = {"the", "The", " cat", "'s", "'ll", " 42", "7", "!", "?!", ",", ".", " ", "  ", "\n",
            "\n\n", "\r\n", "\t", " \n", "\u00a0", "\u2003", "\u3000", "é", "日本語", "😀", "🙂x", "-", "__", "'", "a'b", "\u0085"};

    @Test
    void piecesOfAnySizeGiveTheTokensOfTheWholeText() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder text = new StringBuilder();
            int parts = 1 + random.nextInt(60);
            for (int i = 0; i < parts; i++) {
                text.append(PARTS[random.nextInt(PARTS.length)]);
            }
            Path file = Files.writeString(dir.resolve("t.txt"), text, StandardCharsets.UTF_8);
            int[] whole = TOKENIZER.encode(text.toString());
            for (int pieceBytes : new int[] {1, 2, 3, 5, 8, 64}) {
                assertArrayEquals(whole, readAll(new TextFileTokens(file, "t.txt", pieceBytes)),
                        "piece " + pieceBytes + " of " + Arrays.toString(text.codePoints().toArray()));
            }
        }
    }

    @Test
    void theCutRuleNeedsASingleSpaceOrNewlineBetweenNonSpaces() {
        assertEquals(5, Gpt2Tokenizer.lastSafeCut("hello world"));
        assertEquals(1, Gpt2Tokenizer.lastSafeCut("a\nb"));
        assertEquals(-1, Gpt2Tokenizer.lastSafeCut("a  b"), "two spaces: the first joins the run before");
        assertEquals(-1, Gpt2Tokenizer.lastSafeCut("a\u00a0b"), "a no-break space is not a cut");
        assertEquals(-1, Gpt2Tokenizer.lastSafeCut(" b"));
        assertEquals(-1, Gpt2Tokenizer.lastSafeCut("a "));
    }

    @Test
    void badUtf8IsNamedWithItsByteOffset() throws IOException {
        byte[] bytes = new byte[100];
        Arrays.fill(bytes, (byte) 'a');
        bytes[77] = (byte) 0xE9;
        Path file = Files.write(dir.resolve("latin1.txt"), bytes);
        CorpusException e = assertThrows(CorpusException.class, () -> readAll(new TextFileTokens(file, "latin1.txt", 16)));
        assertEquals("latin1.txt: not valid UTF-8 at byte 77", e.getMessage());

        Path cut = Files.write(dir.resolve("cut.txt"), new byte[] {'o', 'k', ' ', (byte) 0xE6, (byte) 0x97});
        e = assertThrows(CorpusException.class, () -> readAll(new TextFileTokens(cut, "cut.txt", 4)));
        assertEquals("cut.txt: not valid UTF-8 at byte 3", e.getMessage());
    }

    @Test
    void aFolderTextFileIsStreamedAndValidatedByScan() throws IOException {
        Path root = Files.createDirectories(dir.resolve("corpus"));
        Files.write(root.resolve("bad.txt"), new byte[] {'o', 'k', '\n', (byte) 0xFF});
        Files.writeString(root.resolve("blank.txt"), " \n\t\u2003 ");
        Corpus corpus = Corpus.open(root, "text");
        CorpusException e = assertThrows(CorpusException.class, corpus::scan);
        assertEquals("bad.txt: not valid UTF-8 at byte 3", e.getMessage());
        Files.writeString(root.resolve("bad.txt"), "ok");
        assertEquals(new Corpus.Summary(1, 2), Corpus.open(root, "text").scan(), "the blank file is no document");
    }

    @Test
    void aLineLongerThanTheLimitIsRefusedWithItsLineNumber() throws IOException {
        Path file = dir.resolve("long.jsonl");
        try (var out = Files.newOutputStream(file)) {
            out.write("{\"text\": \"short\"}\n".getBytes(StandardCharsets.UTF_8));
            byte[] block = new byte[1 << 20];
            Arrays.fill(block, (byte) 'x');
            for (int i = 0; i <= Corpus.MAX_LINE_BYTES >> 20; i++) {
                out.write(block);
            }
        }
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.open(file, "text").scan());
        assertTrue(e.getMessage().startsWith(file + ":2: a line longer than 64 MiB"), e.getMessage());
    }

    private static int[] readAll(TokenSource source) throws IOException {
        try (source) {
            int[] all = new int[16];
            int n = 0;
            int[] piece = new int[3];
            for (int read; (read = source.read(piece, 0, piece.length)) >= 0; ) {
                if (n + read > all.length) {
                    all = Arrays.copyOf(all, 2 * all.length + read);
                }
                System.arraycopy(piece, 0, all, n, read);
                n += read;
            }
            return Arrays.copyOf(all, n);
        }
    }
}
