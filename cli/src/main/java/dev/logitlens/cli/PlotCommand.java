package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens plot}: placeholder while it is being written. */
@Command(name = "plot", mixinStandardHelpOptions = true, description = "Not written yet.")
final class PlotCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens plot is not written yet");
    }
}
