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
import dev.logitlens.view.TrackPlot;
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
            description = "logit, prob, rank, kl or all (these four); contrast (logit of --contrast's TARGET minus ANTI,"
                    + " diverging colours centred on 0); track-map (a tracked token's probability, one panel per token);"
                    + " or track on its own: a line plot of the tracked tokens' probability across layers at --position."
                    + " Repeatable or comma-separated (default: all, in that order).")
    List<String> views = new ArrayList<>();

    @Mixin
    ViewOptions viewOptions;

    @Mixin
    RowOptions rowOptions;

    @Mixin
    TrackOptions trackOptions;

    @Option(names = "--position", paramLabel = "N",
            description = "The position of --view track's line plot, from 0 (default: the last position).")
    Integer position;

    @Option(names = "--linear",
            description = "--view track: a linear probability axis from 0 to 1 (default: logarithmic, from the decade below"
                    + " the smallest probability shown to 1, so that the rise through the layers is visible).")
    boolean linear;

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
        boolean lines = views.stream().anyMatch(v -> v.trim().equalsIgnoreCase("track"));
        if (lines && views.stream().anyMatch(v -> !v.trim().equalsIgnoreCase("track"))) {
            throw new ParameterException(spec.commandLine(), "--view track draws a line plot on its own: draw the heat maps"
                    + " (" + String.join(",", views) + ") into another file");
        }
        if (lines && !trackOptions.any()) {
            throw new ParameterException(spec.commandLine(), "--view track needs a tracked token: give --track TOKEN (or --contrast)");
        }
        if (!lines && (position != null || linear)) {
            throw new ParameterException(spec.commandLine(), (position != null ? "--position" : "--linear")
                    + " is an option of --view track's line plot");
        }
        List<LensView.Spec> specs = lines ? List.of() : specs(spec, views, viewOptions.compare, viewOptions.klMax).stream()
                .map(s -> s.withValues(viewOptions.values)).toList();
        for (LensView.Spec view : specs) {
            trackOptions.requireFor(spec, view.kind());
        }
        Snapshots.Kind rows = rowOptions.kind(spec);
        LensSettings settings = kernelOptions.settings(modelOptions);
        Path modelPath = modelOptions.modelPath();
        try (LensModel model = LensModel.open(modelPath, settings)) {
            int[] tokens = input.resolve(spec, model.config());
            int[] range = viewOptions.range(spec, tokens.length);
            LensResult lens = model.run(tokens, -1, LensOptions.defaults().withTopK(TopK.check(spec, topK, model.config().nVocab()))
                    .withTrackedTokens(trackOptions.ids(spec, model.config())), rows);
            String pageTitle = title != null ? title : "logit lens \u00b7 " + modelOptions.displayName(null);
            if (lines) {
                int at = position != null ? position : tokens.length - 1;
                if (at < 0 || at >= tokens.length) {
                    throw new ParameterException(spec.commandLine(), "--position " + at + ": use 0 to " + (tokens.length - 1)
                            + " (the input's positions)");
                }
                String svg = TrackPlot.render(pageTitle, lens, TokenTexts.forVocabulary(model.config().nVocab()), at, linear);
                write(out, chosen == Format.svg ? svg : htmlPage(pageTitle, svg));
                PrintWriter printer = spec.commandLine().getOut();
                printer.println("wrote " + out + " (" + chosen + ": line plot of " + lens.tracked().size() + " tracked token"
                        + (lens.tracked().size() == 1 ? "" : "s") + " across " + (lens.nLayers() + 1) + " layers at position " + at + ")");
                printer.flush();
                return 0;
            }
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
                for (LensView.Kind kind : LensView.Kind.POST) {
                    if (!kinds.contains(kind)) {
                        kinds.add(kind);
                    }
                }
                continue;
            }
            LensView.Kind kind = key.equals("track-map") ? LensView.Kind.TRACK : null;
            for (LensView.Kind candidate : LensView.Kind.values()) {
                if (candidate.cliName().equals(key) && candidate != LensView.Kind.TRACK) {
                    kind = candidate;
                }
            }
            if (kind == null) {
                throw new ParameterException(spec.commandLine(), "--view " + name
                        + ": expected logit, prob, rank, kl, all, contrast, track-map or track");
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

    /** An SVG picture as a self-contained HTML page (inline, nothing loaded from elsewhere). */
    static String htmlPage(String title, String svg) {
        String inline = svg.startsWith("<?xml") ? svg.substring(svg.indexOf('\n') + 1) : svg;
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
                + title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                + "</title>\n<style>html,body{margin:0;padding:0;background:#ffffff}svg{display:block}</style>\n</head>\n<body>\n"
                + inline + "</body>\n</html>\n";
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
