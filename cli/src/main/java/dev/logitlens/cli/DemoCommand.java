package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.HtmlPlot;
import dev.logitlens.view.LensFigure;
import dev.logitlens.view.LensView;
import dev.logitlens.view.LensView.Kind;
import dev.logitlens.view.LensView.Reference;
import dev.logitlens.view.SvgPlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code logitlens demo}: the three worked examples of nostalgebraist's "interpreting GPT: the logit lens" (2020),
 * run and drawn: the lens tables in the terminal, and per example an HTML page and an SVG picture with six panels
 * (logit, probability, rank and KL against the final layer, rank and KL against the input, as in the post's main
 * figures and its addendum).
 *
 * <p>The texts are the post's: the GPT-3 paper's abstract (the post shows "a segment in the middle of the
 * abstract", two consecutive stretches of 10 tokens; the text, with its line breaks as spaces, is the one in the
 * post's notebook, and the stretch is the one the post discusses, from " we train GPT-3, an aut…" to
 * "… 175 billion parameters,"); the rare-token copy "Sometimes, when people say plasma, ..." (the post shows the
 * last tokens, where "plasma" is copied, and in its addendum a segment with the first "plasma"); extreme
 * repetition: the post's figure does not print its input, so we take the notebook's only repetitive text,
 * {@code plasma_repetitive}: "I love plasma." four times.
 *
 * <p>The post decoded the block outputs "after layer norm, but before the learned point-wise transformation":
 * add {@code --no-affine} for that; the default decodes through ln_f's gain and bias, like the model's own output.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run and draw the three examples of the logit lens post (GPT-3 abstract, copying the rare token"
                + " 'plasma', extreme repetition): tables in the terminal, HTML and SVG pictures in --out."
                + " Needs a model with GPT-2's vocabulary (default: gpt2).")
final class DemoCommand implements Callable<Integer> {

    /** The GPT-3 paper's abstract as the post's notebook holds it (its line breaks replaced by spaces). */
    static final String GPT3_ABSTRACT = "Recent work has demonstrated substantial gains on many NLP tasks and benchmarks by "
            + "pre-training on a large corpus of text followed by fine-tuning on a specific task. While typically task-agnostic "
            + "in architecture, this method still requires task-specific fine-tuning datasets of thousands or tens of thousands "
            + "of examples. By contrast, humans can generally perform a new language task from only a few examples or from simple "
            + "instructions \u2013 something which current NLP systems still largely struggle to do. Here we show that scaling up "
            + "language models greatly improves task-agnostic, few-shot performance, sometimes even reaching competitiveness with "
            + "prior state-of-the-art finetuning approaches. Specifically, we train GPT-3, an autoregressive language model with "
            + "175 billion parameters, 10x more than any previous non-sparse language model, and test its performance in the "
            + "few-shot setting. For all tasks, GPT-3 is applied without any gradient updates or fine-tuning, with tasks and "
            + "few-shot demonstrations specified purely via text interaction with the model. GPT-3 achieves strong performance on "
            + "many NLP datasets, including translation, question-answering, and cloze tasks, as well as several tasks that "
            + "require on-the-fly reasoning or domain adaptation, such as unscrambling words, using a novel word in a sentence, "
            + "or performing 3-digit arithmetic. At the same time, we also identify some datasets where GPT-3\u2019s few-shot "
            + "learning still struggles, as well as some datasets where GPT-3 faces methodological issues related to training on "
            + "large web corpora. Finally, we find that GPT-3 can generate samples of news articles which human evaluators have "
            + "difficulty distinguishing from articles written by humans. We discuss broader societal impacts of this finding and "
            + "of GPT-3 in general.";

    /** The post's rare-token example. */
    static final String PLASMA = "Sometimes, when people say plasma, they mean a state of matter. Other times, when people say plasma";

    /** The notebook's {@code plasma_repetitive}. */
    static final String REPETITION = "I love plasma. I love plasma. I love plasma. I love plasma.";

    /** The views of every picture: the post's four views, then the addendum's two input-referenced ones. */
    static final List<LensView.Spec> VIEWS = List.of(LensView.Spec.of(Kind.LOGIT), LensView.Spec.of(Kind.PROB),
            LensView.Spec.of(Kind.RANK), LensView.Spec.of(Kind.KL),
            LensView.Spec.of(Kind.RANK, Reference.INPUT), LensView.Spec.of(Kind.KL, Reference.INPUT));

    /**
     * One example: a file name, a title, the text, and the stretches shown (token positions, {@code [start, end)}).
     */
    record Example(String name, String title, String text, List<int[]> stretches) {
    }

    /** The three examples, with their stretches for the tokens of their texts. */
    static List<Example> examples(Gpt2Tokenizer tokenizer) {
        int train = tokenizer.encode(GPT3_ABSTRACT.substring(0, GPT3_ABSTRACT.indexOf(" we train"))).length;
        int plasma = tokenizer.encode(PLASMA).length;
        int repetition = tokenizer.encode(REPETITION).length;
        return List.of(
                new Example("gpt3-abstract", "GPT-3 abstract (two stretches of 10 tokens, as in the post)", GPT3_ABSTRACT,
                        List.of(new int[] {train, train + 10}, new int[] {train + 10, train + 20})),
                new Example("plasma", "copying a rare token: plasma (the copy at the end, then the first plasma)", PLASMA,
                        List.of(new int[] {plasma - 10, plasma}, new int[] {0, 10})),
                new Example("repetition", "extreme repetition", REPETITION, List.of(new int[] {0, repetition})));
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    KernelOptions kernelOptions;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Folder for the pictures, created when missing (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("logitlens-demo");

    @Option(names = "--view", paramLabel = "VIEW", description = "What colours the terminal tables: logit, prob, rank or kl (default: logit).")
    Kind view = Kind.LOGIT;

    @Option(names = "--compare", paramLabel = "REF", description = "Reference of the tables' rank and kl views: final or input (default: final).")
    Reference compare = Reference.FINAL;

    @Option(names = "--kl-max", paramLabel = "NATS", description = "KL at which the kl view saturates, nats (default: ${DEFAULT-VALUE}).")
    double klMax = LensView.DEFAULT_KL_MAX;

    @Option(names = {"-k", "--top-k", "--topk"}, paramLabel = "K", description = "Tokens listed when hovering a cell (default: ${DEFAULT-VALUE}).")
    int topK = 5;

    @Option(names = "--top-down", description = "Put the embeddings row at the top (default: at the bottom, as in the post).")
    boolean topDown;

    @Option(names = "--color", paramLabel = "WHEN", description = "auto, always or never (default: ${DEFAULT-VALUE}).")
    RunCommand.ColorMode color = RunCommand.ColorMode.auto;

    /**
     * The tokens of an example that the model's context holds: all of them when they fit; the first {@code nCtx} when
     * they do not but every stretch shown lies within those (a note on standard error says so); null when a stretch
     * lies beyond the context (the example is skipped, with a note).
     */
    private int[] fitContext(Example example, int[] tokens, int nCtx) {
        if (tokens.length <= nCtx) {
            return tokens;
        }
        int needed = example.stretches().stream().mapToInt(stretch -> stretch[1]).max().orElseThrow();
        PrintWriter err = spec.commandLine().getErr();
        if (needed > nCtx) {
            err.println("note: skipped the example '" + example.name() + "': it shows tokens up to position " + (needed - 1)
                    + ", beyond the model's context of " + nCtx + " tokens");
            err.flush();
            return null;
        }
        err.println("note: the example '" + example.name() + "' has " + tokens.length + " tokens, more than the model's context"
                + " of " + nCtx + ": it runs on the first " + nCtx + ", which hold every position shown");
        err.flush();
        return java.util.Arrays.copyOf(tokens, nCtx);
    }

    @Override
    public Integer call() throws Exception {
        TopK.requirePositive(spec, topK);
        LensView.Spec tableSpec = ViewOptions.viewSpec(spec, view, compare, klMax);
        List<LensView.Spec> views = VIEWS.stream().map(s -> s.withKlMax(klMax)).toList();
        PrintWriter printer = spec.commandLine().getOut();
        LensSettings settings = kernelOptions.settings(modelOptions);
        FileArguments.requireFolder(spec, "--out", out, "demo writes its pictures into a folder (a new one or an existing one)");
        Path modelPath = modelOptions.modelPath("gpt2");
        String modelName = modelOptions.displayName("gpt2");
        try (LensModel model = LensModel.open(modelPath, settings)) {
            int vocab = model.config().nVocab();
            if (vocab != Gpt2Tokenizer.VOCAB_SIZE) {
                throw new ParameterException(spec.commandLine(), "demo: the post's examples are English text and need a model with"
                        + " GPT-2's vocabulary of " + Gpt2Tokenizer.VOCAB_SIZE + " tokens; " + modelName + " has " + vocab);
            }
            LensOptions lensOptions = LensOptions.defaults().withTopK(TopK.check(spec, topK, vocab));
            Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();
            TokenTexts texts = TokenTexts.forVocabulary(vocab);
            Files.createDirectories(out);
            boolean colour = RunCommand.colour(color);
            int drawn = 0;
            for (Example example : examples(tokenizer)) {
                int[] tokens = fitContext(example, tokenizer.encode(example.text()), model.config().nCtx());
                if (tokens == null) {
                    continue;
                }
                LensResult lens = model.run(tokens, lensOptions);
                List<LensFigure> figures = new ArrayList<>();
                for (int[] stretch : example.stretches()) {
                    String positions = "positions " + stretch[0] + "\u2013" + (stretch[1] - 1);
                    // the page title names the example: the figures only their stretch
                    figures.add(new LensFigure(positions, lens, texts, stretch[0], stretch[1], views, topDown));
                    printer.println();
                    printer.println("== " + example.title() + " \u00b7 " + positions);
                    new LensTable(LensView.of(lens, tableSpec, stretch[0], stretch[1]), texts).print(printer, colour, topDown);
                }
                String pageTitle = "logit lens \u00b7 " + example.title() + " \u00b7 " + modelName;
                Path html = out.resolve(example.name() + ".html");
                Path svg = out.resolve(example.name() + ".svg");
                PlotCommand.write(html, HtmlPlot.render(pageTitle, figures));
                PlotCommand.write(svg, SvgPlot.render(pageTitle, figures));
                printer.println("wrote " + html + " and " + svg);
                printer.flush();
                drawn++;
            }
            if (drawn == 0) {
                throw new IllegalStateException("demo: no example fits the model's context of " + model.config().nCtx()
                        + " tokens (see the notes above)");
            }
        }
        printer.flush();
        return 0;
    }
}
