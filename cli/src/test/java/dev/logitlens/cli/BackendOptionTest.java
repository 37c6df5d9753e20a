package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeBackends;
import dev.logitlens.testing.CsvReader;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.TableAssertions;
import org.junit.jupiter.api.Test;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code --backend}: auto runs where it can and says which; cuda where CUDA is missing is a clear error, not a crash;
 * {@code --kernel native} runs the lens as one ggml graph and gives the same table as the default kernels.
 */
class BackendOptionTest {

    private static final String TOKENS = "2,1,0,2,1,0,0,0,1,1,2";

    @Test
    void autoRunsOnWhatIsThereAndSaysWhich() {
        String model = Fixtures.gptNanoSortModel().toString();
        Run auto = cli("run", "--model", model, "--tokens", TOKENS, "--backend", "auto", "--format", "csv");
        Run cpu = cli("run", "--model", model, "--tokens", TOKENS, "--backend", "cpu", "--format", "csv");
        assertEquals(0, auto.exit(), auto.err());
        String chosen = NativeBackends.available(Backend.CUDA) ? "cuda" : "cpu";
        assertTrue(auto.err().contains("logitlens: --backend auto: " + chosen + " ("), auto.err());
        assertTrue(!cpu.err().contains("--backend auto"), "only auto says what it chose: " + cpu.err());
        if (chosen.equals("cpu")) {
            assertEquals(cpu.out(), auto.out());
        }
    }

    @Test
    void cudaWhereThereIsNoneIsAClearError() {
        assumeFalse(NativeBackends.available(Backend.CUDA), "this machine has CUDA: the device tests cover it");
        String model = Fixtures.gptNanoSortModel().toString();
        for (String command : new String[] {"run", "residuals"}) {
            Run run = command.equals("run")
                    ? cli("run", "--model", model, "--tokens", TOKENS, "--backend", "cuda")
                    : cli("residuals", "--model", model, "--tokens", TOKENS, "--backend", "cuda", "--out", "never.npy");
            assertEquals(1, run.exit(), run.err());
            assertTrue(run.err().contains("no CUDA backend"), run.err());
            assertTrue(run.err().lines().count() <= 2, "one clear message, no stack trace: " + run.err());
        }
    }

    @Test
    void theNativeGraphKernelGivesTheSameTable() {
        String model = Fixtures.gptNanoSortModel().toString();
        Run graph = cli("run", "--model", model, "--tokens", TOKENS, "--kernel", "native", "--format", "csv");
        Run jvm = cli("run", "--model", model, "--tokens", TOKENS, "--kernel", "jvm", "--format", "csv");
        assertEquals(0, graph.exit(), graph.err());
        assertEquals(0, jvm.exit(), jvm.err());
        TableAssertions.assertSameRows(CsvReader.rows(jvm.out()), CsvReader.rows(graph.out()));
    }
}
