package dev.logitlens.lens;

/**
 * Whether this JVM can run the lens's Java kernels: the float32 GEMM ({@link JvmProjectionKernel}) and the Java
 * statistics, tracked tokens and comparisons (which share their row passes). They are written with the Vector API,
 * an incubator module ({@code jdk.incubator.vector}) that a JVM resolves only when started with
 * {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Why a JVM would be started without it: JDK 25 turns off the AOT cache's archived heap, and with it the
 * AOT-linked classes, whenever an incubator module is added. So {@code ./logitlens} starts a short {@code run} without
 * the module and with C1 only, about 0.3 s sooner (docs/BENCHMARKS.md, "Time to first lens"), and everything that
 * runs there then runs in the native shim. Code that needs the Java kernels calls {@link #require} first, so that a
 * JVM without the module fails with this class's message instead of a {@link NoClassDefFoundError}.
 */
public final class VectorApi {

    /** The module's name. */
    public static final String MODULE = "jdk.incubator.vector";

    private VectorApi() {
    }

    /** Whether the Vector API's module is in this JVM's boot layer. */
    public static boolean available() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * Throws {@link IllegalStateException} when the Vector API is not {@link #available()}.
     *
     * @param what what needs it, for the message (e.g. "the JVM kernel")
     */
    public static void require(String what) {
        if (!available()) {
            throw new IllegalStateException(what + " needs the Vector API, which this JVM was started without: start it with"
                    + " --add-modules " + MODULE + " (./logitlens does so for all but a run without --kernel, --track or --contrast; LOGITLENS_QUICK=0"
                    + " makes it do so always)");
        }
    }
}
