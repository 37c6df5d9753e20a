package dev.logitlens.bench;

import dev.logitlens.testing.SafetensorsWriter;
import dev.logitlens.testing.TinyGpt2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the random GPT-2-small-shaped benchmark model in the two forms a user has on disk, for the
 * whole-command timings of docs/BENCHMARKS.md (time to first lens):
 * <ul>
 *   <li>{@code DIR/gpt2-small.gguf}: GGUF, canonical {@code [out, in]} matrices;</li>
 *   <li>{@code DIR/hub/models--openai-community--gpt2/}: a Hugging Face cache as huggingface_hub lays it
 *       out ({@code refs/main}, {@code blobs/}, {@code snapshots/<commit>/} with relative symlinks), holding
 *       {@code config.json} and {@code model.safetensors} with Conv1D {@code [in, out]} matrices, so that
 *       {@code HF_HUB_CACHE=DIR/hub HF_HUB_OFFLINE=1 logitlens run --model gpt2 ...} reads it as it would
 *       read GPT-2 downloaded by Python tools.</li>
 * </ul>
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.logitlens.bench.BenchModelsMain DIR</pre>
 */
public final class BenchModelsMain {

    private static final String COMMIT = "607a30d783dfa663caf39e06633721c8d4cfcd7e";

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: BenchModelsMain DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Path gguf = dir.resolve("gpt2-small.gguf");
        if (!Files.isRegularFile(gguf)) {
            Files.copy(BenchModel.file(), gguf);
        }
        Path repo = dir.resolve("hub").resolve("models--openai-community--gpt2");
        Path snapshot = repo.resolve("snapshots").resolve(COMMIT);
        if (!Files.isRegularFile(snapshot.resolve("model.safetensors"))) {
            Path staging = Files.createTempDirectory(dir, "hf");
            new SafetensorsWriter(TinyGpt2.generate(BenchModel.GPT2_SMALL, 20201231L, TinyGpt2.DEFAULT_SHARPNESS, true))
                    .prefixed(false).writeFolder(staging);
            Path blobs = Files.createDirectories(repo.resolve("blobs"));
            Files.createDirectories(snapshot);
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs").resolve("main"), COMMIT);
            for (String name : new String[] {"config.json", "model.safetensors"}) {
                String blob = "blob-" + name.replace('.', '-');
                Files.move(staging.resolve(name), blobs.resolve(blob));
                Files.deleteIfExists(snapshot.resolve(name));
                Files.createSymbolicLink(snapshot.resolve(name), Path.of("..", "..", "blobs", blob));
            }
            try (var rest = Files.list(staging)) {
                for (Path p : rest.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(staging);
        }
        System.out.println(gguf.toAbsolutePath());
        System.out.println(snapshot.toAbsolutePath());
    }
}
