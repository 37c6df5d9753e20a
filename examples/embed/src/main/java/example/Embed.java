package example;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensResult;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A program that embeds the logitlens engine: opens a model, runs the lens over a few tokens and prints, for
 * every layer, each position's top-1 token and its KL divergence to the final layer.
 *
 * <p>Usage: {@code java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp ... example.Embed MODEL}
 */
public final class Embed {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: example.Embed MODEL   (a GGUF file, a Hugging Face GPT-2 folder or an llm-viz JSON model)");
            System.exit(2);
        }
        // The sorting model of the repository's test data reads a sequence of digits 0-2, a separator, and
        // predicts the sorted sequence; these are its example tokens.
        int[] tokens = {2, 1, 0, 2, 1, 0, 0, 0, 1, 1, 2};
        try (LensModel model = LensModel.open(Path.of(args[0]))) {
            LensResult lens = model.run(tokens);
            System.out.printf(Locale.ROOT, "model: %d layers, d_model %d, vocabulary %d; kernels: %s%n",
                    model.config().nLayer(), model.config().nEmbd(), model.config().nVocab(), model.kernelName());
            for (int layer = lens.nLayers(); layer >= 0; layer--) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "layer %2d |", layer));
                for (int pos = 0; pos < lens.nTokens(); pos++) {
                    row.append(String.format(Locale.ROOT, " %d (%.2f)", lens.topTokenId(layer, pos, 0), lens.klToFinal(layer, pos)));
                }
                System.out.println(row);
            }
            System.out.println("cells: top-1 token (KL to the final layer, nats)");
        }
    }
}
