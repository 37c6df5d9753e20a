package dev.logitlens.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress report on standard error: on a terminal one line redrawn in place (at most 5 times a second),
 * elsewhere (a log, a pipe) a plain line every 10 seconds. Shows documents, tokens per second and the time left,
 * estimated from the bytes of text still to read.
 */
final class ProgressLine {

    enum Mode { auto, always, never }

    private final PrintWriter err;
    private final boolean inPlace;
    private final boolean enabled;
    private final long started = System.nanoTime();
    private long lastDrawn;
    private boolean drawn;

    ProgressLine(PrintWriter err, Mode mode) {
        this.err = err;
        this.enabled = mode != Mode.never;
        this.inPlace = mode == Mode.always || (mode == Mode.auto && System.console() != null && System.console().isTerminal());
    }

    void update(String what, int documentsDone, int documents, long bytesDone, long bytes, long tokens, boolean force) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        long interval = inPlace ? 200_000_000L : 10_000_000_000L;
        if (!force && drawn && now - lastDrawn < interval) {
            return;
        }
        if (!force && !drawn && !inPlace && now - started < interval) {
            return;
        }
        lastDrawn = now;
        drawn = true;
        double seconds = Math.max(1e-9, (now - started) / 1e9);
        double fraction = bytes == 0 ? 1 : (double) bytesDone / bytes;
        String eta = fraction <= 0 || fraction >= 1 ? "" : ", ETA " + duration(seconds * (1 - fraction) / fraction);
        int width = 24;
        int filled = (int) Math.round(fraction * width);
        String bar = "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
        String line = String.format(Locale.ROOT, "%s %s %d/%d docs, %s tokens, %s tok/s%s", what, bar, documentsDone, documents,
                count(tokens), count(Math.round(tokens / seconds)), eta);
        if (inPlace) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Ends the in-place line. */
    void finish() {
        if (enabled && inPlace && drawn) {
            err.println();
            err.flush();
        }
    }

    static String count(long n) {
        if (n >= 10_000_000) {
            return (n / 1_000_000) + "M";
        }
        if (n >= 10_000) {
            return (n / 1_000) + "k";
        }
        return Long.toString(n);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}
