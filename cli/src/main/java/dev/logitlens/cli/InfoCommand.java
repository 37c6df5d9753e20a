package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens info}: placeholder while it is being written. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Not written yet.")
final class InfoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens info is not written yet");
    }
}
