package dev.logitlens.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Standard error straight to the terminal or file again, once {@code main} runs under a launcher.
 *
 * <p>The JVM prints "WARNING: Using incubator modules: jdk.incubator.vector" while it starts, whenever the Vector
 * API's module is added, and JDK 25 has no option that silences it. The launchers ({@code ./logitlens},
 * {@code scripts/dist/logitlens}) therefore start the JVM with its standard error (descriptor 2) on a pipe to a
 * filter that drops that one line, and the real standard error on descriptor 3, named by
 * {@code -Dlogitlens.stderr.fd=3} (with {@code --add-opens java.base/java.io=ALL-UNNAMED}). Here {@link System#err}
 * is pointed at descriptor 3: from the first line of {@code main}, what the command prints on standard error
 * reaches it directly, in order with standard output and before the process exits; only what the JVM prints before
 * {@code main}, and native code's own writes to descriptor 2, go through the filter.
 */
final class LauncherStderr {

    private LauncherStderr() {
    }

    /** Points {@link System#err} at the descriptor the launcher names; without one, or when it is not open, changes nothing. */
    static void adopt() {
        String value = System.getProperty("logitlens.stderr.fd");
        if (value == null) {
            return;
        }
        try {
            int fd = Integer.parseInt(value);
            if (fd < 3 || !Files.exists(Path.of("/proc/self/fd/" + fd))) {
                return;
            }
            FileDescriptor descriptor = new FileDescriptor();
            Field field = FileDescriptor.class.getDeclaredField("fd");
            field.setAccessible(true);
            field.setInt(descriptor, fd);
            // as the JDK makes System.err: buffered, flushed at every line and every write of an array
            System.setErr(new PrintStream(new BufferedOutputStream(new FileOutputStream(descriptor), 8192), true,
                    System.err.charset()));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // keeps the filtered descriptor 2: all of it still arrives
        }
    }
}
