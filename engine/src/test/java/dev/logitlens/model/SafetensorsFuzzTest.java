package dev.logitlens.model;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.testing.FuzzFiles;
import dev.logitlens.testing.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the safetensors reader (docs/FUZZING.md): any bytes as {@code model.safetensors}, beside
 * the valid {@code config.json} of {@link FuzzSeeds#UNTIED}, either open or are refused with a
 * {@link ModelFormatException}; anything else escaping, an {@link OutOfMemoryError} or a hang is a finding.
 */
class SafetensorsFuzzTest {

    private static final Path FOLDER = folder();

    @FuzzTest(maxDuration = "10s")
    void safetensors(byte[] bytes) {
        Path file = FuzzFiles.write(FOLDER.resolve(SafetensorsModel.SINGLE_FILE), bytes);
        ModelAssertions.assertOpensWholeOrIsRefused(() -> SafetensorsModel.openFile(file));
    }

    private static Path folder() {
        try {
            Path folder = Files.createDirectories(FuzzFiles.folder().resolve("safetensors"));
            new SafetensorsWriter(FuzzSeeds.UNTIED).writeConfig(folder.resolve(SafetensorsModel.CONFIG_FILE));
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
