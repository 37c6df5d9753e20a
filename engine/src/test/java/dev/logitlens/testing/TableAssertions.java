package dev.logitlens.testing;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Comparisons of lens tables read back from files. */
public final class TableAssertions {

    private TableAssertions() {
    }

    /**
     * Two lens tables (CSV rows as column → field maps) are the same, row by row: ids, ranks and texts exactly;
     * probabilities, logits, KLs and entropies to 1e-5, because the JVM's exp can differ by an ulp between
     * interpreted and compiled code, and a run that starts cold computes its first documents interpreted.
     */
    public static void assertSameRows(List<Map<String, String>> expected, List<Map<String, String>> actual) {
        assertEquals(expected.size(), actual.size(), "rows");
        for (int r = 0; r < expected.size(); r++) {
            Map<String, String> want = expected.get(r);
            Map<String, String> got = actual.get(r);
            assertEquals(want.keySet(), got.keySet());
            for (String column : want.keySet()) {
                String a = want.get(column);
                String b = got.get(column);
                boolean real = column.endsWith("_prob") || column.endsWith("_logit") || column.startsWith("kl_")
                        || column.equals("entropy") || column.equals("logprob_next");
                if (real && !a.isEmpty() && !b.isEmpty()) {
                    double x = Double.parseDouble(a);
                    double y = Double.parseDouble(b);
                    assertEquals(x, y, 1e-5 * Math.max(1, Math.abs(x)), "row " + r + ", " + column);
                } else {
                    assertEquals(a, b, "row " + r + ", " + column);
                }
            }
        }
    }
}
