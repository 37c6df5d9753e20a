package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.bindings.ll_lens_stats_out;
import dev.logitlens.lens.CellStatistics;
import dev.logitlens.lens.LensStatistics;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The lens statistics in the shim ({@code ll_lens_stats}): compiled ahead of time for AVX-512, AVX2 and baseline
 * x86-64, so fast from the first call, where the JVM's Vector API statistics run interpreted until C2 has compiled
 * them (a short input's statistics took 400-600 ms in a fresh JVM, 20 ms here); warm, they are also about 3x faster
 * than the JVM's (docs/BENCHMARKS.md). Stateless: one instance serves every thread.
 */
public final class NativeStatistics implements LensStatistics {

    public static final NativeStatistics INSTANCE = new NativeStatistics();

    private NativeStatistics() {
        NativeLibrary.load();
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public void summarise(MemorySegment logits, int positions, int snapshots, int vocab, int[] inputs, int[] nexts,
                          CellStatistics out) {
        long needed = (long) positions * snapshots * vocab * Float.BYTES;
        if (logits.byteSize() < needed || !logits.isNative() || inputs.length < positions || nexts.length < positions
                || out.cells() < positions * snapshots) {
            throw new IllegalArgumentException("summarise: [" + positions + ", " + snapshots + ", " + vocab
                    + "] float32 logits in native memory, " + positions + " input and next tokens and as many cells needed");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment outputs = outputs(out, call);
            MemorySegment error = NativeCall.newError(call);
            int status = LogitLensNative.ll_lens_stats(logits, positions, snapshots, vocab,
                    call.allocateFrom(ValueLayout.JAVA_INT, inputs), call.allocateFrom(ValueLayout.JAVA_INT, nexts),
                    out.topK(), outputs, error);
            NativeCall.check(status, error, "native lens statistics failed");
        }
    }

    /** The shim's {@code ll_lens_stats_out}, allocated in {@code arena}, pointing at {@code cells}' arrays. */
    static MemorySegment outputs(CellStatistics cells, Arena arena) {
        MemorySegment outputs = ll_lens_stats_out.allocate(arena);
        ll_lens_stats_out.top_ids(outputs, cells.topIds);
        ll_lens_stats_out.top_logits(outputs, cells.topLogits);
        ll_lens_stats_out.log_sum_exp(outputs, cells.logSumExp);
        ll_lens_stats_out.entropy(outputs, cells.entropy);
        ll_lens_stats_out.kl_final(outputs, cells.klFinal);
        ll_lens_stats_out.kl_input(outputs, cells.klInput);
        ll_lens_stats_out.logprob_next(outputs, cells.logProbNext);
        ll_lens_stats_out.rank_final_top1(outputs, cells.rankFinalTop1);
        ll_lens_stats_out.rank_next(outputs, cells.rankNext);
        ll_lens_stats_out.rank_input(outputs, cells.rankInput);
        return outputs;
    }
}
