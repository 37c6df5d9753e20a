package dev.logitlens.corpus;

import dev.logitlens.io.Utf8;

import dev.logitlens.model.Json;
import dev.logitlens.model.JsonException;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The documents of a corpus, read in a fixed order so that document indices are stable between runs.
 *
 * <ul>
 *   <li>A {@code .jsonl} file: one JSON object per line, its text in the field {@code text} (or the one named), or
 *       its token ids in {@code tokens} (an array of integers, for models without GPT-2's vocabulary). Blank lines
 *       and blank texts are skipped.</li>
 *   <li>Any other file: UTF-8 text, one document per line; blank lines are skipped.</li>
 *   <li>A folder: its {@code .txt} files (each file one document, of any length: read a piece at a time when its
 *       lens runs, never held whole) and {@code .jsonl} files (as above), found
 *       recursively, in the order of their relative paths; hidden files and folders are skipped, other files
 *       ignored ({@link #ignoredFiles()}).</li>
 * </ul>
 *
 * A line of a {@code .jsonl} or line-per-document file is at most {@value #MAX_LINE_BYTES} bytes (64 MiB); longer
 * documents belong in the {@code .txt} files of a folder.
 *
 * Everything is streamed: a corpus larger than memory is fine. Bad input (invalid UTF-8, a line that is not
 * JSON, a missing field) raises a {@link CorpusException} naming the file and line.
 */
public final class Corpus {

    /** Receives documents in order. */
    @FunctionalInterface
    public interface DocumentHandler {
        void accept(Document document) throws IOException;
    }

    /** The corpus's size, from a full read. */
    public record Summary(int documents, long bytes) {
    }

    /** The longest line of a {@code .jsonl} or line-per-document file, in bytes: longer is a {@link CorpusException}. */
    public static final int MAX_LINE_BYTES = 64 << 20;

    private final Path input;
    private final String textField;
    private final List<Path> files;
    private final int ignoredFiles;

    private Corpus(Path input, String textField, List<Path> files, int ignoredFiles) {
        this.input = input;
        this.textField = textField;
        this.files = files;
        this.ignoredFiles = ignoredFiles;
    }

    /** A corpus at {@code input} (a file or a folder); {@code textField} names the JSONL text field. */
    public static Corpus open(Path input, String textField) throws IOException {
        if (!Files.exists(input)) {
            throw new NoSuchFileException(input.toString());
        }
        if (Files.isRegularFile(input)) {
            if (!Files.isReadable(input)) {
                throw new CorpusException(input + " is not readable");
            }
            return new Corpus(input, textField, List.of(input), 0);
        }
        if (!Files.isDirectory(input)) {
            throw new CorpusException(input + " is neither a file nor a folder");
        }
        List<Path> found = new ArrayList<>();
        int[] ignored = {0};
        try (Stream<Path> walk = Files.walk(input)) {
            walk.filter(path -> !path.equals(input))
                    .filter(path -> !hidden(input.relativize(path)))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .forEach(path -> {
                        String name = path.getFileName().toString();
                        if (name.endsWith(".txt") || name.endsWith(".jsonl")) {
                            found.add(path);
                        } else {
                            ignored[0]++;
                        }
                    });
        }
        if (found.isEmpty()) {
            throw new CorpusException(input + " holds no .txt or .jsonl files");
        }
        return new Corpus(input, textField, List.copyOf(found), ignored[0]);
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    public Path input() {
        return input;
    }

    /** Files of a folder that are neither .txt nor .jsonl, and so not read. */
    public int ignoredFiles() {
        return ignoredFiles;
    }

    /**
     * Size, modification time and name of every file read, in one string: a dump compares it between runs to see
     * that it resumes over the same corpus.
     */
    public String fingerprint() throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path file : files) {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            text.append(input.equals(file) ? file.getFileName() : input.relativize(file)).append(':')
                    .append(attributes.size()).append(':').append(attributes.lastModifiedTime().toMillis()).append(';');
        }
        return text.toString();
    }

    /** Reads everything once: validates the corpus (text files a piece at a time) and counts its documents and bytes. */
    public Summary scan() throws IOException {
        long[] totals = new long[2];
        forEach(document -> {
            if (document.textFile() != null) {
                Utf8File.validate(document.textFile().path(), document.source());
            }
            totals[0]++;
            totals[1] += document.size();
        });
        return new Summary(Math.toIntExact(totals[0]), totals[1]);
    }

    /** Reads the documents in order. */
    public void forEach(DocumentHandler handler) throws IOException {
        int[] index = {0};
        for (Path file : files) {
            String name = file.getFileName().toString();
            String label = input.equals(file) ? file.toString() : input.relativize(file).toString();
            if (name.endsWith(".jsonl")) {
                readLines(file, label, (line, number) -> {
                    Document document = line.isBlank() ? null : jsonDocument(index[0], label + ":" + number, line);
                    if (document != null) {
                        index[0]++;
                        handler.accept(document);
                    }
                });
            } else if (Files.isSameFile(file, input)) {
                readLines(file, label, (line, number) -> {
                    if (!line.isBlank()) {
                        handler.accept(new Document(index[0]++, label + ":" + number, line, null));
                    }
                });
            } else if (!Utf8File.isBlank(file, label)) {
                handler.accept(new Document(index[0]++, label, null, null, new Document.TextFile(file, Files.size(file))));
            }
        }
    }

    /** The document of one JSONL line, or null when its text is blank. */
    private Document jsonDocument(int index, String source, String line) throws CorpusException {
        Map<String, Object> object;
        try {
            object = Json.asObject(Json.parse(line), "line");
        } catch (JsonException e) {
            throw new CorpusException(source + ": not a JSON object: " + e.getMessage(), e);
        }
        try {
            Object text = object.get(textField);
            if (text != null) {
                String string = Json.asString(text, "field \"" + textField + "\"");
                if (!StandardCharsets.UTF_8.newEncoder().canEncode(string)) {
                    // a \\u escape of half a surrogate pair: no UTF-8 bytes, so nothing GPT-2's byte-level BPE can
                    // tokenise (JTokkit would silently tokenise '?' in its place)
                    throw new CorpusException(source + ": field \"" + textField + "\" holds half of a UTF-16 surrogate pair"
                            + " (a \\uD800 to \\uDFFF escape without its other half), which is not text");
                }
                // a blank text is skipped, as a blank line is (corpora such as wikitext hold many)
                return string.isBlank() ? null : new Document(index, source, string, null);
            }
            Object tokens = object.get("tokens");
            if (tokens != null) {
                List<Object> list = Json.asArray(tokens, "field \"tokens\"");
                if (list.isEmpty()) {
                    throw new CorpusException(source + ": \"tokens\" is empty");
                }
                int[] ids = new int[list.size()];
                for (int i = 0; i < ids.length; i++) {
                    long id = Json.asLong(list.get(i), "token " + i);
                    if (id < 0 || id > Integer.MAX_VALUE) {
                        throw new CorpusException(source + ": token " + i + " is " + id + ", not a token id");
                    }
                    ids[i] = (int) id;
                }
                return new Document(index, source, null, ids);
            }
        } catch (JsonException e) {
            throw new CorpusException(source + ": " + e.getMessage(), e);
        }
        throw new CorpusException(source + ": no \"" + textField + "\" or \"tokens\" field");
    }

    @FunctionalInterface
    private interface LineHandler {
        void accept(String line, long number) throws IOException;
    }

    /** Reads UTF-8 lines (LF or CRLF), decoding each on its own so that a bad byte is reported on its own line. */
    private static void readLines(Path file, String label, LineHandler handler) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            long number = 0;
            int b;
            boolean pending = false;
            while ((b = in.read()) >= 0) {
                if (b == '\n') {
                    handler.accept(decodeLine(line, label, ++number), number);
                    line.reset();
                    pending = false;
                } else if (line.size() < MAX_LINE_BYTES) {
                    line.write(b);
                    pending = true;
                } else {
                    throw new CorpusException(label + ":" + (number + 1) + ": a line longer than " + (MAX_LINE_BYTES >> 20)
                            + " MiB; put long documents in the .txt files of a folder (each file one document, read a piece at a time)");
                }
            }
            if (pending) {
                handler.accept(decodeLine(line, label, ++number), number);
            }
        }
    }

    private static String decodeLine(ByteArrayOutputStream line, String label, long number) throws CorpusException {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return Utf8.decode(bytes, 0, length);
        } catch (CharacterCodingException e) {
            throw new CorpusException(label + ":" + number + ": not valid UTF-8", e);
        }
    }
}
