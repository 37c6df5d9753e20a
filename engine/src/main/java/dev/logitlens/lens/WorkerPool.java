package dev.logitlens.lens;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of daemon threads that run chunked parallel loops: every worker claims chunk indices
 * from a shared counter until none are left, so a slow core takes fewer chunks.
 */
final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop: process chunk {@code chunk} on worker {@code worker} (0 ≤ worker < threads). */
    @FunctionalInterface
    interface ChunkTask {
        void run(int worker, int chunk);
    }

    private final int threads;
    private final ExecutorService executor;

    WorkerPool(int threads, String threadName) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, not " + threads);
        }
        this.threads = threads;
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, threadName + "-" + counter.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        };
        this.executor = Executors.newFixedThreadPool(threads, factory);
    }

    int threads() {
        return threads;
    }

    /** Runs {@code task} for every chunk in {@code [0, nChunks)} and returns when all are done; rethrows the first failure. */
    void forEachChunk(int nChunks, ChunkTask task) {
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        int active = Math.min(threads, nChunks);
        List<Future<?>> futures = new ArrayList<>(active);
        for (int w = 0; w < active; w++) {
            int worker = w;
            futures.add(executor.submit(() -> {
                try {
                    for (int chunk = next.getAndIncrement(); chunk < nChunks && !failed.get(); chunk = next.getAndIncrement()) {
                        task.run(worker, chunk);
                    }
                } catch (RuntimeException | Error e) {
                    failed.set(true);
                    throw e;
                }
            }));
        }
        RuntimeException failure = null;
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.set(true);
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for workers", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
