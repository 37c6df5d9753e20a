package dev.logitlens.io;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Numbered points in a sequence of file writes at which a test can stop the process, to check that a crash at any
 * moment leaves something the next run recovers from. Inert unless the system property
 * {@code logitlens.test.crashAt} is set (tests only):
 * <ul>
 *   <li>{@code trace}: every point reached is reported on standard error as {@code logitlens-test step N: LABEL};</li>
 *   <li>a number N: at the N-th point (from 1) the process reports {@code logitlens-test paused at step N: LABEL}
 *       and waits forever, for the test to kill it with SIGKILL.</li>
 * </ul>
 */
public final class CrashPoint {

    private static final String SETTING = System.getProperty("logitlens.test.crashAt", "");
    private static final boolean TRACE = SETTING.equals("trace");
    private static final int PAUSE_AT = parse(SETTING);
    private static final AtomicInteger REACHED = new AtomicInteger();

    private CrashPoint() {
    }

    private static int parse(String setting) {
        try {
            return setting.isEmpty() || setting.equals("trace") ? 0 : Integer.parseInt(setting);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A point between two file-system changes; {@code label} says which (shown to the test). */
    public static void reach(String label) {
        if (!TRACE && PAUSE_AT <= 0) {
            return;
        }
        int step = REACHED.incrementAndGet();
        PrintStream err = System.err;
        if (TRACE) {
            err.println("logitlens-test step " + step + ": " + label);
            err.flush();
        } else if (step == PAUSE_AT) {
            err.println("logitlens-test paused at step " + step + ": " + label);
            err.flush();
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    // keep waiting for the kill
                }
            }
        }
    }
}
