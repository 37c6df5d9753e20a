package dev.logitlens.bench;

import dev.logitlens.api.KernelChoice;
import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.runtime.ProjectionPrecision;
import dev.logitlens.testing.CanonicalWeights;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The soak test (docs/SOAK.md): many lens calls in one process, then many models opened and closed, through the
 * public API ({@link LensModel}), with the resident set (native memory: /proc/self/status VmRSS, and its peak
 * VmHWM) and the Java heap after {@code System.gc()} sampled at intervals. Exits 1 when either grew past its
 * threshold over the second half of a phase (the first half lets the JIT, the allocators and the caches settle).
 *
 * <pre>
 *   java -Xms256m -Xmx256m -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *       -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.SoakMain [--calls N] [--opens N] ...
 * </pre>
 *
 * (scripts/soak.sh runs it so.) A heap of fixed size, touched at start, stays resident whole: the RSS then moves
 * with native memory only, not with how much heap the collector keeps committed from one sample to the next
 * (hundreds of MiB with a growable heap, up and down).
 *
 * Options: {@code --calls N} lens calls (10000), {@code --opens N} open-run-close cycles (1000), {@code --samples N}
 * samples per phase (20), {@code --rss-mib X} and {@code --heap-mib X} the growth thresholds (8, 2),
 * {@code --threads N} (1: the soak measures memory, and ggml's threads wait for each other by spinning,
 * which on a loaded machine costs most of the time), {@code --leak-bytes N}: keep N bytes of native memory and N of heap per call or cycle,
 * a deliberate leak that shows the check fails when memory grows.
 *
 * <p>The model is a small random GPT-2 (V 1000, context 64, d 64, 4 heads, 4 layers), written once as GGUF and as a
 * Hugging Face folder (whose Conv1D matrices the shim transposes into memory it owns). The lens calls alternate two
 * models, one projecting in ggml (native statistics), one with the JVM kernel (JVM statistics), over inputs of 1 to
 * 16 tokens, so that the shim's compute buffers are planned anew as the length changes. The open-close cycles
 * rotate through both files and the projection kernels (ggml F32, ggml Q8_0: a converted copy of W_U, JVM) and run
 * one lens each.
 */
public final class SoakMain {

    private static final Gpt2Config CONFIG = TinyGpt2.config(1000, 64, 64, 4, 4);
    private static final long SEED = 7L;
    private static final double MIB = 1024.0 * 1024.0;

    private SoakMain() {
    }

    /** One sample: after {@code done} calls or cycles, RSS and its peak (from /proc) and the heap in use after GC. */
    private record Sample(int done, long rssKib, long hwmKib, long heapBytes) {
    }

    private static final class Settings {
        int calls = 10_000;
        int opens = 1_000;
        int samples = 20;
        double rssMib = 8;
        double heapMib = 2;
        int threads = 1;
        int leakBytes;
    }

    private static final List<Object> RETAINED = new ArrayList<>(); // the deliberate leak's heap half

    public static void main(String[] args) throws IOException {
        Settings s = parse(args);
        Path dir = Files.createTempDirectory("logitlens-soak");
        try {
            CanonicalWeights weights = TinyGpt2.generate(CONFIG, SEED, TinyGpt2.DEFAULT_SHARPNESS, true);
            Path gguf = new GgufWriter(weights).write(dir.resolve("soak.gguf"));
            Path folder = new SafetensorsWriter(weights).writeFolder(dir.resolve("soak-hf"));
            System.out.printf(Locale.ROOT, "model: V %d, context %d, d %d, %d heads, %d layers; %d threads; thresholds: "
                            + "RSS +%.1f MiB, heap +%.1f MiB over each phase's second half%n", CONFIG.nVocab(),
                    CONFIG.nCtx(), CONFIG.nEmbd(), CONFIG.nHead(), CONFIG.nLayer(), s.threads, s.rssMib, s.heapMib);
            boolean ok = lensCalls(s, gguf);
            ok &= openClose(s, gguf, folder);
            System.out.println(ok ? "soak: flat" : "soak: GROWTH past the threshold");
            System.exit(ok ? 0 : 1);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Phase 1: {@code calls} lens calls, alternating a ggml-kernel model and a JVM-kernel model. */
    private static boolean lensCalls(Settings s, Path gguf) throws IOException {
        LensSettings base = LensSettings.defaults().withThreads(s.threads);
        List<Sample> samples = new ArrayList<>();
        long checksum = 0;
        try (LensModel nativeKernel = LensModel.open(gguf, base.withKernel(KernelChoice.NATIVE));
             LensModel jvmKernel = LensModel.open(gguf, base.withKernel(KernelChoice.JVM))) {
            int every = Math.max(1, s.calls / s.samples);
            samples.add(sample(0));
            for (int i = 0; i < s.calls; i++) {
                LensModel model = i % 2 == 0 ? nativeKernel : jvmKernel;
                checksum += model.run(tokens(i)).topTokenId(CONFIG.nLayer(), 0, 0);
                leak(s);
                if ((i + 1) % every == 0 || i + 1 == s.calls) {
                    samples.add(sample(i + 1));
                }
            }
        }
        return report("lens calls (one process, two models open)", "calls", samples, s, checksum);
    }

    /** Phase 2: {@code opens} cycles of open, one lens call, close, rotating files and kernels. */
    private static boolean openClose(Settings s, Path gguf, Path folder) throws IOException {
        LensSettings base = LensSettings.defaults().withThreads(s.threads);
        LensSettings[] rotation = {
                base.withKernel(KernelChoice.NATIVE),
                base.withKernel(KernelChoice.NATIVE).withPrecision(ProjectionPrecision.Q8_0),
                base.withKernel(KernelChoice.JVM),
        };
        List<Sample> samples = new ArrayList<>();
        long checksum = 0;
        int every = Math.max(1, s.opens / s.samples);
        samples.add(sample(0));
        for (int i = 0; i < s.opens; i++) {
            Path path = i % 2 == 0 ? gguf : folder;
            try (LensModel model = LensModel.open(path, rotation[i % rotation.length])) {
                LensResult lens = model.run(tokens(i));
                checksum += lens.topTokenId(CONFIG.nLayer(), 0, 0);
            }
            leak(s);
            if ((i + 1) % every == 0 || i + 1 == s.opens) {
                samples.add(sample(i + 1));
            }
        }
        return report("open, run, close (GGUF and Hugging Face folder; ggml F32, ggml Q8_0, JVM kernels)", "cycles",
                samples, s, checksum);
    }

    /** 1 to 16 token ids, deterministic in {@code i}. */
    private static int[] tokens(int i) {
        int[] tokens = new int[1 + i % 16];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = (int) ((i * 31L + t * 17L) % CONFIG.nVocab());
        }
        return tokens;
    }

    private static void leak(Settings s) {
        if (s.leakBytes > 0) {
            Arena.global().allocate(s.leakBytes).fill((byte) 1); // touched, so that it is resident
            RETAINED.add(new byte[s.leakBytes]);
        }
    }

    private static Sample sample(int done) {
        System.gc();
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        long heap = runtime.totalMemory() - runtime.freeMemory();
        long rss = -1;
        long hwm = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status (the soak needs Linux)", e);
        }
        if (rss < 0 || hwm < 0) {
            throw new IllegalStateException("/proc/self/status has no VmRSS or VmHWM line");
        }
        return new Sample(done, rss, hwm, heap);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /**
     * Prints the table and checks the second half: the largest RSS and heap sampled after the midpoint, less the
     * midpoint's, must stay within the thresholds.
     */
    private static boolean report(String phase, String unit, List<Sample> samples, Settings s, long checksum) {
        System.out.printf(Locale.ROOT, "%n%s (checksum %d)%n%10s %12s %12s %12s%n", phase, checksum, unit,
                "RSS MiB", "VmHWM MiB", "heap MiB");
        for (Sample x : samples) {
            System.out.printf(Locale.ROOT, "%10d %12.1f %12.1f %12.2f%n", x.done, x.rssKib / 1024.0,
                    x.hwmKib / 1024.0, x.heapBytes / MIB);
        }
        int total = samples.getLast().done;
        Sample mid = samples.stream().filter(x -> x.done >= total / 2).findFirst().orElseThrow();
        long maxRss = samples.stream().filter(x -> x.done >= mid.done).mapToLong(Sample::rssKib).max().orElseThrow();
        long maxHeap = samples.stream().filter(x -> x.done >= mid.done).mapToLong(Sample::heapBytes).max().orElseThrow();
        double rssGrowth = (maxRss - mid.rssKib) / 1024.0;
        double heapGrowth = (maxHeap - mid.heapBytes) / MIB;
        boolean ok = rssGrowth <= s.rssMib && heapGrowth <= s.heapMib;
        System.out.printf(Locale.ROOT, "second half (from %d %s): RSS +%.1f MiB (threshold %.1f), heap +%.2f MiB "
                        + "(threshold %.1f): %s%n", mid.done, unit, rssGrowth, s.rssMib, heapGrowth, s.heapMib,
                ok ? "flat" : "GROWTH");
        return ok;
    }

    private static Settings parse(String[] args) {
        Settings s = new Settings();
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--calls" -> s.calls = positive(args[i], value);
                case "--opens" -> s.opens = positive(args[i], value);
                case "--samples" -> s.samples = positive(args[i], value);
                case "--threads" -> s.threads = positive(args[i], value);
                case "--leak-bytes" -> s.leakBytes = Integer.parseInt(value);
                case "--rss-mib" -> s.rssMib = Double.parseDouble(value);
                case "--heap-mib" -> s.heapMib = Double.parseDouble(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--calls, --opens, --samples, --threads, --rss-mib, --heap-mib, --leak-bytes)");
            }
        }
        return s;
    }

    private static int positive(String option, String value) {
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, not " + value);
        }
        return n;
    }
}
