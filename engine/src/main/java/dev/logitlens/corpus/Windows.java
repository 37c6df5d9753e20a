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
        int previousEnd = 0;
        for (int start = 0; ; start += stride) {
            int end = Math.min(start + size, tokens);
            windows.add(new Window(windows.size(), start, end - start, previousEnd - start));
            if (end == tokens) {
                return windows;
            }
            previousEnd = end;
        }
    }
}
