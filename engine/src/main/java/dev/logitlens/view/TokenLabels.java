package dev.logitlens.view;

/**
 * Token text as one printable line, for tables and pictures. A token can be any string: spaces, line
 * breaks, control characters, a lone surrogate from a non-GPT-2 tokeniser, or GPT-2's {@code <0xF0>}
 * notation for bytes that are not UTF-8 on their own (which arrives here as plain text).
 */
public final class TokenLabels {

    private TokenLabels() {
    }

    /**
     * The text with every character that does not print as itself written as an escape: {@code \n},
     * {@code \r}, {@code \t}, other C0/C1 control characters and DEL as {@code \xHH}, lone surrogates and the
     * non-characters U+FFFE/U+FFFF as a backslash, {@code u} and four hex digits. Spaces stay spaces. The result holds only characters
     * that XML 1.0 allows.
     */
    public static String visible(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (Character.isISOControl(c)) {
                out.append(String.format("\\x%02X", (int) c));
            } else if (Character.isSurrogate(c) || c == '\uFFFE' || c == '\uFFFF') {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@link #visible} in single quotes, as the post's figures print tokens (Python's {@code repr}): {@code ' the'}. */
    public static String quoted(String text) {
        return "'" + visible(text) + "'";
    }

    /** The first {@code max} code points of {@code text}, the last replaced by "…" when it is longer. */
    public static String clip(String text, int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        int count = text.codePointCount(0, text.length());
        if (count <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max - 1)) + "…";
    }
}
