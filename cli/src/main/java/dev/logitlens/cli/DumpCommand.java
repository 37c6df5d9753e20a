package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens dump}: placeholder while it is being written. */
@Command(name = "dump", mixinStandardHelpOptions = true, description = "Not written yet.")
final class DumpCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens dump is not written yet");
    }
}
