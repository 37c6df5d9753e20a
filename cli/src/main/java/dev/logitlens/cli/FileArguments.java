package dev.logitlens.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks of file and folder options made before any work: a file option that names a folder, or a folder option
 * that names a file, is a fault of the command line (exit 2), reported with the option and the path.
 */
final class FileArguments {

    private FileArguments() {
    }

    /** Refuses {@code path} when it is an existing folder: {@code option} wants a file ({@code what} says which). */
    static void requireFile(CommandSpec spec, String option, Path path, String what) {
        if (path != null && Files.isDirectory(path)) {
            throw new ParameterException(spec.commandLine(), option + " " + path + ": is a folder; name " + what);
        }
    }

    /** Refuses {@code path} when it exists and is not a folder: {@code option} wants a folder ({@code what} says why). */
    static void requireFolder(CommandSpec spec, String option, Path path, String what) {
        if (path != null && Files.exists(path) && !Files.isDirectory(path)) {
            throw new ParameterException(spec.commandLine(), option + " " + path + ": is a file; " + what);
        }
    }
}
