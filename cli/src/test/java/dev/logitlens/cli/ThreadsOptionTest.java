package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --threads} takes 1 to the number of CPUs the JVM has: 0, a negative count or more threads than CPUs are a
 * command-line error (exit 2, before any model is opened), where 64 threads on 2 CPUs took 7x longer and 512 hung.
 */
class ThreadsOptionTest {

    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    @Test
    void outOfRangeCountsAreCommandLineErrors() {
        String model = Fixtures.gptNanoSortModel().toString();
        for (int n : new int[] {0, -1, CPUS + 1, 512}) {
            String threads = Integer.toString(n);
            for (String[] args : new String[][] {
                    {"run", "--model", model, "--tokens", "2,1,0", "--threads", threads},
                    {"residuals", "--model", model, "--tokens", "2,1,0", "--threads", threads, "--out", "never-written.npy"}}) {
                Run run = cli(args);
                assertEquals(2, run.exit(), String.join(" ", args) + ": " + run.err());
                assertTrue(run.err().contains("--threads " + n + ": use 1 to " + CPUS), run.err());
            }
        }
    }

    @Test
    void everyCountFromOneToTheCpusIsTaken() {
        String model = Fixtures.gptNanoSortModel().toString();
        for (int n : new int[] {1, CPUS}) {
            Run run = cli("run", "--model", model, "--tokens", "2,1,0,2,1,0,0,0,1,1,2", "--threads", Integer.toString(n),
                    "--format", "csv");
            assertEquals(0, run.exit(), run.err());
        }
    }
}
