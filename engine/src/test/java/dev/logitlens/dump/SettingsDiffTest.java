package dev.logitlens.dump;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The short line that says how a dump folder's manifest differs from the run's. */
class SettingsDiffTest {

    private static Map<String, Object> manifest(int topK, String precision, List<Object> formats) {
        return Map.of(
                "model", Map.of("id", "gpt2", "precision", precision),
                "settings", Map.of("top_k", topK, "formats", formats),
                "columns", List.of("a very long list of column descriptions, which follows from top_k", topK));
    }

    @Test
    void namesEachDifferentValueByItsPathWithoutTheColumnsThatFollowFromIt() {
        String line = SettingsDiff.describe(manifest(5, "F32", List.of("csv")), manifest(7, "Q8_0", List.of("csv")));
        assertEquals(List.of("model.precision: \"F32\" \u2192 \"Q8_0\"", "settings.top_k: 5 \u2192 7"),
                List.of(line.split("; ")).stream().sorted().toList());
    }

    @Test
    void namesTheColumnsOnlyWhenNothingElseDiffersAndShortensLongValues() {
        Map<String, Object> a = Map.of("columns", List.of("x".repeat(100)));
        Map<String, Object> b = Map.of("columns", List.of("y".repeat(100)));
        String line = SettingsDiff.describe(a, b);
        assertEquals("columns: " + ("[\"" + "x".repeat(100)).substring(0, SettingsDiff.MAX_VALUE - 1) + "\u2026 \u2192 "
                + ("[\"" + "y".repeat(100)).substring(0, SettingsDiff.MAX_VALUE - 1) + "\u2026", line);
    }

    @Test
    void aKeyOnOneSideOnlyIsShownAsNone() {
        assertEquals("settings.bos: (none) \u2192 true",
                SettingsDiff.describe(Map.of("settings", Map.of()), Map.of("settings", Map.of("bos", true))));
        assertEquals("", SettingsDiff.describe(manifest(5, "F32", List.of()), manifest(5, "F32", List.of())));
    }
}
