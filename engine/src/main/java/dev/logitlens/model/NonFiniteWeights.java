package dev.logitlens.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds NaN and ±Inf in a model's weights: one read of every tensor (about 0.1 s for GPT-2 small's 500 MB: docs/BENCHMARKS.md), so it
 * runs only when asked ({@code LensSettings.withCheckWeights}, the CLI's {@code --check-weights}) or after the forward
 * pass met a non-finite number, to name the tensors behind it.
 */
public final class NonFiniteWeights {

    /** The first non-finite element of one tensor: its flat index (row-major in the file's layout) and kind. */
    public record Finding(String tensor, long element, String kind) {
        @Override
        public String toString() {
            return kind + " in " + tensor + " (element " + element + ")";
        }
    }

    private NonFiniteWeights() {
    }

    /** The first NaN or Inf of each tensor that holds one, in the weights' canonical order. */
    public static List<Finding> find(ModelWeights weights) {
        List<Finding> findings = new ArrayList<>();
        for (TensorInfo tensor : weights.tensors()) {
            long element = firstNonFinite(tensor);
            if (element >= 0) {
                findings.add(new Finding(tensor.name(), element, isNaN(tensor, element) ? "NaN" : "Inf"));
            }
        }
        return findings;
    }

    /** Fails, naming every tensor that holds NaN or Inf, unless all weights are finite. */
    public static void require(ModelWeights weights) throws ModelFormatException {
        List<Finding> findings = find(weights);
        if (!findings.isEmpty()) {
            throw new ModelFormatException(weights.source(), describe(findings));
        }
    }

    /** "; " and {@link #describe} of the tensors that hold NaN or Inf (one read of the weights), or "" when none does. */
    public static String suspects(ModelWeights weights) {
        List<Finding> findings = find(weights);
        return findings.isEmpty() ? "" : "; " + describe(findings);
    }

    /** E.g. "2 tensors hold NaN or Inf: NaN in h.0.attn.c_attn.weight (element 17), Inf in ln_f.weight (element 0)". */
    public static String describe(List<Finding> findings) {
        return findings.size() + (findings.size() == 1 ? " tensor holds" : " tensors hold") + " NaN or Inf: "
                + String.join(", ", findings.stream().map(Finding::toString).toList());
    }

    private static final ValueLayout.OfInt F32_BITS = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF_BITS = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Index of the first element whose exponent bits are all ones (Inf or NaN in every IEEE-style format), or −1. */
    private static long firstNonFinite(TensorInfo tensor) {
        MemorySegment data = tensor.data();
        long n = tensor.elementCount();
        switch (tensor.type()) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    if ((data.getAtIndex(F32_BITS, i) & 0x7f80_0000) == 0x7f80_0000) {
                        return i;
                    }
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    if ((data.getAtIndex(HALF_BITS, i) & 0x7c00) == 0x7c00) {
                        return i;
                    }
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    if ((data.getAtIndex(HALF_BITS, i) & 0x7f80) == 0x7f80) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    /** Whether the non-finite element {@code i} is a NaN (mantissa not zero) rather than an infinity. */
    private static boolean isNaN(TensorInfo tensor, long i) {
        MemorySegment data = tensor.data();
        return switch (tensor.type()) {
            case F32 -> (data.getAtIndex(F32_BITS, i) & 0x007f_ffff) != 0;
            case F16 -> (data.getAtIndex(HALF_BITS, i) & 0x03ff) != 0;
            case BF16 -> (data.getAtIndex(HALF_BITS, i) & 0x007f) != 0;
        };
    }
}
