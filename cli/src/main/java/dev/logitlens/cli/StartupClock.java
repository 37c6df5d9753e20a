package dev.logitlens.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * How long the process took to reach {@code main}: the first phase of {@code --timings}.
 *
 * <p>The {@code logitlens} launcher passes the epoch time in nanoseconds at which it started
 * ({@code -Dlogitlens.launched=$(date +%s%N)}), so the phase covers the script, finding a JDK and the JVM's own
 * start, as a user waits for them. Without it (a plain {@code java -jar}) the process's start is read from
 * {@code /proc} (10 ms resolution). {@code ProcessHandle.Info.startInstant()} is not used: it is based on the boot
 * time in whole seconds and was 150 ms off here.
 */
final class StartupClock {

    static final String LAUNCHED_PROPERTY = "logitlens.launched";

    private StartupClock() {
    }

    /** Nanoseconds since the launch, or 0 when it cannot be told. */
    static long sinceLaunch() {
        String launched = System.getProperty(LAUNCHED_PROPERTY);
        if (launched != null) {
            try {
                Instant now = Instant.now();
                long nanos = (now.getEpochSecond() * 1_000_000_000L + now.getNano()) - Long.parseLong(launched.strip());
                return Math.max(0, nanos);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return sinceProcessStart();
    }

    /** From /proc: the system's uptime now minus the process's start in clock ticks after boot (USER_HZ = 100). */
    private static long sinceProcessStart() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(fields[19]); // field 22 of stat, counted after the command name
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Math.max(0, (long) (uptime * 1e9) - startTicks * 10_000_000L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
