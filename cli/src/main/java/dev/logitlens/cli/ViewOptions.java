package dev.logitlens.cli;

import dev.logitlens.view.LensView;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How a view shows the lens of one input: the reference of ranks and KLs, the KL cap, the positions. */
final class ViewOptions {

    @Option(names = "--compare", paramLabel = "REF",
            description = "Reference of the rank and kl views: final (rank of the final layer's top-1, KL(final || layer))"
                    + " or input (rank of the input token, KL(layer 0 || layer)) (default: final).")
    LensView.Reference compare = LensView.Reference.FINAL;

    @Option(names = "--start", paramLabel = "N", description = "First position shown, from 0 (default: 0).")
    Integer start;

    @Option(names = "--end", paramLabel = "N", description = "One past the last position shown (default: the input's length).")
    Integer end;

    @Option(names = "--kl-max", paramLabel = "NATS",
            description = "KL at which the kl view's colour saturates, nats (default: ${DEFAULT-VALUE}, as in the post).")
    double klMax = LensView.DEFAULT_KL_MAX;

    @Option(names = "--values",
            description = "Print each cell's value (the rank, the KL, the probability or the logit the view colours by)"
                    + " instead of its top-1 token, as the post's rank and KL figures did; the token stays in the tooltip.")
    boolean values;

    /** The view of {@code kind} with these options; a usage error for a bad cap. */
    LensView.Spec spec(CommandSpec command, LensView.Kind kind) {
        return viewSpec(command, kind, compare, klMax).withValues(values);
    }

    /** The view of {@code kind}, {@code reference} and {@code klMax}; a usage error for a bad cap. */
    static LensView.Spec viewSpec(CommandSpec command, LensView.Kind kind, LensView.Reference reference, double klMax) {
        try {
            return LensView.Spec.of(kind, reference).withKlMax(klMax);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), "--kl-max: " + e.getMessage());
        }
    }

    /** {@code [from, to)} of {@code --start}/{@code --end} over an input of {@code length} tokens; a usage error if empty or outside. */
    int[] range(CommandSpec command, int length) {
        int from = start == null ? 0 : start;
        int to = end == null ? length : end;
        if (from < 0 || to > length || from >= to) {
            throw new ParameterException(command.commandLine(), "--start " + from + " --end " + to
                    + ": the range must satisfy 0 <= start < end <= " + length + " (the input's tokens)");
        }
        return new int[] {from, to};
    }
}
