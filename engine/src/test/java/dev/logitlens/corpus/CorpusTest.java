package dev.logitlens.corpus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorpusTest {

    @TempDir
    Path dir;

    private static String text(Document document) {
        try {
            return document.textFile() != null ? Files.readString(document.textFile().path()) : document.text();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Document> read(Corpus corpus) throws IOException {
        List<Document> documents = new ArrayList<>();
        corpus.forEach(documents::add);
        return documents;
    }

    @Test
    void aTextFileHasOneDocumentPerNonBlankLine() throws IOException {
        Path file = Files.writeString(dir.resolve("docs.txt"), "first line\n\n  \nsecond, é\r\nthird");
        Corpus corpus = Corpus.open(file, "text");
        List<Document> documents = read(corpus);
        assertEquals(3, documents.size());
        assertEquals("first line", documents.get(0).text());
        assertEquals("second, é", documents.get(1).text());
        assertEquals(1, documents.get(1).index());
        assertTrue(documents.get(1).source().endsWith("docs.txt:4"), documents.get(1).source());
        assertEquals(new Corpus.Summary(3, 10 + 10 + 5), corpus.scan());
    }

    @Test
    void jsonlGivesTextsOrTokenIds() throws IOException {
        Path file = Files.writeString(dir.resolve("docs.jsonl"),
                "{\"text\": \"hello\", \"id\": 7}\n\n{\"tokens\": [2, 1, 0]}\n{\"body\": \"other field\"}\n");
        List<Document> documents = onlyFirstTwo(file);
        assertEquals("hello", documents.get(0).text());
        assertArrayEquals(new int[] {2, 1, 0}, documents.get(1).tokens());
        assertNull(documents.get(1).text());
        CorpusException missing = assertThrows(CorpusException.class, () -> read(Corpus.open(file, "text")));
        assertTrue(missing.getMessage().contains("docs.jsonl:4"), missing.getMessage());
        assertTrue(missing.getMessage().contains("no \"text\" or \"tokens\" field"), missing.getMessage());
        List<Document> other = new ArrayList<>();
        Path bodies = Files.writeString(dir.resolve("bodies.jsonl"), "{\"body\": \"other field\"}\n");
        Corpus.open(bodies, "body").forEach(other::add);
        assertEquals("other field", other.getFirst().text());
    }

    @Test
    void aBlankJsonlTextIsSkippedAsABlankLineIs() throws IOException {
        Path file = Files.writeString(dir.resolve("wiki.jsonl"), "{\"text\": \"\"}\n{\"text\": \" \\n \"}\n{\"text\": \"a\"}\n");
        List<Document> documents = read(Corpus.open(file, "text"));
        assertEquals(1, documents.size());
        assertEquals(0, documents.getFirst().index());
        assertTrue(documents.getFirst().source().endsWith("wiki.jsonl:3"), documents.getFirst().source());
    }

    private List<Document> onlyFirstTwo(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Path two = Files.write(dir.resolve("two.jsonl"), lines.subList(0, 3));
        return read(Corpus.open(two, "text"));
    }

    @Test
    void badInputIsNamedByFileAndLine() throws IOException {
        Path notJson = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n{not json\n");
        CorpusException e = assertThrows(CorpusException.class, () -> Corpus.open(notJson, "text").scan());
        assertTrue(e.getMessage().contains("bad.jsonl:2") && e.getMessage().contains("not a JSON object"), e.getMessage());

        Path badTokens = Files.writeString(dir.resolve("tokens.jsonl"), "{\"tokens\": [1, -3]}\n");
        e = assertThrows(CorpusException.class, () -> Corpus.open(badTokens, "text").scan());
        assertTrue(e.getMessage().contains("tokens.jsonl:1") && e.getMessage().contains("-3"), e.getMessage());

        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'o', 'k', '\n', 'c', 'a', (byte) 0xE9, '\n'});
        e = assertThrows(CorpusException.class, () -> Corpus.open(latin1, "text").scan());
        assertTrue(e.getMessage().contains("latin1.txt:2") && e.getMessage().contains("UTF-8"), e.getMessage());

        // found by CorpusFuzzTest (its inputs crash-644ad2b6...): an escaped half of a surrogate pair made a text that
        // JTokkit tokenised with '?' in its place
        Path surrogate = Files.writeString(dir.resolve("surrogate.jsonl"), "{\"text\": \"ok \\ud83d\\ude00\"}\n"
                + "{\"text\": \"Hello world, \\\\ud83d\\ude00\"}\n");
        e = assertThrows(CorpusException.class, () -> Corpus.open(surrogate, "text").scan());
        assertTrue(e.getMessage().contains("surrogate.jsonl:2") && e.getMessage().contains("half of a UTF-16 surrogate pair"),
                e.getMessage());
        Path lone = Files.writeString(dir.resolve("lone.jsonl"), "{\"text\": \"\\ud800\"}");
        assertThrows(CorpusException.class, () -> Corpus.open(lone, "text").scan());

        assertThrows(NoSuchFileException.class, () -> Corpus.open(dir.resolve("missing.txt"), "text"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.md"), "not a corpus file");
        e = assertThrows(CorpusException.class, () -> Corpus.open(empty, "text"));
        assertTrue(e.getMessage().contains("no .txt or .jsonl"), e.getMessage());
    }

    @Test
    void aFolderIsReadInPathOrderSkippingHiddenAndOtherFiles() throws IOException {
        Path root = Files.createDirectories(dir.resolve("corpus"));
        Files.createDirectories(root.resolve("b"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve("b/z.txt"), "file z\nsecond line of the same document");
        Files.writeString(root.resolve("a.txt"), "file a");
        Files.writeString(root.resolve("c.jsonl"), "{\"text\": \"c1\"}\n{\"text\": \"c2\"}\n");
        Files.writeString(root.resolve(".hidden.txt"), "hidden");
        Files.writeString(root.resolve(".git/x.txt"), "hidden too");
        Files.writeString(root.resolve("README.md"), "ignored");
        Corpus corpus = Corpus.open(root, "text");
        List<Document> documents = read(corpus);
        assertEquals(List.of("file a", "file z\nsecond line of the same document", "c1", "c2"),
                documents.stream().map(CorpusTest::text).toList());
        assertEquals(new Document.TextFile(root.resolve("a.txt"), 6), documents.get(0).textFile(), "a .txt file is streamed");
        assertEquals("b/z.txt", documents.get(1).source());
        assertEquals("c.jsonl:2", documents.get(3).source());
        assertEquals(1, corpus.ignoredFiles());

        String before = corpus.fingerprint();
        Files.writeString(root.resolve("a.txt"), "file a, changed", StandardCharsets.UTF_8);
        assertNotEquals(before, Corpus.open(root, "text").fingerprint());
    }
}
