package dev.logitlens.tokenizer;

import dev.logitlens.model.Json;
import dev.logitlens.model.JsonException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's GPT-2 byte-level BPE encoder, re-implemented plainly from its {@code encoder.json} and
 * {@code vocab.bpe}, as an independent check of the production tokenizer: each byte maps to a
 * printable character ({@code bytes_to_unicode}), the text is pre-tokenised with GPT-2's regular
 * expression, and each piece's characters are merged pairwise, lowest merge rank first.
 */
final class ReferenceBpe {

    /** GPT-2's pre-tokeniser; Unicode-aware like Python's {@code regex} module (\s is White_Space). */
    private static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> encoder = new HashMap<>();
    private final Map<Integer, String> decoder = new HashMap<>();
    private final Map<String, Integer> mergeRanks = new HashMap<>();
    private final char[] byteToChar = new char[256];
    private final Map<Character, Integer> charToByte = new HashMap<>();

    ReferenceBpe(Path dir) throws IOException, JsonException {
        buildByteMap();
        for (Map.Entry<String, Object> e : Json.asObject(Json.parse(Files.readString(dir.resolve("encoder.json"))), "encoder").entrySet()) {
            int id = (int) Json.asLong(e.getValue(), e.getKey());
            encoder.put(e.getKey(), id);
            decoder.put(id, e.getKey());
        }
        List<String> lines = Files.readAllLines(dir.resolve("vocab.bpe"), StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) { // line 0 is "#version: 0.2"
            String line = lines.get(i);
            if (!line.isEmpty()) {
                mergeRanks.put(line, i - 1);
            }
        }
    }

    int size() {
        return encoder.size();
    }

    int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        Matcher m = PRE_TOKENIZER.matcher(text);
        while (m.find()) {
            StringBuilder mapped = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                mapped.append(byteToChar[b & 0xFF]);
            }
            for (String token : bpe(mapped.toString())) {
                Integer id = encoder.get(token);
                if (id == null) {
                    throw new IllegalStateException("no id for BPE token " + token);
                }
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The bytes token {@code id} stands for. */
    byte[] tokenBytes(int id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (char c : decoder.get(id).toCharArray()) {
            out.write(charToByte.get(c));
        }
        return out.toByteArray();
    }

    /** Merges a piece's symbols pairwise, always the adjacent pair of lowest rank, until no pair has a rank. */
    private List<String> bpe(String piece) {
        List<String> symbols = new ArrayList<>();
        for (char c : piece.toCharArray()) {
            symbols.add(String.valueOf(c));
        }
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestLeft = null;
            String bestRight = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    bestLeft = symbols.get(i);
                    bestRight = symbols.get(i + 1);
                }
            }
            if (bestLeft == null) {
                break;
            }
            List<String> merged = new ArrayList<>();
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(bestLeft) && symbols.get(i + 1).equals(bestRight)) {
                    merged.add(bestLeft + bestRight);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other bytes to U+0100 onwards. */
    private void buildByteMap() {
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            byteToChar[b] = printable ? (char) b : (char) (256 + next++);
            charToByte.put(byteToChar[b], b);
        }
    }
}
