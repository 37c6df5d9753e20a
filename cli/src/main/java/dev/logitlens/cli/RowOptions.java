package dev.logitlens.cli;

import dev.logitlens.lens.Snapshots;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Which rows the lens decodes: the layers (the default), the sublayers too, or each sublayer's own output. */
final class RowOptions {

    @Option(names = "--sublayers",
            description = "Decode the residual stream after each block's attention as well as after each block: rows in,"
                    + " h1.attn, h1, h2.attn, h2, ... (transformer-utils' include_subblocks, TransformerLens's"
                    + " accumulated_resid with incl_mid).")
    boolean sublayers;

    @Option(names = "--decompose",
            description = "Decode each sublayer's own output instead of the stream: rows embed, attn1, mlp1, ..., then the"
                    + " final layer; each term goes through ln_f with the final stream's normalisation and without ln_f's"
                    + " bias (TransformerLens's decompose_resid with apply_ln), so that the terms' logits and the bias's"
                    + " sum to the output's. With --no-affine, without ln_f's gain too.")
    boolean decompose;

    /** The rows asked for; a usage error when both options are given. */
    Snapshots.Kind kind(CommandSpec command) {
        if (sublayers && decompose) {
            throw new ParameterException(command.commandLine(),
                    "--sublayers and --decompose: choose one (the stream after each sublayer, or each sublayer's own output)");
        }
        return sublayers ? Snapshots.Kind.SUBLAYERS : decompose ? Snapshots.Kind.DECOMPOSED : Snapshots.Kind.LAYERS;
    }
}
