package dev.logitlens.runtime;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which CPU backend variant ggml loaded. Surefire runs this class twice (engine/pom.xml): as is, where the best
 * variant for the CPU is loaded, and with {@code LOGITLENS_CPU_VARIANT=x64}, the baseline, where the lens tests that
 * run beside it ({@code LensModelTest}) must meet the same float64 references.
 */
class NativeBackendsTest {

    @Test
    void reportsTheLoadedVariantAndItsLibraryLiesBesideTheShim() {
        NativeBackends.CpuBackend cpu = NativeBackends.cpu();
        assertFalse(cpu.variant().isBlank(), "a variant name");
        if (!cpu.variant().equals("native")) {
            Path library = NativeBackends.libraryFolder().resolve("libggml-cpu-" + cpu.variant() + ".so");
            assertTrue(Files.isRegularFile(library), library + " exists");
        }
        assertFalse(NativeBackends.ggmlVersion().isBlank());
    }

    @Test
    void theForcedVariantIsTheOneLoaded() {
        String forced = System.getenv(NativeBackends.VARIANT_ENVIRONMENT);
        NativeBackends.CpuBackend cpu = NativeBackends.cpu();
        if (forced != null && !forced.isEmpty()) {
            assertEquals(forced, cpu.variant());
            if (forced.equals("x64")) {
                assertTrue(cpu.features().stream().noneMatch(f -> f.startsWith("AVX")), "the baseline uses no AVX: " + cpu.features());
            }
        }
    }

    @Test
    void aCpuWithAvx2GetsMoreThanTheBaselineUnlessForced() throws IOException {
        String forced = System.getenv(NativeBackends.VARIANT_ENVIRONMENT);
        NativeBackends.CpuBackend cpu = NativeBackends.cpu();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if ((forced != null && !forced.isEmpty()) || cpu.variant().equals("native") || !Files.isReadable(cpuinfo)) {
            return;
        }
        String flags = Files.readString(cpuinfo).toLowerCase(Locale.ROOT);
        if (flags.contains(" avx2")) {
            assertNotEquals("x64", cpu.variant());
            assertTrue(cpu.features().contains("AVX2"), "AVX2 in " + cpu.features());
        }
        if (flags.contains(" avx512f")) {
            assertTrue(cpu.features().contains("AVX512"), "AVX512 in " + cpu.features());
        }
    }

    @Test
    void noCudaWithoutItsLibrary() {
        if (!Files.exists(NativeBackends.libraryFolder().resolve("libggml-cuda.so"))) {
            assertFalse(NativeBackends.available(Backend.CUDA), "CUDA without libggml-cuda.so");
        }
    }
}
