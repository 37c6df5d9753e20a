package dev.logitlens.corpus;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a document longer than the context into windows. Window w covers the document positions
 * {@code [w·stride, min(w·stride + size, T))}; the windows go on until one reaches the end. Each position is
 * reported once, by the first window that holds it with the most context: window 0 reports all its positions,
 * a later window only those past the end of the previous one ({@link Window#emitFrom()}). With
 * {@code stride < size} the windows overlap and every reported position after the first window has at least
 * {@code size − stride} tokens of context (the strided evaluation of Hugging Face's perplexity guide).
 */
public final class Windows {

    /**
     * One window.
     *
     * @param index    its index in the document, from 0
     * @param start    document position of its first token
     * @param length   its number of tokens
     * @param emitFrom window position of its first reported row
     */
    public record Window(int index, int start, int length, int emitFrom) {
    }

    private Windows() {
    }

    /**
     * @param tokens document length T ≥ 1
     * @param size   window size, ≥ 1 (at most the model's context)
     * @param stride 1 ≤ stride ≤ size
     */
    public static List<Window> plan(int tokens, int size, int stride) {
        if (tokens < 1) {
            throw new IllegalArgumentException("a document has at least one token, not " + tokens);
        }
        if (size < 1) {
            throw new IllegalArgumentException("the window size must be at least 1, not " + size);
        }
        if (stride < 1 || stride > size) {
            throw new IllegalArgumentException("the stride must be between 1 and the window size " + size + ", not " + stride);
        }
        List<Window> windows = new ArrayList<>();
        for (Window window = next(null, tokens, size, stride); window != null; window = next(window, tokens, size, stride)) {
            windows.add(window);
        }
        return windows;
    }

    /**
     * The window after {@code previous} ({@code null}: the first) in a document of {@code tokens} tokens, or
     * {@code null} when {@code previous} reached the end. A reader that streams a document can pass any
     * {@code tokens} greater than {@code nextStart(previous, stride) + size} while it has not yet seen the end: the
     * window is then full, and not the last.
     */
    public static Window next(Window previous, int tokens, int size, int stride) {
        int previousEnd = previous == null ? 0 : previous.start() + previous.length();
        if (previous != null && previousEnd >= tokens) {
            return null;
        }
        int start = nextStart(previous, stride);
        int end = (int) Math.min((long) start + size, tokens);
        return new Window(previous == null ? 0 : previous.index() + 1, start, end - start, previousEnd - start);
    }

    /** Document position of the first token of the window after {@code previous} ({@code null}: the first). */
    public static int nextStart(Window previous, int stride) {
        return previous == null ? 0 : Math.addExact(previous.start(), stride);
    }
}
