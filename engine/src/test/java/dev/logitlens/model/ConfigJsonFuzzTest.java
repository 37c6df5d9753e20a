package dev.logitlens.model;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.logitlens.testing.FuzzFiles;
import dev.logitlens.testing.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of {@code config.json} (docs/FUZZING.md): any bytes as the configuration of a Hugging Face
 * folder, beside the valid {@code model.safetensors} of {@link FuzzSeeds#UNTIED}, either open or are refused with a
 * {@link ModelFormatException}; anything else escaping, an {@link OutOfMemoryError} or a hang is a finding.
 */
class ConfigJsonFuzzTest {

    private static final Path FOLDER = folder();

    @FuzzTest(maxDuration = "10s")
    void configJson(byte[] bytes) {
        FuzzFiles.write(FOLDER.resolve(SafetensorsModel.CONFIG_FILE), bytes);
        ModelAssertions.assertOpensWholeOrIsRefused(() -> SafetensorsModel.openFolder(FOLDER));
    }

    private static Path folder() {
        try {
            Path folder = Files.createDirectories(FuzzFiles.folder().resolve("config"));
            new SafetensorsWriter(FuzzSeeds.UNTIED).writeFile(folder.resolve(SafetensorsModel.SINGLE_FILE));
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
