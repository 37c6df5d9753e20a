package dev.logitlens.time;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Wall-clock time per phase of the data path, for {@code logitlens --timings} and the time-to-first-lens
 * figures of docs/BENCHMARKS.md. A phase that runs several times (the projection and the statistics of each
 * block) accumulates. Each phase includes the JIT compilation and class loading it causes: that is what a user
 * waits for. Thread-safe; recording costs two {@link System#nanoTime()} calls.
 */
public final class Timings {

    /** The phases, in the order the data path runs them. */
    public enum Phase {
        JVM_START("launch to main (script, JVM start)"),
        COMMAND_LINE("command-line parsing"),
        RESOLVE("model resolution (path or hub cache)"),
        LIBRARY_LOAD("native library load"),
        MODEL_OPEN("model open (parse, map)"),
        WEIGHT_UPLOAD("weight upload / transposition"),
        UNEMBEDDING("W_U preparation"),
        TOKENIZE("tokenisation"),
        FORWARD("forward pass"),
        PROJECTION("projection"),
        STATISTICS("statistics"),
        OUTPUT("output"),
        CLOSE("close (unmap, free)");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final EnumMap<Phase, Long> nanos = new EnumMap<>(Phase.class);

    /** A start mark for {@link #stop}. */
    public static long start() {
        return System.nanoTime();
    }

    /** Adds the time since {@code startMark} (from {@link #start()}) to {@code phase}; returns a new start mark. */
    public long stop(Phase phase, long startMark) {
        long now = System.nanoTime();
        add(phase, now - startMark);
        return now;
    }

    public synchronized void add(Phase phase, long elapsedNanos) {
        nanos.merge(phase, elapsedNanos, Long::sum);
    }

    /** The recorded phases in data-path order, nanoseconds each. */
    public synchronized Map<Phase, Long> phases() {
        return new EnumMap<>(nanos);
    }

    /** Everything {@code other} recorded, added to this. */
    public void addAll(Timings other) {
        for (Map.Entry<Phase, Long> e : other.phases().entrySet()) {
            add(e.getKey(), e.getValue());
        }
    }

    /** A table: one line per recorded phase, milliseconds, and the sum. */
    public String format() {
        Map<Phase, Long> phases = phases();
        StringBuilder out = new StringBuilder();
        long total = 0;
        for (Map.Entry<Phase, Long> e : phases.entrySet()) {
            out.append(String.format(Locale.ROOT, "%-40s %9.1f ms%n", e.getKey().label(), e.getValue() / 1e6));
            total += e.getValue();
        }
        out.append(String.format(Locale.ROOT, "%-40s %9.1f ms%n", "sum", total / 1e6));
        return out.toString();
    }
}
