package dev.logitlens.runtime;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.TensorType;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.ReferenceGpt2;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The shim's residual stream equals an independent double-precision forward pass ({@link ReferenceGpt2})
 * on tiny random GPT-2s written as GGUF and as Hugging Face safetensors.
 */
class NativeForwardTest {

    /** Float32 weights: within 1e-5 of the row's largest magnitude. */
    private static final double F32_TOLERANCE = 1e-5;
    /**
     * F16 weights: ggml converts the activations to f16 before each f16 matrix product (its CPU
     * vec_dot_type for F16), which the reference (f16-rounded weights, double activations) does not:
     * about 2^-11 relative per product, compounded over the blocks.
     */
    private static final double F16_TOLERANCE = 1e-2;

    @TempDir
    Path dir;

    enum Format { GGUF, SAFETENSORS, SAFETENSORS_PREFIXED }

    record Shape(String name, Gpt2Config config, double sharpness, boolean tied) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final Shape SHARP = new Shape("sharp 2x32 tied", TinyGpt2.config(37, 16, 32, 4, 2), 8.0, true);
    static final Shape WIDE = new Shape("3x48 untied", TinyGpt2.config(61, 12, 48, 3, 3), 2.0, false);

    static Stream<Arguments> models() {
        return Stream.of(Format.values()).flatMap(f -> Stream.of(Arguments.of(SHARP, f), Arguments.of(WIDE, f)));
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("models")
    void everyModeMatchesTheReference(Shape shape, Format format) throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(shape.config, 42, shape.sharpness, shape.tied);
        int[] tokens = randomTokens(shape.config, shape.config.nCtx(), 7);
        ReferenceGpt2.Trace expected = new ReferenceGpt2(weights).run(tokens);

        try (NativeModel model = NativeModel.create(open(weights, format, TensorType.F32), Backend.CPU);
             NativeSession session = model.newSession(2);
             Arena arena = Arena.ofConfined()) {
            ResidualStream normalised = session.forward(tokens, ResidualMode.NORMALISED, true, arena);
            assertClose(expected.normalized(true), normalised.residual(), F32_TOLERANCE, "normalised");
            assertClose(expected.midNormalized(true), normalised.mid(), F32_TOLERANCE, "mid normalised");

            ResidualStream noAffine = session.forward(tokens, ResidualMode.NO_AFFINE, false, arena);
            assertClose(expected.normalized(false), noAffine.residual(), F32_TOLERANCE, "no affine");

            ResidualStream raw = session.forward(tokens, ResidualMode.RAW, true, arena);
            assertClose(expected.residual(), raw.residual(), F32_TOLERANCE, "raw");
            assertClose(expected.mid(), raw.mid(), F32_TOLERANCE, "raw mid");
        }
    }

    @ParameterizedTest(name = "{0} as {1}, f16")
    @MethodSource("models")
    void halfPrecisionWeightsMatchTheReferenceOnRoundedWeights(Shape shape, Format format) throws IOException {
        CanonicalWeights weights = TinyGpt2.generate(shape.config, 7, shape.sharpness, shape.tied);
        int[] tokens = randomTokens(shape.config, 9, 3);
        try (NativeModel model = NativeModel.create(open(weights, format, TensorType.F16), Backend.CPU);
             NativeSession session = model.newSession(1);
             Arena arena = Arena.ofConfined()) {
            CanonicalWeights rounded = CanonicalWeights.read(model.weights()); // what the file holds, decoded
            ReferenceGpt2.Trace expected = new ReferenceGpt2(rounded).run(tokens);
            ResidualStream raw = session.forward(tokens, ResidualMode.RAW, false, arena);
            assertClose(expected.residual(), raw.residual(), F16_TOLERANCE, "raw f16");
        }
    }

    @ParameterizedTest(name = "prefix sweep {0}")
    @MethodSource("models")
    void everyPrefixLengthGivesTheSameRows(Shape shape, Format format) throws IOException {
        // causal attention: the rows of a prefix do not depend on what follows it
        CanonicalWeights weights = TinyGpt2.generate(shape.config, 11, shape.sharpness, shape.tied);
        int[] tokens = randomTokens(shape.config, shape.config.nCtx(), 5);
        ReferenceGpt2 reference = new ReferenceGpt2(weights);
        try (NativeModel model = NativeModel.create(open(weights, format, TensorType.F32), Backend.CPU);
             NativeSession session = model.newSession(2);
             Arena arena = Arena.ofConfined()) {
            for (int t = 1; t <= tokens.length; t += 3) {
                int[] prefix = java.util.Arrays.copyOf(tokens, t);
                ResidualStream stream = session.forward(prefix, ResidualMode.NORMALISED, false, arena);
                assertClose(reference.run(prefix).normalized(true), stream.residual(), F32_TOLERANCE, "T=" + t);
            }
        }
    }

    private ModelWeights open(CanonicalWeights weights, Format format, TensorType type) throws IOException {
        Path where = dir.resolve(format + "-" + type + "-" + System.nanoTime());
        Path path = switch (format) {
            case GGUF -> new GgufWriter(weights).matrixType(type).write(where.resolveSibling(where.getFileName() + ".gguf"));
            case SAFETENSORS -> new SafetensorsWriter(weights).type(type).prefixed(false).writeFolder(where);
            case SAFETENSORS_PREFIXED -> new SafetensorsWriter(weights).type(type).prefixed(true).writeFolder(where);
        };
        return ModelFiles.open(path);
    }

    static int[] randomTokens(Gpt2Config config, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = random.nextInt(config.nVocab());
        }
        return tokens;
    }

    /** Each row of {@code actual} ([L, T, d] float32) within {@code tolerance} × the row's largest |expected|. */
    static void assertClose(double[][][] expected, java.lang.foreign.MemorySegment actual, double tolerance, String what) {
        int layers = expected.length;
        int tokens = expected[0].length;
        int width = expected[0][0].length;
        assertEquals((long) layers * tokens * width * Float.BYTES, actual.byteSize(), what + ": buffer size");
        for (int l = 0; l < layers; l++) {
            for (int t = 0; t < tokens; t++) {
                double scale = 0;
                for (double v : expected[l][t]) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int c = 0; c < width; c++) {
                    float got = actual.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, ((long) l * tokens + t) * width + c);
                    double want = expected[l][t][c];
                    if (!(Math.abs(got - want) <= tolerance * scale)) {
                        fail(what + ": layer " + l + " position " + t + " channel " + c + ": expected " + want + ", got " + got
                                + " (|diff| " + Math.abs(got - want) + " > " + tolerance + " x " + scale + ")");
                    }
                }
            }
        }
    }
}
