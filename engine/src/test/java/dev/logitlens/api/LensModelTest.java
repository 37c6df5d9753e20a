package dev.logitlens.api;

import dev.logitlens.hub.DownloadProgress;
import dev.logitlens.hub.HubException;
import dev.logitlens.hub.HubModels;
import dev.logitlens.hub.HubOptions;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.VectorApi;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding API: open, run over ids or text, the kernel choice, close. */
class LensModelTest {

    @TempDir
    Path dir;

    @Test
    void everyKernelGivesTheSameLensAndAutoPicksByInputBackendAndPrecision() throws IOException {
        Gpt2Config config = TinyGpt2.config(97, KernelChoice.JVM_PROJECTION_MIN_ROWS / 3 + 1, 32, 4, 2);
        Path file = new GgufWriter(TinyGpt2.generate(config, 2, 6, true)).write(dir.resolve("m.gguf"));
        int[] tokens = {5, 17, 3, 96, 0, 42};
        LensOptions options = LensOptions.defaults().withTopK(3);
        LensSettings cpu = LensSettings.defaults().withThreads(2);
        int[] longInput = new java.util.Random(3).ints(config.nCtx(), 0, config.nVocab()).toArray(); // 3·T rows ≥ the threshold
        try (LensModel auto = LensModel.open(file, cpu);
             LensModel nativeKernel = LensModel.open(file, cpu.withKernel(KernelChoice.NATIVE));
             LensModel jvmKernel = LensModel.open(file, cpu.withKernel(KernelChoice.JVM));
             LensModel reduced = LensModel.open(file, cpu.withPrecision(ProjectionPrecision.BF16))) {
            assertEquals("native-f32 + native statistics", auto.kernelName());
            assertEquals("native-bf16 + native statistics", reduced.kernelName());
            assertEquals("jvm-vector + jvm statistics", jvmKernel.kernelName());
            assertEquals("native-f32 + statistics in the graph (cpu)", nativeKernel.kernelName());
            for (int[] input : new int[][] {tokens, longInput}) {
                LensResult a = auto.run(input, options);
                LensResult b = nativeKernel.run(input, options);
                LensResult c = jvmKernel.run(input, options);
                for (int layer = 0; layer <= config.nLayer(); layer++) {
                    for (int pos = 0; pos < input.length; pos++) {
                        for (LensResult other : new LensResult[] {b, c}) {
                            assertEquals(a.topTokenId(layer, pos, 0), other.topTokenId(layer, pos, 0));
                            assertEquals(a.rankOfNextToken(layer, pos), other.rankOfNextToken(layer, pos));
                            assertEquals(a.klToFinal(layer, pos), other.klToFinal(layer, pos), 1e-4);
                            assertEquals(a.entropy(layer, pos), other.entropy(layer, pos), 1e-4);
                        }
                    }
                }
            }
            assertEquals("jvm-vector + native statistics", auto.kernelName(), "a long input is projected by the JVM kernel");
            auto.run(tokens, options);
            assertEquals("native-f32 + native statistics", auto.kernelName(), "a short one by ggml again");
            assertThrows(IllegalArgumentException.class, () -> auto.tokenize("text needs GPT-2's vocabulary"));
        }
        assertEquals(KernelChoice.NATIVE, KernelChoice.AUTO.projection(Backend.CUDA, ProjectionPrecision.F32, 1 << 20));
        assertEquals(KernelChoice.NATIVE, KernelChoice.AUTO.projection(Backend.CPU, ProjectionPrecision.F16, 1 << 20));
        assertEquals(KernelChoice.JVM, KernelChoice.AUTO.projection(Backend.CPU, ProjectionPrecision.F32, 1 << 20));
        assertTrue(VectorApi.available(), "the tests run with the Vector API");
        assertEquals(KernelChoice.NATIVE, KernelChoice.AUTO.projection(Backend.CPU, ProjectionPrecision.F32, 1 << 20, false),
                "without the Vector API (./logitlens's quick start) AUTO keeps to ggml");
        assertEquals(KernelChoice.JVM, KernelChoice.JVM.projection(Backend.CPU, ProjectionPrecision.F32, 1, false),
                "an explicit choice stands; the kernel itself then says what is missing");
        assertTrue(KernelChoice.AUTO.inGraph(Backend.CUDA), "on CUDA the statistics stay on the device");
        assertFalse(KernelChoice.AUTO.inGraph(Backend.CPU), "on the CPU AUTO keeps the C statistics");
        assertTrue(KernelChoice.NATIVE.inGraph(Backend.CPU));
        assertFalse(KernelChoice.JVM.inGraph(Backend.CUDA));
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
    void openByPathOrNameRunWithDefaultsAndDescribeItself() throws IOException {
        Gpt2Config config = TinyGpt2.config(61, 8, 32, 4, 2);
        Path file = new GgufWriter(TinyGpt2.generate(config, 4, 6, true)).write(dir.resolve("m.gguf"));
        try (LensModel model = LensModel.open(file.toString(), LensSettings.defaults().withThreads(1))) {
            LensResult lens = model.run(new int[] {1, 2, 3});
            assertEquals(LensOptions.DEFAULT_TOP_K, lens.topK());
            assertEquals(-1, lens.following());
            String text = model.toString();
            for (String part : new String[] {file.toString(), "n_layer=2", "d_model=32", "vocab=61", "CPU", "1 threads", "AUTO"}) {
                assertTrue(text.contains(part), part + " in " + text);
            }
            assertTrue(text.contains("last: " + model.kernelName()), text);
        }
        IOException missing = assertThrows(IOException.class, () -> LensModel.open(dir.resolve("none.gguf").toString()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

        // a name resolves through the hub cache: here an empty one, offline, so it names what is missing
        HubOptions offline = HubOptions.fromEnvironment(Map.of("HF_HUB_CACHE", dir.resolve("hub").toString(), "HF_HUB_OFFLINE", "1"));
        assertEquals(file, HubModels.locate(file.toString(), offline, DownloadProgress.NONE), "an existing path wins");
        HubException notCached = assertThrows(HubException.class, () -> HubModels.locate("gpt2", offline, DownloadProgress.NONE));
        assertEquals(HubException.Reason.OFFLINE, notCached.reason());

        // a relative symbolic-link loop shaped like ORG/NAME is the user's path, not a name to look up on the hub
        Path loop = Path.of("target", "hub-loop-" + ProcessHandle.current().pid()); // relative: "target/hub-loop-N"
        Files.deleteIfExists(loop);
        Files.createSymbolicLink(loop, loop.getFileName());
        try {
            assertTrue(HubModels.isModelName(loop.toString()), "the test's path looks like a hub name");
            IOException looped = assertThrows(IOException.class, () -> HubModels.locate(loop.toString(), offline, DownloadProgress.NONE));
            assertFalse(looped instanceof HubException, "not looked up on the hub: " + looped);
            assertTrue(looped.getMessage().contains("symbolic link that leads to no file or folder"), looped.getMessage());
        } finally {
            Files.deleteIfExists(loop);
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
