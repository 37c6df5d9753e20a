package dev.logitlens.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The one rule of every command's {@code --top-k}: 1 up to the model's vocabulary; anything else is a fault of the
 * command line (exit 2) whose message names the vocabulary's size. (The engine's {@code LensOptions.topKFor} clamps a
 * larger k for API callers; on the command line a k above the vocabulary is a typo more often than a wish for every
 * token, and clamping it silently would write fewer columns than asked.)
 */
final class TopK {

    private TopK() {
    }

    /** Refuses a k below 1, before a model is opened. */
    static void requirePositive(CommandSpec spec, int k) {
        if (k < 1) {
            throw new ParameterException(spec.commandLine(), "--top-k " + k + ": use at least 1");
        }
    }

    /**
     * {@code k}, when it is 1 to {@code vocabulary}; a usage error naming the vocabulary otherwise. The default k (not
     * given on the command line) is at most the vocabulary: a model of 3 tokens lists 3.
     */
    static int check(CommandSpec spec, int k, int vocabulary) {
        var parsed = spec.commandLine().getParseResult();
        if (k > vocabulary && (parsed == null || !parsed.hasMatchedOption("--top-k"))) {
            return vocabulary;
        }
        if (k < 1 || k > vocabulary) {
            throw new ParameterException(spec.commandLine(), "--top-k " + k + ": use 1 to " + vocabulary
                    + " (the model's vocabulary has " + vocabulary + " tokens)");
        }
        return k;
    }
}
