package dev.logitlens.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) parser and writer.
 *
 * <p>Values map to Java as: object → {@code Map<String, Object>} (unmodifiable, in document order),
 * array → {@code List<Object>} (unmodifiable), string → {@link String}, number → {@link Long} when
 * it is written as an integer that fits, else {@link Double} (a number beyond a double's range is an error, so
 * whatever parses can be written back), {@code true}/{@code false} →
 * {@link Boolean}, {@code null} → {@code null}. Duplicate object keys, trailing commas, comments,
 * unescaped control characters, leading zeros and anything after the top-level value are errors.
 */
public final class Json {

    /** Deeper nesting than this is rejected, so hostile input cannot overflow the stack. */
    public static final int MAX_DEPTH = 512;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that makes up the whole text (surrounding whitespace allowed). */
    public static Object parse(String text) throws JsonException {
        Json parser = new Json(text);
        parser.skipWhitespace();
        Object value = parser.readValue(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("unexpected " + parser.describeNext() + " after the JSON value");
        }
        return value;
    }

    // ---- typed access, for readers of parsed documents ----

    /** {@code value} as an object; {@code what} names it in the error message. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object value, String what) throws JsonException {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw typeError(what, "an object", value);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object value, String what) throws JsonException {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw typeError(what, "an array", value);
    }

    public static String asString(Object value, String what) throws JsonException {
        if (value instanceof String s) {
            return s;
        }
        throw typeError(what, "a string", value);
    }

    /** An integer, written without fraction or exponent, that fits a {@code long}. */
    public static long asLong(Object value, String what) throws JsonException {
        if (value instanceof Long n) {
            return n;
        }
        throw typeError(what, "an integer", value);
    }

    public static double asDouble(Object value, String what) throws JsonException {
        if (value instanceof Long n) {
            return n;
        }
        if (value instanceof Double d) {
            return d;
        }
        throw typeError(what, "a number", value);
    }

    public static boolean asBoolean(Object value, String what) throws JsonException {
        if (value instanceof Boolean b) {
            return b;
        }
        throw typeError(what, "true or false", value);
    }

    private static JsonException typeError(String what, String expected, Object found) {
        return new JsonException(what + " must be " + expected + ", not " + describeValue(found));
    }

    private static String describeValue(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> ignored -> "an object";
            case List<?> ignored -> "an array";
            case String s -> "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
            default -> value.toString();
        };
    }

    // ---- writing ----

    /**
     * Writes {@code value} as compact JSON. Accepts what {@link #parse} returns, plus any
     * {@link Number}, {@link Map} with string keys and {@link Iterable}. JSON has no NaN or infinity: a non-finite
     * number is written as {@code null}, so that writing never fails on a value (the dump's rows follow the same rule).
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case String s -> writeString(s, out);
            case Boolean b -> out.append(b);
            case Double d -> out.append(Double.isFinite(d) ? d : null);
            case Float f -> out.append(Float.isFinite(f) ? f : null);
            case Number n -> out.append(n);
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, not " + e.getKey());
                    }
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    writeString(key, out);
                    out.append(':');
                    write(e.getValue(), out);
                }
                out.append('}');
            }
            case Iterable<?> items -> {
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(item, out);
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    // ---- parsing ----

    private Object readValue(int depth) throws JsonException {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> readObject(depth + 1);
            case '[' -> readArray(depth + 1);
            case '"' -> readString();
            case 't' -> readLiteral("true", Boolean.TRUE);
            case 'f' -> readLiteral("false", Boolean.FALSE);
            case 'n' -> readLiteral("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield readNumber();
                }
                throw error("unexpected " + describeNext() + ", expected a value");
            }
        };
    }

    private Map<String, Object> readObject(int depth) throws JsonException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek('}')) {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (!peek('"')) {
                throw error("unexpected " + describeNext() + ", expected a string key");
            }
            int keyStart = pos;
            String key = readString();
            if (map.containsKey(key)) {
                pos = keyStart;
                throw error("duplicate key \"" + key + "\"");
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, readValue(depth));
            skipWhitespace();
            if (peek(',')) {
                pos++;
            } else if (peek('}')) {
                pos++;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("unexpected " + describeNext() + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> readArray(int depth) throws JsonException {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek(']')) {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(readValue(depth));
            skipWhitespace();
            if (peek(',')) {
                pos++;
            } else if (peek(']')) {
                pos++;
                return Collections.unmodifiableList(list);
            } else {
                throw error("unexpected " + describeNext() + ", expected ',' or ']'");
            }
        }
    }

    private String readString() throws JsonException {
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(runStart, pos) : sb.append(text, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c == '\\') {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(text, runStart, pos);
                pos++;
                sb.append(readEscape());
                runStart = pos;
            } else {
                pos++;
            }
        }
    }

    private char readEscape() throws JsonException {
        if (pos >= text.length()) {
            throw error("unterminated string");
        }
        char e = text.charAt(pos++);
        return switch (e) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '/' -> '/';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> {
                if (pos + 4 > text.length()) {
                    throw error("truncated \\u escape");
                }
                int code = 0;
                for (int i = 0; i < 4; i++) {
                    int digit = Character.digit(text.charAt(pos + i), 16);
                    if (digit < 0) {
                        throw error("invalid \\u escape \"\\u" + text.substring(pos, pos + 4) + "\"");
                    }
                    code = code * 16 + digit;
                }
                pos += 4;
                yield (char) code;
            }
            default -> {
                pos--;
                throw error("invalid escape \\" + e);
            }
        };
    }

    private Object readNumber() throws JsonException {
        int start = pos;
        if (peek('-')) {
            pos++;
        }
        if (peek('0')) {
            pos++;
        } else if (pos < text.length() && isDigit(text.charAt(pos))) {
            skipDigits();
        } else {
            throw error("invalid number: expected a digit");
        }
        boolean integral = true;
        if (peek('.')) {
            integral = false;
            pos++;
            if (pos >= text.length() || !isDigit(text.charAt(pos))) {
                throw error("invalid number: expected a digit after '.'");
            }
            skipDigits();
        }
        if (peek('e') || peek('E')) {
            integral = false;
            pos++;
            if (peek('+') || peek('-')) {
                pos++;
            }
            if (pos >= text.length() || !isDigit(text.charAt(pos))) {
                throw error("invalid number: expected a digit in the exponent");
            }
            skipDigits();
        }
        String literal = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                // falls through to a double
            }
        }
        double value = Double.parseDouble(literal);
        if (Double.isInfinite(value)) { // JSON has no infinity: a value read must be one that can be written
            pos = start;
            throw error("number " + (literal.length() > 40 ? literal.substring(0, 40) + "..." : literal)
                    + " is out of range (beyond a double's ±1.8e308)");
        }
        return value;
    }

    private void skipDigits() {
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object readLiteral(String word, Object value) throws JsonException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describeNext() + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void checkDepth(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expect(char c) throws JsonException {
        if (!peek(c)) {
            throw error("unexpected " + describeNext() + ", expected '" + c + "'");
        }
        pos++;
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeNext() {
        if (pos >= text.length()) {
            return "end of input";
        }
        int cp = text.codePointAt(pos);
        return cp >= 0x20 && cp < 0x7f ? "'" + (char) cp + "'" : String.format("character U+%04X", cp);
    }

    private JsonException error(String message) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < pos && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new JsonException("invalid JSON at line " + line + ", column " + (pos - lineStart + 1) + ": " + message);
    }
}
