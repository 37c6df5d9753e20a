package dev.logitlens.runtime;

import dev.logitlens.bindings.LogitLensNative;
import dev.logitlens.bindings.ll_error;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * What the native side runs on: the ggml version, the CPU backend variant ggml loaded for this CPU and the
 * instruction-set features it uses, and whether CUDA is there.
 *
 * <p>The shim's portable build ships ggml's CPU backend once per instruction-set level
 * ({@code libggml-cpu-x64.so} the baseline, {@code -haswell} AVX2, {@code -skylakex}, {@code -icelake},
 * {@code -zen4}, {@code -sapphirerapids} AVX-512 levels, ...) and loads the best the CPU supports. The environment
 * variable {@value #VARIANT_ENVIRONMENT} forces one (e.g. {@code x64}), for comparing results or working around a
 * bad variant; it must be set before the process starts.
 */
public final class NativeBackends {

    /** The environment variable that forces a CPU variant (read by the shim when it first loads ggml's backends). */
    public static final String VARIANT_ENVIRONMENT = "LOGITLENS_CPU_VARIANT";

    private static final int TEXT_CAPACITY = 4096;

    /**
     * The CPU backend in use.
     *
     * @param variant  the variant's name ({@code x64}, {@code haswell}, {@code skylakex}, ...), or {@code native} for a
     *                 build with one CPU backend compiled for the build machine
     * @param features the features it was compiled with and the CPU has ({@code AVX2}, {@code AVX512}, ...;
     *                 {@code NAME=value} for a setting that is not simply on)
     */
    public record CpuBackend(String variant, List<String> features) {
        public CpuBackend {
            features = List.copyOf(features);
        }
    }

    private NativeBackends() {
    }

    /** The folder the shim and ggml's libraries were loaded from. */
    public static Path libraryFolder() {
        return NativeLibrary.load().toAbsolutePath().getParent();
    }

    /** ggml's version string. */
    public static String ggmlVersion() {
        NativeLibrary.load();
        return LogitLensNative.ll_ggml_version().reinterpret(256).getString(0);
    }

    /** The CPU backend ggml loaded; {@link NativeException} ({@link NativeStatus#BACKEND}) when none could be. */
    public static CpuBackend cpu() {
        NativeLibrary.load();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment variant = call.allocate(TEXT_CAPACITY);
            MemorySegment features = call.allocate(TEXT_CAPACITY);
            MemorySegment error = ll_error.allocate(call);
            int status = LogitLensNative.ll_cpu_backend_info(variant, TEXT_CAPACITY, features, TEXT_CAPACITY, error);
            NativeCall.check(status, error, "native libraries");
            String list = features.getString(0).strip();
            return new CpuBackend(variant.getString(0), list.isEmpty() ? List.of() : List.of(list.split(" ")));
        }
    }

    /** Whether the backend is loaded and has a device. */
    public static boolean available(Backend backend) {
        NativeLibrary.load();
        return LogitLensNative.ll_backend_available(backend.nativeCode()) == 1;
    }
}
