package dev.logitlens.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code logitlens download}: placeholder while it is being written. */
@Command(name = "download", mixinStandardHelpOptions = true, description = "Not written yet.")
final class DownloadCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("logitlens download is not written yet");
    }
}
