package dev.logitlens.bench;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeModel;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A random GPT-2-small-shaped model (12 layers, d 768, 12 heads, V 50257, context 1024; 124 M
 * parameters, F32) written once as GGUF into {@code $TMPDIR/logitlens-bench/} and reused by every
 * benchmark and fork. No GPT-2 weights exist here; speed does not depend on the values.
 */
final class BenchModel {

    static final Gpt2Config GPT2_SMALL = new Gpt2Config(50257, 1024, 768, 12, 12, 1e-5f);
    private static final long SEED = 20201231L;

    private BenchModel() {
    }

    /** The GGUF file, written on first use (about 500 MB; needs about 1.5 GB of heap once). */
    static synchronized Path file() {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "logitlens-bench", "gpt2-small-random-" + SEED + ".gguf");
        if (Files.isRegularFile(file)) {
            return file;
        }
        try {
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            new GgufWriter(TinyGpt2.generate(GPT2_SMALL, SEED, TinyGpt2.DEFAULT_SHARPNESS, true)).write(partial);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the benchmark model " + file, e);
        }
    }

    static NativeModel open() {
        try {
            return NativeModel.create(ModelFiles.open(file()), Backend.CPU);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
