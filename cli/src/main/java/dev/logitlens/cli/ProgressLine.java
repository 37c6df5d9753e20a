package dev.logitlens.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress report on standard error: on a terminal one line redrawn in place (at most 5 times a second),
 * elsewhere (a log, a pipe) a plain line every 10 seconds. Shows documents, tokens per second and the time left,
 * estimated from the bytes of text still to read.
 *
 * <p>The rate and the time left are measured from the first report (the first document done in this run), not from
 * the start: what came before it — opening the model, scanning the corpus, skipping the documents an earlier run
 * did, the first document's warm-up — would otherwise make the rate too low or, after a resume, far too high.
 * Until a second report, they are measured from the start.
 */
final class ProgressLine {

    enum Mode { auto, always, never }

    private final PrintWriter err;
    private final boolean inPlace;
    private final boolean enabled;
    private final LongSupplier clock; // nanoseconds
    private final long started;
    private long lastDrawn;
    private boolean drawn;
    private boolean baselineSet;       // the first report's time, tokens and bytes: what the rate is measured from
    private long baselineTime;
    private long baselineTokens;
    private long baselineBytes;

    ProgressLine(PrintWriter err, Mode mode) {
        this(err, mode, System::nanoTime);
    }

    ProgressLine(PrintWriter err, Mode mode, LongSupplier clock) {
        this.err = err;
        this.enabled = mode != Mode.never;
        this.inPlace = mode == Mode.always || (mode == Mode.auto && System.console() != null && System.console().isTerminal());
        this.clock = clock;
        this.started = clock.getAsLong();
    }

    void update(String what, int documentsDone, int documents, long bytesDone, long bytes, long tokens, boolean force) {
        if (!enabled) {
            return;
        }
        long now = clock.getAsLong();
        boolean first = !baselineSet;
        if (first) {
            baselineSet = true;
            baselineTime = now;
            baselineTokens = tokens;
            baselineBytes = bytesDone;
        }
        long interval = inPlace ? 200_000_000L : 10_000_000_000L;
        if (!force && drawn && now - lastDrawn < interval) {
            return;
        }
        if (!force && !drawn && !inPlace && now - started < interval) {
            return;
        }
        lastDrawn = now;
        drawn = true;
        // since the first report; at the first report itself, since the start
        long fromTime = first ? started : baselineTime;
        long fromTokens = first ? 0 : baselineTokens;
        long fromBytes = first ? 0 : baselineBytes;
        double seconds = Math.max(1e-9, (now - fromTime) / 1e9);
        double fraction = bytes == 0 ? 1 : (double) bytesDone / bytes;
        long bytesLeft = bytes - bytesDone;
        double bytesPerSecond = (bytesDone - fromBytes) / seconds;
        String eta = fraction <= 0 || fraction >= 1 || bytesPerSecond <= 0 ? "" : ", ETA " + duration(bytesLeft / bytesPerSecond);
        int width = 24;
        int filled = (int) Math.round(fraction * width);
        String bar = "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
        String line = String.format(Locale.ROOT, "%s %s %d/%d docs, %s tokens, %s tok/s%s", what, bar, documentsDone, documents,
                count(tokens), count(Math.round((tokens - fromTokens) / seconds)), eta);
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
