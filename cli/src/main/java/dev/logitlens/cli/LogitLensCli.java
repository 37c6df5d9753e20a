package dev.logitlens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
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
        subcommands = {RunCommand.class, PlotCommand.class, DumpCommand.class, StatsCommand.class, DemoCommand.class,
                InfoCommand.class, DownloadCommand.class, ResidualsCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the work failed (bad model file, native error, I/O error)",
                "2:wrong command line"})
public final class LogitLensCli {

    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    /** The environment variables the commands read (HF_HOME, HF_ENDPOINT, ...): the process's, or a test's. */
    private final Map<String, String> environment;

    private LogitLensCli(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by the tests, which must not exit). */
    public static int run(String... args) {
        return commandLine(System.getenv()).execute(args);
    }

    /** Like {@link #run(String...)}, printing to the given writers. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, System.getenv(), args);
    }

    /** Like {@link #run(PrintWriter, PrintWriter, String...)}, with the given environment variables instead of the process's. */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        CommandLine cli = commandLine(environment);
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    /** The environment variables of the command line that {@code spec} (a command or a mixin's command) belongs to. */
    static Map<String, String> environment(CommandSpec spec) {
        return ((LogitLensCli) spec.root().userObject()).environment;
    }

    static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cli = new CommandLine(new LogitLensCli(environment));
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
