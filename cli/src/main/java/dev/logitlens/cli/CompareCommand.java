package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.api.ModelComparison;
import dev.logitlens.lens.LensComparison;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.table.LensRowsFormat;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.ComparisonPlot;
import dev.logitlens.view.ComparisonPlot.Metric;
import dev.logitlens.view.PlotLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code logitlens compare}: two lens runs side by side, cell by cell ({@link LensComparison}): two inputs on one model
 * ({@code --model M --text A --text B}) or one input on two models of the same vocabulary and depth
 * ({@code --model M1 --model M2 --text A}). Inputs of different lengths are aligned at their ends. Prints a table
 * coloured by {@code --view} (or CSV / JSON of every cell) and, with {@code --out}, draws a diff heat map.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two lens runs cell by cell: two inputs on one model (--model M --text A --text B) or one"
                + " input on two models with the same vocabulary and number of layers (--model M1 --model M2 --text A)."
                + " Per layer and position: KL(A || B) and the Jensen-Shannon divergence (nats) and whether the top-1"
                + " token changed, and to what. Inputs of different lengths are aligned at their ends: the last"
                + " min(T_A, T_B) positions of each are compared, so that the last positions meet.")
final class CompareCommand implements Callable<Integer> {

    enum Format { table, csv, json }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Option(names = "--text", paramLabel = "TEXT",
            description = "An input text, tokenised with GPT-2's byte-pair encoding; twice for two inputs on one model, once"
                    + " for two models. --text and --tokens inputs are taken in the order given, texts first.")
    List<String> texts = new ArrayList<>();

    @Option(names = "--tokens", paramLabel = "IDS",
            description = "An input as token ids, comma-separated (e.g. 464,3290): for models without GPT-2's vocabulary;"
                    + " repeatable like --text.")
    List<String> tokenLists = new ArrayList<>();

    @Option(names = "--view", paramLabel = "METRIC",
            description = "What colours the table and the picture: js (Jensen-Shannon divergence, 0 to ln 2 nats), kl"
                    + " (KL(A || B), nats, capped at --kl-max) or top1 (the top-1 token changed) (default: js).")
    Metric view = Metric.JS;

    @Option(names = "--kl-max", paramLabel = "NATS",
            description = "KL at which --view kl's colour saturates, nats (default: ${DEFAULT-VALUE}).")
    double klMax = 10;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "table, csv or json on standard output (default: ${DEFAULT-VALUE}); csv and json hold every cell:"
                    + " layer, both positions and input tokens, kl, js, both top-1 tokens and whether it changed.")
    Format format = Format.table;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "Also draw the diff heat map: an .svg picture or a self-contained .html page (cells coloured by"
                    + " --view, labelled with the top-1 token, outlined in red where it changed); replaced atomically.")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", description = "The picture's title (default: what is compared).")
    String title;

    @Option(names = "--color", paramLabel = "WHEN", description = "auto, always or never (default: ${DEFAULT-VALUE}).")
    RunCommand.ColorMode color = RunCommand.ColorMode.auto;

    @Override
    public Integer call() throws Exception {
        int models = modelOptions.models.size();
        int inputs = texts.size() + tokenLists.size();
        if (models == 0) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--model=MODEL'");
        }
        if (models > 2 || (models == 1 && inputs != 2) || (models == 2 && inputs != 1)) {
            throw new ParameterException(spec.commandLine(), "give one model and two inputs (--model M --text A --text B) or two"
                    + " models and one input (--model M1 --model M2 --text A); got " + models + " model" + (models == 1 ? "" : "s")
                    + " and " + inputs + " input" + (inputs == 1 ? "" : "s"));
        }
        if (!(klMax > 0) || Double.isInfinite(klMax)) {
            throw new ParameterException(spec.commandLine(), "--kl-max " + klMax + ": use a positive number of nats");
        }
        PlotCommand.Format picture = out == null ? null : PlotCommand.format(spec, null, out);
        if (out != null) {
            FileArguments.requireFile(spec, "--out", out, "the .svg or .html file to write");
        }
        LensSettings settings = kernelOptions.settings(modelOptions);
        try (LensModel a = LensModel.open(modelOptions.modelPath(0), settings);
             LensModel b = models == 2 ? LensModel.open(modelOptions.modelPath(1), settings) : null) {
            LensModel other = b != null ? b : a;
            try {
                ModelComparison.requireComparable(a.config(), other.config());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), modelOptions.models.get(0) + " and " + modelOptions.models.get(1)
                        + ": " + e.getMessage());
            }
            List<int[]> given = inputs(a.config());
            int[] tokensA = given.get(0);
            int[] tokensB = given.size() > 1 ? given.get(1) : given.get(0);
            LensComparison c = ModelComparison.compare(a, tokensA, other, tokensB);
            IntFunction<String> text = TokenTexts.forVocabulary(a.config().nVocab());
            String what = models == 2
                    ? "A = " + ModelOptions.displayNameOf(modelOptions.models.get(0)) + ", B = "
                            + ModelOptions.displayNameOf(modelOptions.models.get(1)) + "; one input of " + tokensA.length + " tokens"
                    : "one model (" + ModelOptions.displayNameOf(modelOptions.models.get(0)) + "); A = input 1 ("
                            + tokensA.length + " tokens), B = input 2 (" + tokensB.length + " tokens)";
            String alignment = alignment(c, tokensA.length, tokensB.length);
            PrintWriter printer = spec.commandLine().getOut();
            switch (format) {
                case table -> table(printer, c, tokensA, tokensB, text, what, alignment);
                case csv -> csv(printer, c, tokensA, tokensB, text);
                case json -> printer.println(Json.write(json(c, tokensA, tokensB, text, alignment)));
            }
            if (out != null) {
                String pageTitle = title != null ? title : "lens comparison";
                String subtitle = what + "; " + alignment;
                String document = picture == PlotCommand.Format.svg
                        ? ComparisonPlot.svgDocument(pageTitle, subtitle, c, tokensA, tokensB, text, view, klMax)
                        : ComparisonPlot.html(pageTitle, subtitle, c, tokensA, tokensB, text, view, klMax);
                PlotCommand.write(out, document);
                (format == Format.table ? printer : spec.commandLine().getErr()).println("wrote " + out + " (" + picture + ": "
                        + view.cliName() + ", " + (c.nLayers() + 1) + " layers \u00d7 " + c.positions() + " positions)");
            }
            printer.flush();
        }
        return 0;
    }

    /** The inputs, texts first then token lists, validated against the model's vocabulary and context. */
    private List<int[]> inputs(Gpt2Config config) {
        List<int[]> result = new ArrayList<>();
        for (String t : texts) {
            try {
                Gpt2Tokenizer.requireGpt2Vocabulary(config.nVocab());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--text: " + e.getMessage());
            }
            result.add(new Gpt2Tokenizer().encode(t));
        }
        for (String list : tokenLists) {
            List<Integer> ids = new ArrayList<>();
            for (String piece : list.split(",")) {
                try {
                    ids.add(Integer.parseInt(piece.trim()));
                } catch (NumberFormatException e) {
                    throw new ParameterException(spec.commandLine(), "--tokens " + list + ": '" + piece + "' is not a token id");
                }
            }
            result.add(ids.stream().mapToInt(Integer::intValue).toArray());
        }
        for (int[] ids : result) {
            if (ids.length == 0) {
                throw new ParameterException(spec.commandLine(), "an input has no tokens");
            }
            if (ids.length > config.nCtx()) {
                throw new ParameterException(spec.commandLine(), "an input has " + ids.length + " tokens; the model's context is " + config.nCtx());
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= config.nVocab()) {
                    throw new ParameterException(spec.commandLine(), "token id " + ids[i] + " at position " + i
                            + " is outside the model's vocabulary [0, " + config.nVocab() + ")");
                }
            }
        }
        return result;
    }

    /** How the positions were aligned, in words. */
    static String alignment(LensComparison c, int tokensA, int tokensB) {
        if (tokensA == tokensB) {
            return "all " + tokensA + " positions, position by position";
        }
        return "aligned at the end: A's positions " + c.positionA(0) + "\u2013" + (tokensA - 1) + " with B's "
                + c.positionB(0) + "\u2013" + (tokensB - 1) + " (the last " + c.positions() + " of each)";
    }

    private void table(PrintWriter out, LensComparison c, int[] tokensA, int[] tokensB, IntFunction<String> text, String what,
                       String alignment) {
        boolean colour = RunCommand.colour(color);
        double cap = ComparisonPlot.cap(view, klMax);
        int label = 6;
        StringBuilder header = new StringBuilder(pad("A", label));
        for (int i = 0; i < c.positions(); i++) {
            header.append(' ').append(pad(LensTable.cellText("", text.apply(tokensA[c.positionA(i)])), LensTable.CELL));
        }
        out.println(header);
        for (int layer = c.nLayers(); layer >= 0; layer--) {
            StringBuilder row = new StringBuilder(pad(PlotLayout.layerName(layer), label));
            for (int i = 0; i < c.positions(); i++) {
                double v = ComparisonPlot.value(c, view, layer, i);
                String cell = pad(c.top1Changed(layer, i)
                        ? LensTable.cellText("\u2260", text.apply(c.topB(layer, i)))
                        : view == Metric.TOP1 ? LensTable.cellText("", text.apply(c.topA(layer, i)))
                        : String.format(Locale.ROOT, "%.3f", Math.max(v, 0)), // a rounding's −1e-17 shows as 0.000
                        LensTable.CELL);
                int rgb = ComparisonPlot.colorScale().rgb(Math.clamp(Math.max(v, 0) / cap, 0.0, 1.0));
                row.append(' ').append(colour ? LensTable.background(rgb) + cell + "\u001b[0m" : cell);
            }
            out.println(row);
        }
        StringBuilder footer = new StringBuilder(pad("B", label));
        for (int i = 0; i < c.positions(); i++) {
            footer.append(' ').append(pad(LensTable.cellText("", text.apply(tokensB[c.positionB(i)])), LensTable.CELL));
        }
        out.println(footer);
        out.println("compared: " + what + "; " + alignment);
        out.println("rows: layers (in = embeddings, hN = after block N); cells: " + switch (view) {
            case JS -> "JS divergence, nats (0 to ln 2 = 0.693)";
            case KL -> "KL(A || B), nats (colour capped at " + String.format(Locale.ROOT, "%.3g", klMax) + ")";
            case TOP1 -> "the top-1 token";
        } + "; \u2260TOKEN = B's top-1, where it differs from A's");
        int last = c.positions() - 1;
        out.println(String.format(Locale.ROOT, "last position, final layer: top-1 A %s, B %s; KL(A || B) %.4f, JS %.4f nats",
                "'" + TerminalText.escape(text.apply(c.topA(c.nLayers(), last))) + "'",
                "'" + TerminalText.escape(text.apply(c.topB(c.nLayers(), last))) + "'", c.kl(c.nLayers(), last), c.js(c.nLayers(), last)));
    }

    private static void csv(PrintWriter out, LensComparison c, int[] tokensA, int[] tokensB, IntFunction<String> text) {
        out.println("layer,position_a,position_b,token_a,token_b,kl,js,top1_a,top1_a_token,top1_b,top1_b_token,top1_changed");
        for (int i = 0; i < c.positions(); i++) {
            for (int layer = 0; layer <= c.nLayers(); layer++) {
                out.println(layer + "," + c.positionA(i) + "," + c.positionB(i) + ","
                        + LensRowsFormat.csvQuote(text.apply(tokensA[c.positionA(i)])) + ","
                        + LensRowsFormat.csvQuote(text.apply(tokensB[c.positionB(i)])) + "," + c.kl(layer, i) + "," + c.js(layer, i) + ","
                        + c.topA(layer, i) + "," + LensRowsFormat.csvQuote(text.apply(c.topA(layer, i))) + "," + c.topB(layer, i) + ","
                        + LensRowsFormat.csvQuote(text.apply(c.topB(layer, i))) + "," + c.top1Changed(layer, i));
            }
        }
    }

    private static Map<String, Object> json(LensComparison c, int[] tokensA, int[] tokensB, IntFunction<String> text, String alignment) {
        List<Object> cells = new ArrayList<>();
        for (int i = 0; i < c.positions(); i++) {
            for (int layer = 0; layer <= c.nLayers(); layer++) {
                Map<String, Object> cell = new LinkedHashMap<>();
                cell.put("layer", layer);
                cell.put("position_a", c.positionA(i));
                cell.put("position_b", c.positionB(i));
                cell.put("kl", c.kl(layer, i));
                cell.put("js", c.js(layer, i));
                cell.put("top1_a", c.topA(layer, i));
                cell.put("top1_a_token", text.apply(c.topA(layer, i)));
                cell.put("top1_b", c.topB(layer, i));
                cell.put("top1_b_token", text.apply(c.topB(layer, i)));
                cell.put("top1_changed", c.top1Changed(layer, i));
                cells.add(cell);
            }
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tokens_a", java.util.Arrays.stream(tokensA).boxed().toList());
        root.put("tokens_b", java.util.Arrays.stream(tokensB).boxed().toList());
        root.put("alignment", alignment);
        root.put("units", "nats");
        root.put("cells", cells);
        return root;
    }

    private static String pad(String text, int width) {
        int length = text.codePointCount(0, text.length());
        return length >= width ? text : text + " ".repeat(width - length);
    }
}
