package dev.logitlens.model;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.testing.FuzzFiles;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the llm-viz JSON model reader (docs/FUZZING.md): any bytes either open as a model or are
 * refused with a {@link ModelFormatException}; anything else escaping, an {@link OutOfMemoryError} or a hang is a
 * finding.
 */
class LlmVizJsonFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void llmVizJson(byte[] bytes) {
        Path file = FuzzFiles.write("model.json", bytes);
        ModelAssertions.assertOpensWholeOrIsRefused(() -> LlmVizJsonModel.open(file));
    }
}
