package dev.logitlens.cli;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens followed through every cell: {@code --track TOKEN} (repeatable) and {@code --contrast TARGET ANTI}. A token
 * is given as its text, which must be exactly one GPT-2 token (a usage error shows how the text tokenises otherwise),
 * or, for a model whose vocabulary is not GPT-2's, as a token id. The tracked list is the contrast's target and
 * anti-target first (the contrast view is the first minus the second), then the {@code --track} tokens, each once.
 */
final class TrackOptions {

    @Option(names = "--track", paramLabel = "TOKEN",
            description = "Follow a token through every layer and position: its probability, logit and rank in every cell"
                    + " (JSON and CSV columns track<i>_prob, _logit, _rank; the track views). The text must be exactly one"
                    + " GPT-2 token, spaces included (' Paris'); for other vocabularies a token id. Repeatable.")
    List<String> track = new ArrayList<>();

    @Option(names = "--contrast", paramLabel = "TOKEN", arity = "2",
            description = "Two tokens, TARGET and ANTI: the contrast view colours each cell by logit(TARGET) - logit(ANTI)"
                    + " (= their log-probability difference, nats; blue where TARGET leads, red where ANTI does); both are"
                    + " tracked. Each must be one token, as for --track.")
    List<String> contrast;

    /** Whether {@code --contrast} was given. */
    boolean hasContrast() {
        return contrast != null && !contrast.isEmpty();
    }

    /** Whether any token is tracked. */
    boolean any() {
        return hasContrast() || !track.isEmpty();
    }

    /** The tracked ids: the contrast's target and anti-target first, then the {@code --track} tokens; each once. */
    List<Integer> ids(CommandSpec spec, Gpt2Config config) {
        List<Integer> ids = new ArrayList<>();
        if (hasContrast()) {
            int target = id(spec, config, "--contrast", contrast.get(0));
            int anti = id(spec, config, "--contrast", contrast.get(1));
            if (target == anti) {
                throw new ParameterException(spec.commandLine(), "--contrast: the target and the anti-target are the same token ("
                        + target + ")");
            }
            ids.add(target);
            ids.add(anti);
        }
        for (String token : track) {
            int id = id(spec, config, "--track", token);
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** One token's id: its text, which must be a single GPT-2 token, or a token id for other vocabularies. */
    static int id(CommandSpec spec, Gpt2Config config, String option, String token) {
        if (config.nVocab() != Gpt2Tokenizer.VOCAB_SIZE) {
            try {
                int id = Integer.parseInt(token.trim());
                if (id >= 0 && id < config.nVocab()) {
                    return id;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new ParameterException(spec.commandLine(), option + " " + token + ": this model's vocabulary is not GPT-2's;"
                    + " give a token id from 0 to " + (config.nVocab() - 1));
        }
        Gpt2Tokenizer tokenizer = new Gpt2Tokenizer();
        int[] ids = tokenizer.encode(token);
        if (ids.length != 1) {
            StringBuilder pieces = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                pieces.append(i == 0 ? "" : ", ").append('\'').append(TerminalText.escape(tokenizer.tokenText(ids[i]))).append("' = ").append(ids[i]);
            }
            throw new ParameterException(spec.commandLine(), option + " '" + TerminalText.escape(token) + "': a tracked token must be"
                    + " exactly one token, and this text is " + ids.length + (ids.length == 1 ? " token" : " tokens")
                    + (ids.length == 0 ? "" : " (" + pieces + ")"));
        }
        return ids[0];
    }

    /** A usage error when a view needs tracked tokens that were not given: track needs a token, contrast --contrast. */
    void requireFor(CommandSpec spec, dev.logitlens.view.LensView.Kind kind) {
        if (kind == dev.logitlens.view.LensView.Kind.TRACK && !any()) {
            throw new ParameterException(spec.commandLine(), "--view track needs a tracked token: give --track TOKEN (or --contrast)");
        }
        if (kind == dev.logitlens.view.LensView.Kind.CONTRAST && !hasContrast()) {
            throw new ParameterException(spec.commandLine(), "--view contrast needs --contrast TARGET ANTI");
        }
    }
}
