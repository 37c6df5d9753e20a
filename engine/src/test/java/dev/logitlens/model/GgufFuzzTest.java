package dev.logitlens.model;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.testing.FuzzFiles;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the GGUF reader (docs/FUZZING.md): any bytes either open as a model or are refused with
 * a {@link ModelFormatException}; any other exception, an {@link OutOfMemoryError} or a hang is a finding. Seeds and
 * regression inputs: {@code GgufFuzzTestInputs/gguf/} under the test resources.
 */
class GgufFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void gguf(byte[] bytes) {
        Path file = FuzzFiles.write("fuzz.gguf", bytes);
        ModelAssertions.assertOpensWholeOrIsRefused(() -> GgufModel.open(file));
    }
}
