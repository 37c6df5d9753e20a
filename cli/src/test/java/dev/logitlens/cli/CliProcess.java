package dev.logitlens.cli;

import java.util.ArrayList;
import java.util.List;

/** The command line as a separate JVM, for what needs a process: signals, another mount namespace. */
final class CliProcess {

    private CliProcess() {
    }

    /** The java command that runs {@code logitlens args...} with this test JVM's classpath and native libraries. */
    static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /** Like {@link #command(String...)}, with these JVM options (e.g. {@code -Xmx64m}). */
    static List<String> command(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command")));
        command.addAll(jvmOptions);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        String library = System.getProperty("logitlens.library.path");
        if (library != null) {
            command.add("-Dlogitlens.library.path=" + library);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LogitLensCli.class.getName());
        command.addAll(List.of(args));
        return command;
    }
}
