package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.io.AtomicFile;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.lens.Snapshots;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.HtmlPlot;
import dev.logitlens.view.LensFigure;
import dev.logitlens.view.LensView;
import dev.logitlens.view.SvgPlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code logitlens plot}: the lens of one input drawn like the post's figures, one heat map per view, as a
 * self-contained SVG or HTML file ({@link SvgPlot}, {@link HtmlPlot}; hovering an HTML cell shows its top-k).
 * Views default to all four (logit, prob, rank, kl), in the post's order of presentation after the logits.
 */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw the lens of one input as heat maps (rows = layers, columns = positions, cells = each layer's"
                + " top-1 token coloured by the view), like the figures of nostalgebraist's logit lens post:"
                + " an SVG picture or a self-contained HTML page (hover a cell for its top-k).")
final class PlotCommand implements Callable<Integer> {

    enum Format { svg, html }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions input;

    @Mixin
    KernelOptions kernelOptions;

    @Option(names = "--view", paramLabel = "VIEW", split = ",",
            description = "logit, prob, rank, kl or all; repeatable or comma-separated (default: all, in that order).")
    List<String> views = new ArrayList<>();

    @Mixin
    ViewOptions viewOptions;

    @Mixin
    RowOptions rowOptions;

    @Option(names = {"-k", "--top-k", "--topk"}, paramLabel = "K", description = "Tokens listed when hovering a cell (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", required = true,
            description = "The picture to write: .svg or .html (or say which with --format); replaced atomically.")
    Path out;

    @Option(names = "--format", paramLabel = "FORMAT", description = "svg or html (default: by --out's extension).")
    Format format;

    @Option(names = "--top-down", description = "Put the embeddings row at the top (default: at the bottom, as in the post).")
    boolean topDown;

    @Option(names = "--title", paramLabel = "TEXT", description = "The page title (default: the model's file name).")
    String title;

    @Override
    public Integer call() throws Exception {
        Format chosen = format(spec, format, out);
        FileArguments.requireFile(spec, "--out", out, "the .svg or .html file to write");
        TopK.requirePositive(spec, topK);
        List<LensView.Spec> specs = specs(spec, views, viewOptions.compare, viewOptions.klMax).stream()
                .map(s -> s.withValues(viewOptions.values)).toList();
        Snapshots.Kind rows = rowOptions.kind(spec);
        LensSettings settings = kernelOptions.settings(modelOptions);
        Path modelPath = modelOptions.modelPath();
        try (LensModel model = LensModel.open(modelPath, settings)) {
            int[] tokens = input.resolve(spec, model.config());
            int[] range = viewOptions.range(spec, tokens.length);
            LensResult lens = model.run(tokens, -1, LensOptions.defaults().withTopK(TopK.check(spec, topK, model.config().nVocab())),
                    rows);
            String pageTitle = title != null ? title : "logit lens \u00b7 " + modelOptions.displayName(null);
            LensFigure figure = new LensFigure("positions " + range[0] + "\u2013" + (range[1] - 1) + " of " + tokens.length,
                    lens, TokenTexts.forVocabulary(model.config().nVocab()), range[0], range[1], specs, topDown);
            String document = chosen == Format.svg ? SvgPlot.render(pageTitle, List.of(figure)) : HtmlPlot.render(pageTitle, List.of(figure));
            write(out, document);
            PrintWriter printer = spec.commandLine().getOut();
            printer.println("wrote " + out + " (" + chosen + ": " + specs.size() + " view" + (specs.size() == 1 ? "" : "s") + ", "
                    + (lens.nLayers() + 1) + (rows == Snapshots.Kind.LAYERS ? " layers" : " rows") + " \u00d7 "
                    + (range[1] - range[0]) + " positions)");
            printer.flush();
        }
        return 0;
    }

    /** The format of {@code --format}, else of the file name's extension; a usage error when neither says. */
    static Format format(CommandSpec spec, Format format, Path out) {
        if (format != null) {
            return format;
        }
        String name = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".svg")) {
            return Format.svg;
        }
        if (name.endsWith(".html") || name.endsWith(".htm")) {
            return Format.html;
        }
        throw new ParameterException(spec.commandLine(), "--out " + out + ": name an .svg or .html file, or give --format svg|html");
    }

    /** The views of {@code --view} (all four when none is given) with the reference and KL cap. */
    static List<LensView.Spec> specs(CommandSpec spec, List<String> names, LensView.Reference reference, double klMax) {
        List<LensView.Kind> kinds = new ArrayList<>();
        for (String name : names.isEmpty() ? List.of("all") : names) {
            String key = name.trim().toLowerCase(Locale.ROOT);
            if (key.equals("all")) {
                for (LensView.Kind kind : LensView.Kind.values()) {
                    if (!kinds.contains(kind)) {
                        kinds.add(kind);
                    }
                }
                continue;
            }
            LensView.Kind kind = null;
            for (LensView.Kind candidate : LensView.Kind.values()) {
                if (candidate.cliName().equals(key)) {
                    kind = candidate;
                }
            }
            if (kind == null) {
                throw new ParameterException(spec.commandLine(), "--view " + name + ": expected logit, prob, rank, kl or all");
            }
            if (!kinds.contains(kind)) {
                kinds.add(kind);
            }
        }
        List<LensView.Spec> specs = new ArrayList<>();
        for (LensView.Kind kind : kinds) {
            specs.add(ViewOptions.viewSpec(spec, kind, reference, klMax));
        }
        return specs;
    }

    /** Writes a text file atomically (UTF-8). */
    static void write(Path target, String document) throws IOException {
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(target, channel -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        });
    }
}
