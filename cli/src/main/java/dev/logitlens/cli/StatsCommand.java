package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens stats}: placeholder while it is being written. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Not written yet.")
final class StatsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens stats is not written yet");
    }
}
