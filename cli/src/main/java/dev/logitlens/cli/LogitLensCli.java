package dev.logitlens.cli;

import dev.logitlens.runtime.NativeLibrary;
import dev.logitlens.time.Timings;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

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
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the work failed (bad model file, native error, I/O error)",
                "2:wrong command line"})
public final class LogitLensCli {

    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "On failure, print the stack trace after the one-line message.")
    boolean debug;

    /** The environment variables the commands read (HF_HOME, HF_ENDPOINT, ...): the process's, or a test's. */
    private final Map<String, String> environment;

    private LogitLensCli(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** Nanoseconds from the launch to {@link #main}'s first line; 0 when the CLI runs inside another program. */
    private static volatile long startupNanos;

    /** {@link System#nanoTime()} when {@link #main} began; 0 when the CLI runs inside another program. */
    private static volatile long mainEntered;

    /** The phases a command recorded for {@code --timings}, printed once the command has closed its model. */
    private Timings finishedTimings;
    private long finishedAt;

    public static void main(String[] args) {
        startupNanos = StartupClock.sinceLaunch();
        mainEntered = System.nanoTime();
        LauncherStderr.adopt();
        String first = args.length > 0 ? args[0] : null;
        if (first != null && PRELOADING_COMMANDS.contains(first)) {
            preload();
        }
        CommandLine cli = commandLine(System.getenv(), first);
        int status = execute(cli, args);
        LogitLensCli root = cli.getCommand();
        if (root.finishedTimings != null) {
            root.finishedTimings.stop(Timings.Phase.CLOSE, root.finishedAt);
            cli.getErr().print(root.finishedTimings.format());
            cli.getErr().flush();
        }
        System.exit(status);
    }

    /** The commands that load a model and show or write token texts. */
    private static final java.util.Set<String> PRELOADING_COMMANDS = java.util.Set.of("run", "plot", "dump", "stats", "demo", "serve");

    /**
     * Starts loading, on a background thread, what every model command needs and what does not depend on its
     * arguments: the native libraries and GPT-2's vocabulary (JTokkit parses it: about 100 ms in a fresh JVM). Both
     * loads are idempotent and thread-safe, so the command then finds them done, or waits for them, and a failure
     * here is left for the command to meet and report. Picocli's 130 ms of parsing runs meanwhile on the other core.
     */
    private static void preload() {
        Thread.ofPlatform().daemon().name("logitlens-preload").start(() -> {
            try {
                NativeLibrary.load();
                Gpt2Tokenizer.preload();
            } catch (RuntimeException | LinkageError e) {
                // the command reports it when it loads the same thing itself
            }
        });
    }

    /** Nanoseconds from {@link #main}'s start until now, or 0 outside {@link #main}. */
    static long sinceMain() {
        long entered = mainEntered;
        return entered == 0 ? 0 : System.nanoTime() - entered;
    }

    /** Hands a command's phases to {@link #main}, which adds the time to close and prints them; printed at once outside main. */
    static void finishTimings(CommandSpec spec, Timings timings) {
        LogitLensCli root = (LogitLensCli) spec.root().userObject();
        if (mainEntered == 0) {
            spec.commandLine().getErr().print(timings.format());
            spec.commandLine().getErr().flush();
            return;
        }
        root.finishedTimings = timings;
        root.finishedAt = Timings.start();
    }

    /** The start-up time (launch to {@link #main}), or 0 when unknown or not started through {@link #main}. */
    static long startupNanos() {
        return startupNanos;
    }

    /** Runs the command line and returns the exit code (used by the tests, which must not exit). */
    public static int run(String... args) {
        return execute(commandLine(System.getenv(), args.length > 0 ? args[0] : null), args);
    }

    /** Like {@link #run(String...)}, printing to the given writers. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, System.getenv(), args);
    }

    /** Like {@link #run(PrintWriter, PrintWriter, String...)}, with the given environment variables instead of the process's. */
    public static int run(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        CommandLine cli = commandLine(environment, args.length > 0 ? args[0] : null);
        cli.setOut(out);
        cli.setErr(err);
        return execute(cli, args);
    }

    /** The environment variables of the command line that {@code spec} (a command or a mixin's command) belongs to. */
    static Map<String, String> environment(CommandSpec spec) {
        return ((LogitLensCli) spec.root().userObject()).environment;
    }

    /** The subcommands, in the order {@code --help} lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("run", RunCommand::new);
        commands.put("plot", PlotCommand::new);
        commands.put("compare", CompareCommand::new);
        commands.put("dump", DumpCommand::new);
        commands.put("stats", StatsCommand::new);
        commands.put("demo", DemoCommand::new);
        commands.put("serve", ServeCommand::new);
        commands.put("info", InfoCommand::new);
        commands.put("download", DownloadCommand::new);
        commands.put("residuals", ResidualsCommand::new);
        commands.put("help", CommandLine.HelpCommand::new);
        return commands;
    }

    static CommandLine commandLine(Map<String, String> environment) {
        return commandLine(environment, null);
    }

    /**
     * The command line, with only the subcommand {@code first} names when it names one: picocli reads every
     * option annotation of every subcommand it is given, which took 150-250 ms before a short command could
     * start. Anything else ({@code --help}, a typo, no argument) gets every subcommand.
     */
    static CommandLine commandLine(Map<String, String> environment, String first) {
        CommandLine cli = new CommandLine(new LogitLensCli(environment));
        Supplier<Object> only = first == null || first.equals("help") ? null : SUBCOMMANDS.get(first);
        if (only != null) {
            cli.addSubcommand(first, only.get());
        } else {
            SUBCOMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
        }
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        CliEnums.register(cli);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine command = e.getCommandLine();
            command.getErr().println(command.getColorScheme().errorText("logitlens: " + TerminalText.escape(e.getMessage())));
            UnmatchedArgumentException.printSuggestions(e, command.getErr()); // "Did you mean: ...?" for a typo
            command.getErr().println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> fail(command, e));
        return cli;
    }

    /**
     * Runs the command line. Picocli hands a command's exceptions to the handler above but lets an {@link Error}
     * through ({@link OutOfMemoryError}, {@link StackOverflowError}, a {@link LinkageError} from the native
     * libraries): those become the same one line and exit 1, never a stack trace (that only with {@code --debug}).
     */
    private static int execute(CommandLine cli, String[] args) {
        try {
            return cli.execute(args);
        } catch (Error e) {
            return fail(cli, e);
        }
    }

    /** One line on stderr, the stack trace after it with {@code --debug}; exit 1. */
    private static int fail(CommandLine command, Throwable e) {
        PrintWriter err = command.getErr();
        err.println(command.getColorScheme().errorText("logitlens: " + TerminalText.escape(describe(e))));
        if (((LogitLensCli) command.getCommandSpec().root().userObject()).debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    private static String describe(Throwable e) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (cause instanceof OutOfMemoryError) {
            return "the JVM ran out of memory (" + cause.getMessage() + "): give it more with JAVA_TOOL_OPTIONS=-Xmx<size>,"
                    + " or a smaller input";
        }
        if (cause instanceof StackOverflowError) {
            return "the JVM ran out of stack (an input nested too deeply?)";
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        if (cause instanceof NoSuchFileException) {
            return "no such file: " + message;
        }
        if (cause instanceof FileSystemException f && f.getFile() != null && f.getReason() == null) {
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + reason(f);
        }
        return message;
    }

    /** What went wrong with a file, for the exceptions that carry only its name. */
    private static String reason(FileSystemException e) {
        return switch (e) {
            case AccessDeniedException a -> "permission denied";
            case FileAlreadyExistsException a -> "already exists";
            case NotDirectoryException a -> "not a folder";
            case DirectoryNotEmptyException a -> "folder not empty";
            case NotLinkException a -> "not a symbolic link";
            default -> e.getClass().getSimpleName();
        };
    }
}
