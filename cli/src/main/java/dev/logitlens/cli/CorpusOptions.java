package dev.logitlens.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** The corpus of a batch command and how its documents are cut into windows. */
final class CorpusOptions {

    @Parameters(index = "0", paramLabel = "INPUT",
            description = "A text file (one document per line), a JSONL file (one {\"text\": ...} or {\"tokens\": [...]}"
                    + " per line), or a folder of .txt files (one document each) and JSONL files (.jsonl).")
    Path input;

    @Option(names = "--text-field", paramLabel = "NAME", description = "The text field of JSONL documents (default: ${DEFAULT-VALUE}).")
    String textField = "text";

    @Option(names = "--window", paramLabel = "N", description = "Tokens per window (default: the model's context).")
    Integer window;

    @Option(names = "--stride", paramLabel = "N",
            description = "Tokens between window starts, 1..window (default: the window: no overlap). With a smaller"
                    + " stride the windows overlap and each position is reported once, from the window that gives it"
                    + " the most context.")
    Integer stride;

    @Option(names = "--bos", description = "Put <|endoftext|> before every document, so its first token is predicted too (GPT-2 vocabulary).")
    boolean bos;

    int window(int nCtx) {
        return window == null ? nCtx : window;
    }

    int stride(int nCtx) {
        return stride == null ? window(nCtx) : stride;
    }
}
