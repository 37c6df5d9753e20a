package dev.logitlens.cli;

import dev.logitlens.io.Utf8;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The input of a single-text command: a text (positional or {@code --text}), token ids, or a text file (exactly one). */
final class InputOptions {

    @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT",
            description = "A text, tokenised with GPT-2's byte-pair encoding (like --text).")
    String positional;

    @Option(names = "--tokens", paramLabel = "IDS", split = ",", description = "Token ids, comma-separated (e.g. 464,3290).")
    int[] tokens;

    @Option(names = "--text", paramLabel = "TEXT", description = "A text, tokenised with GPT-2's byte-pair encoding.")
    String text;

    @Option(names = "--file", paramLabel = "FILE", description = "A UTF-8 text file, tokenised with GPT-2's byte-pair encoding.")
    Path file;

    /** The token ids, validated against the model's vocabulary and context. */
    int[] resolve(CommandSpec spec, Gpt2Config config) throws IOException {
        int given = (positional != null ? 1 : 0) + (tokens != null ? 1 : 0) + (text != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given != 1) {
            throw new ParameterException(spec.commandLine(), "give exactly one input: a TEXT, --tokens, --text or --file");
        }
        String words = positional != null ? positional : text;
        int[] ids = tokens != null ? tokens : tokenize(spec, config, words != null ? words : readUtf8(spec, file));
        if (ids.length == 0) {
            throw new ParameterException(spec.commandLine(), "the input has no tokens");
        }
        if (ids.length > config.nCtx()) {
            throw new ParameterException(spec.commandLine(), "the input has " + ids.length + " tokens; the model's context is " + config.nCtx());
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.nVocab()) {
                throw new ParameterException(spec.commandLine(), "token id " + ids[i] + " at position " + i
                        + " is outside the model's vocabulary [0, " + config.nVocab() + ")");
            }
        }
        return ids;
    }

    private static int[] tokenize(CommandSpec spec, Gpt2Config config, String text) {
        try {
            Gpt2Tokenizer.requireGpt2Vocabulary(config.nVocab());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return new Gpt2Tokenizer().encode(text);
    }

    private static String readUtf8(CommandSpec spec, Path file) throws IOException {
        FileArguments.requireFile(spec, "--file", file, "a UTF-8 text file");
        byte[] bytes = Files.readAllBytes(file);
        try {
            return Utf8.decode(bytes, 0, bytes.length);
        } catch (CharacterCodingException e) {
            throw new IOException(file + " is not valid UTF-8 text", e);
        }
    }
}
