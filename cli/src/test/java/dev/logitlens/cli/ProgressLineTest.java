package dev.logitlens.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress line's rate and time left are measured from the first report, not from the process's start. */
class ProgressLineTest {

    private long now; // nanoseconds, set by the test

    @Test
    void theRateCountsOnlyWhatCameAfterTheFirstReport() {
        StringWriter text = new StringWriter();
        ProgressLine line = new ProgressLine(new PrintWriter(text), ProgressLine.Mode.always, () -> now);
        // 60 s of start-up (model, corpus scan), then a resumed run whose first report already counts 900 skipped
        // documents' 90,000 tokens and 900 kB; then 10 s for 10,000 tokens and 10 kB
        now = 60_000_000_000L;
        line.update("dump", 900, 1000, 900_000, 1_000_000, 90_000, true);
        now += 10_000_000_000L;
        line.update("dump", 910, 1000, 910_000, 1_000_000, 100_000, true);
        String last = text.toString().substring(text.toString().lastIndexOf('\r') + 1);
        assertTrue(last.contains("1000 tok/s"), "10,000 tokens in 10 s: " + last);
        // 90 kB left at 1 kB/s: 90 s
        assertTrue(last.contains("ETA 1m30s"), last);
    }
}
