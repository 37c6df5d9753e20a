package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.lens.VectorApi;
import dev.logitlens.model.Json;
import dev.logitlens.table.LensRows;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.time.Timings;
import dev.logitlens.time.Timings.Phase;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.LensView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code logitlens run}: the lens of one input, as a heat-map table in the terminal ({@link LensTable}: rows =
 * layers, columns = positions, cells = each layer's top-1 token coloured by {@code --view}), or with
 * {@code --format json|csv} every statistic of every cell. {@code --start}/{@code --end} choose the positions
 * shown (all three formats); the model always sees the whole input.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Decode every layer at every position of one input and show what each layer predicts:"
                + " a table of top-1 tokens coloured by --view (rows = layers, columns = positions),"
                + " or JSON / CSV (one row per layer and position) with every statistic.")
final class RunCommand implements Callable<Integer> {

    enum Format { table, json, csv }

    enum ColorMode { auto, always, never }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions input;

    @Option(names = "--format", paramLabel = "FORMAT", description = "table, json or csv (default: ${DEFAULT-VALUE}).")
    Format format = Format.table;

    @Option(names = {"-k", "--top-k", "--topk"}, paramLabel = "K", description = "Tokens per cell in JSON and CSV (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = "--view", paramLabel = "VIEW",
            description = "What colours the table: logit, prob, rank, kl, track (a tracked token's probability, one table per"
                    + " --track token) or contrast (logit of --contrast's TARGET minus ANTI, 0 at the centre) (default: prob).")
    LensView.Kind view = LensView.Kind.PROB;

    @Mixin
    ViewOptions viewOptions;

    @Mixin
    RowOptions rowOptions;

    @Mixin
    TrackOptions trackOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Option(names = "--top-down", description = "Put the embeddings row at the top (default: at the bottom, as in the post).")
    boolean topDown;

    @Option(names = "--color", paramLabel = "WHEN", description = "auto, always or never (default: ${DEFAULT-VALUE}).")
    ColorMode color = ColorMode.auto;

    @Option(names = "--timings", description = "Print the time of each phase (JVM start, library load, model open, weight"
            + " upload, W_U preparation, forward pass, projection, statistics, output) to standard error.")
    boolean timings;

    /** A phase record for this command, holding the start-up and parsing time when the process began in {@link LogitLensCli#main}. */
    private Timings newTimings() {
        Timings record = new Timings();
        long startup = LogitLensCli.startupNanos();
        if (startup > 0) {
            record.add(Phase.JVM_START, startup);
            record.add(Phase.COMMAND_LINE, LogitLensCli.sinceMain());
        }
        return record;
    }

    /**
     * With {@code --timings}: {@code record} plus what the model recorded, printed on standard error once the command
     * has closed the model (the time to close is the last phase).
     */
    private void printTimings(Timings record, LensModel model) {
        if (timings) {
            record.addAll(model.timings());
            PrintWriter err = spec.commandLine().getErr();
            err.println("timings (" + model.kernelName() + ", " + modelOptions.threads + " threads"
                    + (VectorApi.available() ? "" : "; a quick start, without the Vector API") + "):");
            LogitLensCli.finishTimings(spec, record);
        }
    }

    @Override
    public Integer call() throws Exception {
        TopK.requirePositive(spec, topK);
        LensView.Spec viewSpec = viewOptions.spec(spec, view);
        trackOptions.requireFor(spec, view);
        Snapshots.Kind rows = rowOptions.kind(spec);
        Timings phases = newTimings();
        long mark = Timings.start();
        LensSettings settings = kernelOptions.settings(modelOptions);
        Path modelPath = modelOptions.modelPath();
        phases.stop(Phase.RESOLVE, mark);
        try (LensModel model = LensModel.open(modelPath, settings)) {
            mark = Timings.start();
            int[] tokens = input.resolve(spec, model.config());
            phases.stop(Phase.TOKENIZE, mark);
            int[] range = viewOptions.range(spec, tokens.length);
            LensResult lens = model.run(tokens, -1, LensOptions.defaults().withTopK(TopK.check(spec, topK, model.config().nVocab()))
                    .withTrackedTokens(trackOptions.ids(spec, model.config())), rows);
            mark = Timings.start();
            IntFunction<String> text = TokenTexts.forVocabulary(model.config().nVocab());
            PrintWriter out = spec.commandLine().getOut();
            switch (format) {
                case json -> out.println(Json.write(json(lens, text, range[0], range[1])));
                case csv -> csv(out, lens, text, range[0], range[1]);
                case table -> {
                    if (view == LensView.Kind.TRACK) { // one table per tracked token
                        for (int i = 0; i < lens.tracked().size(); i++) {
                            new LensTable(LensView.tracked(lens, viewSpec, i, range[0], range[1]), text).print(out, colour(), topDown);
                        }
                    } else {
                        new LensTable(LensView.of(lens, viewSpec, range[0], range[1]), text).print(out, colour(), topDown);
                    }
                }
            }
            out.flush();
            phases.stop(Phase.OUTPUT, mark);
            printTimings(phases, model);
        }
        return 0;
    }

    private boolean colour() {
        return colour(color);
    }

    /** Whether {@code --color} asks for ANSI colours (auto: when picocli finds a terminal). */
    static boolean colour(ColorMode color) {
        return switch (color) {
            case always -> true;
            case never -> false;
            case auto -> Ansi.AUTO.enabled();
        };
    }

    /**
     * CSV, long format: one row per (layer, position) of the range, sorted by position then layer, the columns of
     * {@link LensRows#columns(int)} (doc and window are 0: one text, one window), RFC 4180. {@code serve}'s CSV
     * download is this too.
     */
    static void csv(PrintWriter out, LensResult lens, IntFunction<String> text, int from, int to)
            throws java.io.IOException {
        LensRows rows = new LensRows(lens.topK(), text, lens.snapshots().kind(),
                java.util.Arrays.stream(lens.tracked().ids()).boxed().toList());
        int[] layers = new int[lens.nLayers() + 1];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = l;
        }
        rows.add(lens, 0, 0, 0, from, to, layers);
        LensRowsFormat.writeText(rows, out, false, true);
    }

    /**
     * JSON: {@code tokens} (the whole input), {@code start} and {@code end} (the positions shown), and
     * {@code layers[l][i]}: the cell of layer l at position {@code start + i}; with {@code --sublayers} or
     * {@code --decompose}, {@code rows} names each entry of {@code layers} ({@code in, h1.attn, h1, …}); with tracked
     * tokens, each cell's {@code tracked} lists their id, token, prob, logit and rank.
     */
    private static Map<String, Object> json(LensResult lens, IntFunction<String> text, int from, int to) {
        List<Object> layers = new ArrayList<>();
        for (int layer = 0; layer <= lens.nLayers(); layer++) {
            List<Object> cells = new ArrayList<>();
            for (int pos = from; pos < to; pos++) {
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
                if (lens.tracked().size() > 0) {
                    List<Object> tracked = new ArrayList<>();
                    for (int i = 0; i < lens.tracked().size(); i++) {
                        Map<String, Object> entry = new LinkedHashMap<>();
                        entry.put("id", lens.tracked().id(i));
                        entry.put("token", text.apply(lens.tracked().id(i)));
                        entry.put("prob", lens.tracked().probability(layer, pos, i));
                        entry.put("logit", lens.tracked().logit(layer, pos, i));
                        entry.put("rank", lens.tracked().rank(layer, pos, i));
                        tracked.add(entry);
                    }
                    cell.put("tracked", tracked);
                }
                cells.add(cell);
            }
            layers.add(cells);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object> tokenList = new ArrayList<>();
        for (int t : lens.tokens()) {
            Map<String, Object> token = new LinkedHashMap<>();
            token.put("id", t);
            token.put("token", text.apply(t));
            tokenList.add(token);
        }
        root.put("tokens", tokenList);
        root.put("start", from);
        root.put("end", to);
        root.put("units", "nats");
        root.put("rank", "1 + #{v : z[v] > z[x]}");
        Snapshots snapshots = lens.snapshots();
        if (snapshots.kind() != Snapshots.Kind.LAYERS) { // the labels of layers[i]: in, h1.attn, h1, ...
            List<Object> labels = new ArrayList<>();
            for (int row = 0; row < snapshots.count(); row++) {
                labels.add(snapshots.label(row));
            }
            root.put("rows", labels);
        }
        root.put("layers", layers);
        return root;
    }
}
