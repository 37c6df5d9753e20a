package dev.logitlens.cli;

/**
 * Text from files (tensor names, dtypes, JSON strings, file names) made safe for a terminal before it is printed:
 * control characters — ESC starts the escape sequences that recolour, move the cursor or retitle a terminal — and
 * the bidirectional overrides that reorder what is shown become visible {@code \}{@code uXXXX} escapes. Line feeds and
 * tabs stay (messages may span lines).
 */
final class TerminalText {

    private TerminalText() {
    }

    static String escape(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (unsafe(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                out.append(String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    private static boolean unsafe(char c) {
        return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f)
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
