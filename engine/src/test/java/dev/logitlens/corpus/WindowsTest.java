package dev.logitlens.corpus;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WindowsTest {

    @Test
    void aShortDocumentIsOneWindow() {
        assertEquals(List.of(new Windows.Window(0, 0, 5, 0)), Windows.plan(5, 8, 8));
        assertEquals(List.of(new Windows.Window(0, 0, 8, 0)), Windows.plan(8, 8, 4));
    }

    @Test
    void withoutOverlapTheWindowsTileTheDocument() {
        assertEquals(List.of(new Windows.Window(0, 0, 4, 0), new Windows.Window(1, 4, 4, 0), new Windows.Window(2, 8, 2, 0)),
                Windows.plan(10, 4, 4));
    }

    @Test
    void overlappingWindowsReportEachPositionOnceWithTheMostContext() {
        List<Windows.Window> windows = Windows.plan(10, 8, 3);
        assertEquals(List.of(new Windows.Window(0, 0, 8, 0), new Windows.Window(1, 3, 7, 5)), windows);
        for (int tokens = 1; tokens <= 40; tokens++) {
            for (int size = 1; size <= 9; size++) {
                for (int stride = 1; stride <= size; stride++) {
                    int[] reported = new int[tokens];
                    for (Windows.Window w : Windows.plan(tokens, size, stride)) {
                        for (int p = w.emitFrom(); p < w.length(); p++) {
                            reported[w.start() + p]++;
                            int context = p + 1;
                            int position = w.start() + p;
                            assertEquals(true, context == position + 1 || context >= size - stride + 1,
                                    "position " + position + " has " + context + " tokens of context");
                        }
                    }
                    for (int p = 0; p < tokens; p++) {
                        assertEquals(1, reported[p], "T=" + tokens + " size=" + size + " stride=" + stride + ": position " + p);
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Windows.plan(0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> Windows.plan(4, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Windows.plan(4, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> Windows.plan(4, 4, 5));
    }
}
