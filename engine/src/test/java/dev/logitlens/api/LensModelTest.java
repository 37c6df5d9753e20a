package dev.logitlens.api;

import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The embedding API: open, run over ids or text, the kernel choice, close. */
class LensModelTest {

    @TempDir
    Path dir;

    @Test
    void bothKernelsGiveTheSameLensAndAutoPicksByBackendAndPrecision() throws IOException {
        Gpt2Config config = TinyGpt2.config(97, 8, 32, 4, 2);
        Path file = new GgufWriter(TinyGpt2.generate(config, 2, 6, true)).write(dir.resolve("m.gguf"));
        int[] tokens = {5, 17, 3, 96, 0, 42};
        LensOptions options = LensOptions.defaults().withTopK(3);
        LensSettings cpu = LensSettings.defaults().withThreads(2);
        try (LensModel auto = LensModel.open(file, cpu);
             LensModel nativeKernel = LensModel.open(file, cpu.withKernel(KernelChoice.NATIVE));
             LensModel reduced = LensModel.open(file, cpu.withPrecision(ProjectionPrecision.BF16))) {
            assertEquals("jvm-vector", auto.kernelName());
            assertEquals("native-f32", nativeKernel.kernelName());
            assertEquals("native-bf16", reduced.kernelName());
            LensResult a = auto.run(tokens, options);
            LensResult b = nativeKernel.run(tokens, options);
            for (int layer = 0; layer <= config.nLayer(); layer++) {
                for (int pos = 0; pos < tokens.length; pos++) {
                    assertEquals(a.topTokenId(layer, pos, 0), b.topTokenId(layer, pos, 0));
                    assertEquals(a.klToFinal(layer, pos), b.klToFinal(layer, pos), 1e-4);
                    assertEquals(a.entropy(layer, pos), b.entropy(layer, pos), 1e-4);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> auto.tokenize("text needs GPT-2's vocabulary"));
        }
        assertEquals(KernelChoice.NATIVE, KernelChoice.AUTO.resolve(Backend.CUDA, ProjectionPrecision.F32));
    }

    @Test
    void noAffineDecodesOtherRows() throws IOException {
        Gpt2Config config = TinyGpt2.config(61, 8, 32, 4, 1);
        Path file = new GgufWriter(TinyGpt2.generate(config, 4, 6, true)).write(dir.resolve("m.gguf"));
        int[] tokens = {1, 2, 3};
        try (LensModel lens = LensModel.open(file, LensSettings.defaults().withThreads(1));
             LensModel bare = LensModel.open(file, LensSettings.defaults().withThreads(1).withMode(ResidualMode.NO_AFFINE))) {
            LensOptions options = LensOptions.defaults().withTopK(1);
            assertNotEquals(lens.run(tokens, options).entropy(1, 2), bare.run(tokens, options).entropy(1, 2));
        }
    }

    @Test
    void textRunsThroughGpt2sTokenizer() throws IOException {
        Gpt2Config config = TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 16, 16, 2, 1);
        Path file = new GgufWriter(TinyGpt2.generate(config, 6, 4, true)).write(dir.resolve("vocab.gguf"));
        try (LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(2))) {
            assertArrayEquals(new int[] {15496, 995}, model.tokenize("Hello world"));
            LensResult lens = model.run("Hello world", LensOptions.defaults());
            assertEquals(2, lens.nTokens());
            assertEquals(1, lens.rankOfFinalTop1(1, 0));
        }
    }

    @Test
    void settingsAreCheckedAndAClosedModelThrows() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> LensSettings.defaults().withMode(ResidualMode.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> LensSettings.defaults().withKernel(KernelChoice.JVM).withPrecision(ProjectionPrecision.Q8_0));
        assertThrows(IllegalArgumentException.class, () -> LensSettings.defaults().withThreads(0));

        Path file = new GgufWriter(TinyGpt2.generate(TinyGpt2.config(11, 4, 16, 2, 1), 1, 2, true)).write(dir.resolve("m.gguf"));
        LensModel model = LensModel.open(file, LensSettings.defaults().withThreads(1));
        model.close();
        assertThrows(IllegalStateException.class, () -> model.run(new int[] {1}, LensOptions.defaults()));
        model.close();
    }
}
