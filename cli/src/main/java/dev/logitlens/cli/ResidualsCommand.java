package dev.logitlens.cli;

import dev.logitlens.io.NpyWriter;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.runtime.NativeSession;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.runtime.ResidualStream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code logitlens residuals}: every layer's residual stream of one input, as .npy. */
@Command(name = "residuals", mixinStandardHelpOptions = true,
        description = {
                "Write the residual stream of one input as .npy: [n_layer+1, T, n_embd] float32.",
                "Row 0 is the stream after the embeddings, row l after block l, normalised by ln_f (the logit"
                        + " lens's input) unless --raw or --no-affine says otherwise."})
final class ResidualsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The .npy file to write.")
    Path out;

    @Option(names = "--mid", paramLabel = "FILE",
            description = "Also write the mid-block stream (after attention, before the MLP), [n_layer, T, n_embd], to this .npy.")
    Path midOut;

    @ArgGroup(exclusive = true)
    Transform transform = new Transform();

    static final class Transform {
        @Option(names = "--raw", description = "Write the raw residual stream, not normalised.")
        boolean raw;

        @Option(names = "--no-affine", description = "Normalise without ln_f's gain and bias.")
        boolean noAffine;

        ResidualMode mode() {
            return raw ? ResidualMode.RAW : noAffine ? ResidualMode.NO_AFFINE : ResidualMode.NORMALISED;
        }
    }

    @Override
    public Integer call() throws Exception {
        FileArguments.requireFile(spec, "--out", out, "the .npy file to write");
        FileArguments.requireFile(spec, "--mid", midOut, "the .npy file to write");
        if (midOut != null && sameFile(out, midOut)) {
            throw new ParameterException(spec.commandLine(), "--out and --mid name the same file (" + out
                    + "): the two streams need two files");
        }
        try (NativeModel model = NativeModel.adopt(ModelFiles.open(modelOptions.modelPath()), modelOptions.backend(), modelOptions.checkWeights);
             NativeSession session = model.newSession(modelOptions.threads);
             Arena arena = Arena.ofConfined()) {
            Gpt2Config c = model.config();
            int[] tokens = input.resolve(spec, c);
            ResidualStream stream = session.forward(tokens, transform.mode(), midOut != null, arena);
            NpyWriter.writeFloat32(out, stream.residual(), c.nLayer() + 1, tokens.length, c.nEmbd());
            if (midOut != null) {
                NpyWriter.writeFloat32(midOut, stream.mid(), c.nLayer(), tokens.length, c.nEmbd());
            }
            spec.commandLine().getErr().printf("wrote %s [%d, %d, %d] float32 (%s)%n",
                    out, c.nLayer() + 1, tokens.length, c.nEmbd(), transform.mode().name().toLowerCase(java.util.Locale.ROOT));
        }
        return 0;
    }

    /** Whether two output paths are one file: the same path once absolute and normalised, or (both existing) one file through links. */
    private static boolean sameFile(Path a, Path b) throws IOException {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    }
}
