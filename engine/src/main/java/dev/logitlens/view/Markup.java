package dev.logitlens.view;

/** Escaping for XML (SVG) and HTML text and attribute values. */
final class Markup {

    private Markup() {
    }

    /**
     * {@code text} safe in XML/HTML element content and in double- or single-quoted attribute values:
     * {@code & < > " '} become entities, and characters XML 1.0 forbids are written as visible escapes
     * ({@link TokenLabels#visible}).
     */
    static String escape(String text) {
        String visible = TokenLabels.visible(text);
        StringBuilder out = new StringBuilder(visible.length() + 16);
        for (int i = 0; i < visible.length(); i++) {
            char c = visible.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A number for SVG/CSS coordinates: at most two decimals, no exponent. */
    static String num(double value) {
        long rounded = Math.round(value * 100);
        if (rounded % 100 == 0) {
            return Long.toString(rounded / 100);
        }
        return java.math.BigDecimal.valueOf(rounded, 2).stripTrailingZeros().toPlainString();
    }
}
