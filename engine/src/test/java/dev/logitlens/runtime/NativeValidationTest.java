package dev.logitlens.runtime;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.TensorInfo;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input reaches the shim, which refuses it with a status and a message; the JVM carries on. */
class NativeValidationTest {

    private static final Gpt2Config CONFIG = TinyGpt2.config(29, 8, 16, 2, 2);

    @TempDir
    Path dir;
    Path gguf;

    @BeforeEach
    void writeModel() throws IOException {
        gguf = new GgufWriter(TinyGpt2.generate(CONFIG, 3, 4, true)).write(dir.resolve("tiny.gguf"));
    }

    @Test
    void badTokensAreRefusedAndTheSessionStaysUsable() throws IOException {
        try (NativeModel model = NativeModel.create(ModelFiles.open(gguf), Backend.CPU);
             NativeSession session = model.newSession(1);
             Arena arena = Arena.ofConfined()) {
            expect(NativeStatus.TOKEN, "29", () -> session.forward(new int[] {1, 29}, ResidualMode.NORMALISED, false, arena));
            expect(NativeStatus.TOKEN, "-1", () -> session.forward(new int[] {-1}, ResidualMode.NORMALISED, false, arena));
            expect(NativeStatus.CONTEXT, "9", () -> session.forward(new int[9], ResidualMode.NORMALISED, false, arena));
            expect(NativeStatus.CONTEXT, "", () -> session.forward(new int[0], ResidualMode.NORMALISED, false, arena));

            MemorySegment small = arena.allocate(3L * 2 * 16 * Float.BYTES - 4); // one float short of [3, 2, 16]
            expect(NativeStatus.BUFFER, "", () -> session.forwardInto(new int[] {1, 2}, ResidualMode.RAW, small, MemorySegment.NULL));
            assertEquals(0f, small.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0), "nothing written on error");

            ResidualStream ok = session.forward(new int[] {1, 2, 3}, ResidualMode.NORMALISED, false, arena);
            assertEquals(3, ok.nTokens());
        }
    }

    @Test
    void aMissingTensorIsRefusedByTheShim() throws IOException {
        try (ModelWeights weights = ModelFiles.open(gguf)) {
            ModelWeights lacking = edited(weights, tensors -> {
                tensors.removeIf(t -> t.name().equals("blk.1.ffn_up.bias"));
                return tensors;
            });
            expect(NativeStatus.MISSING_TENSOR, "blk.1.ffn_up.bias", () -> NativeModel.create(lacking, Backend.CPU));
        }
    }

    @Test
    void aWrongShapeOrByteSizeIsRefusedByTheShim() throws IOException {
        try (ModelWeights weights = ModelFiles.open(gguf)) {
            ModelWeights wrongShape = edited(weights, tensors -> replace(tensors, "blk.0.attn_qkv.weight",
                    t -> new TensorInfo(t.name(), t.type(), new long[] {16, 48}, t.layout(), t.data())));
            expect(NativeStatus.TENSOR, "blk.0.attn_qkv.weight", () -> NativeModel.create(wrongShape, Backend.CPU));

            ModelWeights shortData = edited(weights, tensors -> replace(tensors, "position_embd.weight",
                    t -> new TensorInfo(t.name(), t.type(), t.shape(), t.layout(), t.data().asSlice(0, t.data().byteSize() - 4))));
            expect(NativeStatus.TENSOR, "position_embd.weight", () -> NativeModel.create(shortData, Backend.CPU));

            ModelWeights duplicate = edited(weights, tensors -> {
                tensors.add(tensors.getFirst());
                return tensors;
            });
            expect(NativeStatus.TENSOR, "", () -> NativeModel.create(duplicate, Backend.CPU));
        }
    }

    @Test
    void closedModelsAndSessionsThrowInsteadOfCrashing() throws IOException {
        NativeModel model = NativeModel.create(ModelFiles.open(gguf), Backend.CPU);
        NativeSession session = model.newSession(1);
        NativeSession other = model.newSession(1);
        session.close();
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalStateException.class, () -> session.forward(new int[] {1}, ResidualMode.RAW, false, arena));
            model.close(); // closes `other` too, then the weights
            assertTrue(model.isClosed());
            assertThrows(IllegalStateException.class, () -> other.forward(new int[] {1}, ResidualMode.RAW, false, arena));
            assertThrows(IllegalStateException.class, () -> model.newSession(1));
            assertThrows(IllegalStateException.class, model::weights);
            model.close(); // idempotent
        }
    }

    @Test
    void badThreadCountsAreRefused() throws IOException {
        try (NativeModel model = NativeModel.create(ModelFiles.open(gguf), Backend.CPU)) {
            assertThrows(IllegalArgumentException.class, () -> model.newSession(0));
            assertFalse(model.isClosed());
        }
    }

    private static void expect(NativeStatus status, String inMessage, Runnable call) {
        NativeException e = assertThrows(NativeException.class, call::run);
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(inMessage), () -> "message lacks '" + inMessage + "': " + e.getMessage());
    }

    private static List<TensorInfo> replace(List<TensorInfo> tensors, String name, UnaryOperator<TensorInfo> edit) {
        tensors.replaceAll(t -> t.name().equals(name) ? edit.apply(t) : t);
        return tensors;
    }

    /** The same weights with an edited tensor table (the shim, not the file reader, must catch the fault). */
    private static ModelWeights edited(ModelWeights weights, UnaryOperator<List<TensorInfo>> edit) {
        List<TensorInfo> tensors = edit.apply(new ArrayList<>(weights.tensors()));
        return new ModelWeights() {
            public Gpt2Config config() { return weights.config(); }
            public List<TensorInfo> tensors() { return tensors; }
            public TensorInfo tensor(String name) { return weights.tensor(name); }
            public boolean tiedUnembedding() { return weights.tiedUnembedding(); }
            public Path source() { return weights.source(); }
            public String format() { return weights.format(); }
            public void close() { }
        };
    }
}
