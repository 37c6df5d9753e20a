package dev.logitlens.dump;

import dev.logitlens.model.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The differences between a dump folder's manifest and the one a run would write, as one short line for the refusal
 * to resume: {@code settings.top_k: 5 → 7; model.precision: F32 → Q8_0}. Nested objects are compared key by key
 * (dotted paths); lists and other values as a whole, shortened when long. The columns follow from the settings (top-k),
 * so they are named only when nothing else differs.
 */
public final class SettingsDiff {

    /** Values longer than this are cut, with an ellipsis. */
    static final int MAX_VALUE = 48;

    /** Keys whose differences follow from others and are named only when nothing else differs. */
    private static final Set<String> DERIVED = Set.of("columns");

    private SettingsDiff() {
    }

    /** {@code key: old → new} for every differing value, separated by "; "; empty when the two are equal. */
    public static String describe(Map<String, Object> existing, Map<String, Object> wanted) {
        Map<String, String> differences = new LinkedHashMap<>();
        collect("", existing, wanted, differences);
        List<String> lines = new ArrayList<>();
        boolean onlyDerived = differences.keySet().stream().allMatch(DERIVED::contains);
        differences.forEach((key, line) -> {
            if (onlyDerived || !DERIVED.contains(key)) {
                lines.add(line);
            }
        });
        return String.join("; ", lines);
    }

    private static void collect(String prefix, Object existing, Object wanted, Map<String, String> differences) {
        if (existing instanceof Map<?, ?> a && wanted instanceof Map<?, ?> b) {
            Set<Object> keys = new LinkedHashSet<>(b.keySet());
            keys.addAll(a.keySet());
            for (Object key : keys) {
                collect(prefix.isEmpty() ? key.toString() : prefix + "." + key, a.get(key), b.get(key), differences);
            }
        } else if (!Objects.equals(existing, wanted)) {
            differences.put(prefix, prefix + ": " + shown(existing) + " \u2192 " + shown(wanted));
        }
    }

    private static String shown(Object value) {
        String text = value == null ? "(none)" : Json.write(value);
        return text.length() <= MAX_VALUE ? text : text.substring(0, MAX_VALUE - 1) + "\u2026";
    }
}
