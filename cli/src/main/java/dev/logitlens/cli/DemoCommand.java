package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens demo}: placeholder while it is being written. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Not written yet.")
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens demo is not written yet");
    }
}
