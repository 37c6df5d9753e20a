package dev.logitlens.cli;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Json;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.runtime.ResidualMode;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/** {@code logitlens run}: the lens of one input, as a table in the terminal or as JSON. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Decode every layer at every position of one input and show what each layer predicts:",
                "a table of top-1 tokens shaded by probability, or JSON with every statistic."})
final class RunCommand implements Callable<Integer> {

    enum Format { table, json }

    enum ColorMode { auto, always, never }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions input;

    @Option(names = "--format", paramLabel = "FORMAT", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format = Format.table;

    @Option(names = {"-k", "--top-k"}, paramLabel = "K", description = "Tokens per cell in JSON (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = "--kernel", paramLabel = "KERNEL",
            description = "auto (jvm on the CPU, native on CUDA), native (ggml) or jvm (Vector API) (default: ${DEFAULT-VALUE}).")
    KernelChoice kernel = KernelChoice.AUTO;

    @Option(names = "--precision", paramLabel = "TYPE",
            description = "W_U precision of the native kernel: F32, F16, BF16 or Q8_0 (default: ${DEFAULT-VALUE}; not F32 needs --kernel native).")
    ProjectionPrecision precision = ProjectionPrecision.F32;

    @Option(names = "--no-affine", description = "Decode rows normalised without ln_f's gain and bias.")
    boolean noAffine;

    @Option(names = "--top-down", description = "Put the embeddings row at the top (default: at the bottom, as in the post).")
    boolean topDown;

    @Option(names = "--color", paramLabel = "WHEN", description = "auto, always or never (default: ${DEFAULT-VALUE}).")
    ColorMode color = ColorMode.auto;

    @Override
    public Integer call() throws Exception {
        if (topK < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--top-k must be at least 1");
        }
        LensSettings settings = LensSettings.defaults()
                .withBackend(modelOptions.backend)
                .withThreads(modelOptions.threads)
                .withKernel(kernel)
                .withPrecision(precision)
                .withMode(noAffine ? ResidualMode.NO_AFFINE : ResidualMode.NORMALISED);
        try (LensModel model = LensModel.open(modelOptions.modelPath(), settings)) {
            int[] tokens = input.resolve(spec, model.config());
            LensResult lens = model.run(tokens, LensOptions.defaults().withTopK(Math.min(topK, model.config().nVocab()))
                    .withThreads(modelOptions.threads));
            IntFunction<String> text = tokenText(model.config().nVocab());
            PrintWriter out = spec.commandLine().getOut();
            if (format == Format.json) {
                out.println(Json.write(json(lens, tokens, text)));
            } else {
                new LensTable(lens, tokens, text).print(out, colour(), topDown);
            }
            out.flush();
        }
        return 0;
    }

    private boolean colour() {
        return switch (color) {
            case always -> true;
            case never -> false;
            case auto -> Ansi.AUTO.enabled();
        };
    }

    private static IntFunction<String> tokenText(int vocabSize) {
        if (vocabSize == Gpt2Tokenizer.VOCAB_SIZE) {
            Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();
            return tokenizer::tokenText;
        }
        return Integer::toString;
    }

    private static Map<String, Object> json(LensResult lens, int[] tokens, IntFunction<String> text) {
        List<Object> layers = new ArrayList<>();
        for (int layer = 0; layer <= lens.nLayers(); layer++) {
            List<Object> cells = new ArrayList<>();
            for (int pos = 0; pos < lens.nTokens(); pos++) {
                List<Object> top = new ArrayList<>();
                for (int j = 0; j < lens.topK(); j++) {
                    int id = lens.topTokenId(layer, pos, j);
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("id", id);
                    entry.put("token", text.apply(id));
                    entry.put("prob", lens.topProb(layer, pos, j));
                    entry.put("logit", lens.topLogit(layer, pos, j));
                    top.add(entry);
                }
                Map<String, Object> cell = new LinkedHashMap<>();
                cell.put("top", top);
                cell.put("rank_final_top1", lens.rankOfFinalTop1(layer, pos));
                cell.put("rank_next", lens.rankOfNextToken(layer, pos));
                cell.put("rank_input", lens.rankOfInputToken(layer, pos));
                cell.put("kl_final", lens.klToFinal(layer, pos));
                cell.put("kl_input", lens.klToInput(layer, pos));
                cell.put("entropy", lens.entropy(layer, pos));
                cells.add(cell);
            }
            layers.add(cells);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object> tokenList = new ArrayList<>();
        for (int t : tokens) {
            Map<String, Object> token = new LinkedHashMap<>();
            token.put("id", t);
            token.put("token", text.apply(t));
            tokenList.add(token);
        }
        root.put("tokens", tokenList);
        root.put("units", "nats");
        root.put("rank", "1 + #{v : z[v] > z[x]}");
        root.put("layers", layers);
        return root;
    }
}
