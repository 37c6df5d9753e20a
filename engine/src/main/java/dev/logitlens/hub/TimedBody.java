package dev.logitlens.hub;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A response body read chunk by chunk by the calling thread, with a limit on how long to wait for the
 * next chunk: {@link java.net.http.HttpClient}'s own timeout covers only the wait for the headers, so a
 * server that stops sending in the middle of a body would otherwise stall a download forever.
 */
final class TimedBody implements Flow.Subscriber<List<ByteBuffer>> {

    private static final Object END = new Object();

    private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
    private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    private volatile boolean cancelled;

    @Override
    public void onSubscribe(Flow.Subscription s) {
        if (!subscription.compareAndSet(null, s) || cancelled) {
            s.cancel();
            return;
        }
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        items.add(item);
    }

    @Override
    public void onError(Throwable error) {
        items.add(error);
    }

    @Override
    public void onComplete() {
        items.add(END);
    }

    /**
     * The next buffers of the body, or null at its end.
     *
     * @throws HttpTimeoutException when nothing arrived within {@code timeout} (the transfer is then cancelled)
     * @throws IOException          when the transfer failed (e.g. the connection was closed early)
     */
    @SuppressWarnings("unchecked")
    List<ByteBuffer> next(Duration timeout) throws IOException, InterruptedException {
        Object item = items.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (item == null) {
            cancel();
            throw new HttpTimeoutException("no data for " + timeout.toMillis() / 1000.0 + " s");
        }
        if (item == END) {
            items.add(END);
            return null;
        }
        if (item instanceof Throwable error) {
            items.add(error);
            throw error instanceof IOException io ? io : new IOException(error);
        }
        subscription.get().request(1);
        return (List<ByteBuffer>) item;
    }

    /** Stops the transfer (the connection is released); safe to call at any time, more than once. */
    void cancel() {
        cancelled = true;
        Flow.Subscription s = subscription.get();
        if (s != null) {
            s.cancel();
        }
    }
}
