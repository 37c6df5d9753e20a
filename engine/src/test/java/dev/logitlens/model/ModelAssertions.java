package dev.logitlens.model;

import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.TensorCodec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks of opened weights and of rejected files. */
final class ModelAssertions {

    private ModelAssertions() {
    }

    /**
     * Every tensor of {@code actual} equals {@code expected} after a round trip through the type
     * {@code typeOf} gives it, read through its memory segment (transposed back when stored [in, out]).
     */
    static void assertSameWeights(CanonicalWeights expected, ModelWeights actual, Function<TensorInfo, TensorType> typeOf) {
        assertEquals(expected.config(), actual.config());
        assertEquals(expected.tied(), actual.tiedUnembedding(), "tied unembedding");
        assertEquals(CanonicalWeights.names(expected.config(), expected.tied()),
                actual.tensors().stream().map(TensorInfo::name).toList());
        for (TensorInfo t : actual.tensors()) {
            TensorType type = typeOf.apply(t);
            assertEquals(type, t.type(), t.name());
            float[] want = expected.get(t.name()).clone();
            for (int i = 0; i < want.length; i++) {
                want[i] = TensorCodec.roundTrip(want[i], type);
            }
            assertArrayEquals(want, TensorCodec.canonicalFloats(t), t.name());
        }
    }

    /** Opens a model; what a fuzz target hands to {@link #assertOpensWholeOrIsRefused}. */
    @FunctionalInterface
    interface Opener {
        ModelWeights open() throws IOException;
    }

    /**
     * The fuzz targets' one rule: whatever the file holds, the reader either gives a model that passes
     * {@link #assertConsistent} or refuses it with a {@link ModelFormatException}; any other exception is a finding.
     */
    static void assertOpensWholeOrIsRefused(Opener opener) {
        try (ModelWeights weights = opener.open()) {
            assertConsistent(weights);
        } catch (ModelFormatException expected) {
            // refused, as documented
        } catch (IOException e) {
            throw new AssertionError("an I/O error other than ModelFormatException: " + e, e);
        }
    }

    /**
     * What a reader promises of every model it accepts, whatever the file held: the configuration's tensors in
     * canonical order, each shaped for the configuration with exactly its type's bytes, every byte readable.
     */
    static void assertConsistent(ModelWeights weights) {
        Gpt2Config config = weights.config();
        List<String> names = weights.tensors().stream().map(TensorInfo::name).toList();
        List<String> required = CanonicalTensors.required(config.nLayer());
        assertEquals(required, names.subList(0, Math.min(names.size(), required.size())), "the tensors, in order");
        assertEquals(required.size() + (weights.tiedUnembedding() ? 0 : 1), names.size(), "the number of tensors");
        for (TensorInfo t : weights.tensors()) {
            long[] canonical = CanonicalTensors.shape(t.name(), config);
            assertArrayEquals(canonical, t.layout() == MatrixLayout.IN_OUT ? TensorTable.reversed(t.shape()) : t.shape(), t.name());
            assertEquals(t.type().byteSize(t.elementCount()), t.data().byteSize(), t.name());
            TensorCodec.canonicalFloats(t); // reads every element
        }
        assertArrayEquals(new long[] {config.nVocab(), config.nEmbd()}, weights.unembedding().shape(), "the unembedding");
    }

    /** {@link ModelFiles#open} rejects {@code path} with a message that starts with the path and contains {@code expected}. */
    static ModelFormatException assertRejected(Path path, String expected) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFiles.open(path).close());
        assertTrue(e.getMessage().startsWith(path.toString()), () -> "the message should name the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
        return e;
    }
}
