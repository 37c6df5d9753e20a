package dev.logitlens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/**
 * The {@code logitlens} command line.
 *
 * <p>Exit codes: 0 success; 1 the work failed (a bad model file, a native error, an I/O error such
 * as a full disk); 2 the command line was wrong (unknown option, missing argument, bad value).
 */
@Command(name = "logitlens",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "The logit lens for GPT-2: decode every layer's residual stream as if it were the last.",
        subcommands = {RunCommand.class, ResidualsCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the work failed (bad model file, native error, I/O error)",
                "2:wrong command line"})
public final class LogitLensCli {

    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by the tests, which must not exit). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Like {@link #run(String...)}, printing to the given writers. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LogitLensCli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine command = e.getCommandLine();
            command.getErr().println(command.getColorScheme().errorText("logitlens: " + e.getMessage()));
            command.getErr().println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            command.getErr().println(command.getColorScheme().errorText("logitlens: " + describe(e)));
            if (Boolean.getBoolean("logitlens.debug")) {
                e.printStackTrace(command.getErr());
            }
            return EXIT_FAILURE;
        });
        return cli;
    }

    private static String describe(Throwable e) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        if (cause instanceof NoSuchFileException) {
            return "no such file: " + message;
        }
        return message;
    }
}
