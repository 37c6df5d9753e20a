package dev.logitlens.api;

import dev.logitlens.lens.LensCell;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.LensAssertions;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@link LensModel} used from several threads: its calls are serialised, so concurrent runs give exactly the
 * results of a single-threaded run; a close while others run lets each call either finish correctly or throw
 * {@link IllegalStateException}, and every call after it throws.
 */
class LensModelConcurrencyTest {

    private static final int THREADS = 4;
    private static final int ROUNDS = 3;

    @TempDir
    static Path dir;

    private static Path file;
    private static int[][] inputs;
    private static LensOptions options;

    @BeforeAll
    static void writeModel() throws IOException {
        // the longest input has (n_layer + 1)·T rows ≥ the AUTO threshold: both the ggml and the JVM lens run
        Gpt2Config config = TinyGpt2.config(97, KernelChoice.JVM_PROJECTION_MIN_ROWS / 3 + 1, 32, 4, 2);
        file = new GgufWriter(TinyGpt2.generate(config, 7, 6, true)).write(dir.resolve("m.gguf"));
        Random random = new Random(5);
        inputs = new int[][] {
                {5},
                random.ints(7, 0, config.nVocab()).toArray(),
                random.ints(40, 0, config.nVocab()).toArray(),
                random.ints(config.nCtx(), 0, config.nVocab()).toArray()};
        options = LensOptions.defaults().withTopK(3).withDistributionCells(List.of(new LensCell(0, 0), new LensCell(2, 0)));
    }

    private static LensSettings settings() {
        return LensSettings.defaults().withThreads(2);
    }

    /** The lens of every input, one after the other on one thread. */
    private static LensResult[] sequential(LensModel model) {
        LensResult[] expected = new LensResult[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            expected[i] = model.run(inputs[i], i, options); // following token i: the window's next token
        }
        return expected;
    }

    @Test
    void concurrentRunsEqualASingleThreadedRun() throws Exception {
        LensResult[] expected;
        try (LensModel reference = LensModel.open(file, settings())) {
            expected = sequential(reference);
        }
        try (LensModel model = LensModel.open(file, settings())) {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t;
                threads.add(Thread.ofPlatform().name("lens-user-" + t).start(() -> {
                    try {
                        start.await();
                        for (int round = 0; round < ROUNDS; round++) {
                            for (int k = 0; k < inputs.length; k++) {
                                int i = (k + offset) % inputs.length; // each thread in another order
                                LensAssertions.assertSameResult(expected[i], model.run(inputs[i], i, options));
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertTrue(failures.isEmpty(), () -> failures.size() + " threads failed, the first: " + describe(failures.peek()));
        }
    }

    @Test
    void closeWhileOthersRunLetsEachCallFinishOrThrowIllegalState() throws Exception {
        LensModel model = LensModel.open(file, settings());
        LensResult[] expected = sequential(model);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch everyThreadRan = new CountDownLatch(THREADS);
        int[] completed = new int[THREADS];
        boolean[] refused = new boolean[THREADS];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("lens-user-" + t).start(() -> {
                // run until the model refuses: every call before then must be complete and correct
                for (int k = 0; ; k++) {
                    int i = (k + id) % inputs.length;
                    LensResult result;
                    try {
                        result = model.run(inputs[i], i, options);
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("closed")) {
                            failures.add(e);
                        }
                        refused[id] = true;
                        return;
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                    try {
                        LensAssertions.assertSameResult(expected[i], result);
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                    if (completed[id]++ == 0) {
                        everyThreadRan.countDown();
                    }
                }
            }));
        }
        everyThreadRan.await();
        model.close(); // waits for the run in progress; the threads waiting for the model are refused
        for (Thread thread : threads) {
            thread.join();
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " threads failed, the first: " + describe(failures.peek()));
        for (int t = 0; t < THREADS; t++) {
            assertTrue(completed[t] >= 1, "thread " + t + " completed a run before the close");
            assertTrue(refused[t], "thread " + t + " ended with IllegalStateException");
        }

        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> model.run(inputs[0], options));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> model.run(inputs[1]));
        assertThrows(IllegalStateException.class, () -> model.run("text"));
        assertThrows(IllegalStateException.class, () -> model.run(inputs[0], 1, options));
        assertThrows(IllegalStateException.class, () -> model.tokenize("text"));
        assertThrows(IllegalStateException.class, model::config);
        assertThrows(IllegalStateException.class, model::settings);
        assertThrows(IllegalStateException.class, model::kernelName);
        assertThrows(IllegalStateException.class, model::timings);
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalStateException.class, () -> model.residuals(inputs[0], arena));
        }
        model.close(); // again: nothing happens
        assertTrue(model.toString().contains("closed"), model.toString());
        assertEquals(THREADS, threads.size());
    }

    private static String describe(Throwable e) {
        return e == null ? "none" : e + (e.getStackTrace().length > 0 ? " at " + e.getStackTrace()[0] : "");
    }
}
