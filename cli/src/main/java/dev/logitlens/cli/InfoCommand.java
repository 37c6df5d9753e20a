package dev.logitlens.cli;

import dev.logitlens.hub.HubModels;
import dev.logitlens.lens.JvmProjectionKernel;
import dev.logitlens.runtime.Backend;
import dev.logitlens.runtime.NativeBackends;
import dev.logitlens.hub.HubOptions;
import dev.logitlens.hub.HubRepo;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.model.ModelFiles;
import dev.logitlens.model.ModelWeights;
import dev.logitlens.model.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code logitlens info}: what a model is and where it lies, without downloading anything. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a model: where it is, its format, architecture, parameters and files.",
                "For a name: its Hugging Face cache folder and commit. Shows the architecture (n_layer, n_head,"
                        + " d_model, n_ctx, vocab), the parameter count, tensor types and file sizes. Never downloads:"
                        + " a name must be in the cache already (see logitlens download).",
                "With --system (and no MODEL): what this machine runs on: Java, the JVM kernel's vectors, ggml,"
                        + " the CPU backend variant ggml loaded and its features, CUDA."})
final class InfoCommand implements Callable<Integer> {

    enum Format { text, json }

    /** What the model is, gathered before printing. */
    private record ModelInfo(Map<String, Object> location, String format, Gpt2Config config, long parameters, boolean tied,
                             Map<String, Integer> tensorTypes, Map<String, Long> files) {
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face folder, an llm-viz JSON model, or a model name / hub repo ORG/NAME[@REVISION].")
    String model;

    @Option(names = "--format", paramLabel = "FORMAT", description = "text or json (default: ${DEFAULT-VALUE}).")
    Format format = Format.text;

    @Option(names = "--system", description = "Describe the machine and the native libraries instead of a model.")
    boolean system;

    @Override
    public Integer call() throws IOException {
        if (system == (model != null)) {
            throw new ParameterException(spec.commandLine(), system ? "--system takes no MODEL" : "Missing required parameter: 'MODEL' (or --system)");
        }
        if (system) {
            return describeSystem();
        }
        Map<String, Object> location = new LinkedHashMap<>();
        Path path = locate(location);
        ModelInfo info;
        try (ModelWeights weights = ModelFiles.open(path)) {
            info = describe(weights, path, location);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(Json.write(json(info)));
        } else {
            printText(info, out);
        }
        out.flush();
        return 0;
    }

    /** {@code info --system}: the JVM, its vector shape, the native libraries and the CPU backend ggml chose. */
    private int describeSystem() {
        Map<String, Object> root = new LinkedHashMap<>();
        String version = LogitLensCli.class.getPackage().getImplementationVersion();
        root.put("logitlens", version == null ? "(development build)" : version);
        root.put("java", Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        root.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs");
        root.put("jvm_kernel", JvmProjectionKernel.vectorShape());
        root.put("natives", NativeBackends.libraryFolder().toString());
        root.put("ggml", NativeBackends.ggmlVersion());
        NativeBackends.CpuBackend cpu = NativeBackends.cpu();
        root.put("cpu_variant", cpu.variant());
        root.put("cpu_features", String.join(" ", cpu.features()));
        String forced = System.getenv(NativeBackends.VARIANT_ENVIRONMENT);
        root.put("cpu_chosen_by", forced == null || forced.isEmpty() ? "ggml (best for this CPU)"
                : NativeBackends.VARIANT_ENVIRONMENT + "=" + forced);
        root.put("cuda", NativeBackends.available(Backend.CUDA) ? "available" : "not available");
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(Json.write(root));
        } else {
            root.forEach((label, value) -> row(out, label, value));
        }
        out.flush();
        return 0;
    }

    /** The model's local path; for a name, its cached snapshot, with the repo, commit and cache folder put in {@code location}. */
    private Path locate(Map<String, Object> location) throws IOException {
        Path local = localPath(model);
        if ((local == null || !Files.exists(local)) && HubModels.isModelName(model)) {
            HubOptions options = ModelOptions.hubOptions(spec);
            HubRepo repo = HubRepo.parse(model);
            Optional<Path> snapshot = HubModels.lookup(repo, options);
            if (snapshot.isEmpty()) {
                throw new IOException(repo.displayName() + " is not in the cache at " + HubModels.cacheFolder(repo, options)
                        + "; run `logitlens download " + model + "`");
            }
            Path folder = snapshot.get();
            location.put("name", model);
            location.put("repo", repo.repoId());
            location.put("revision", repo.revision());
            location.put("commit", folder.getFileName().toString());
            location.put("cache", folder.getParent().getParent().toString());
            location.put("path", folder.toString());
            return folder;
        }
        if (local == null) {
            throw new IOException(model + ": no such file or folder");
        }
        location.put("path", local.toAbsolutePath().normalize().toString());
        return local;
    }

    private static ModelInfo describe(ModelWeights weights, Path path, Map<String, Object> location) throws IOException {
        long parameters = 0;
        Map<String, Integer> types = new TreeMap<>();
        for (TensorInfo tensor : weights.tensors()) {
            parameters += tensor.elementCount();
            types.merge(tensor.type().name(), 1, Integer::sum);
        }
        return new ModelInfo(location, weights.format(), weights.config(), parameters, weights.tiedUnembedding(), types, files(path));
    }

    /** The files that make up the model at {@code path}, by name, with their sizes (links followed). */
    private static Map<String, Long> files(Path path) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> list = Files.list(path)) {
                list.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).sorted().forEach(files::add);
            }
        } else {
            files.add(path);
            Path config = path.toAbsolutePath().resolveSibling("config.json");
            if (path.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(config)) {
                files.add(config);
            }
        }
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Path file : files) {
            sizes.put(file.getFileName().toString(), Files.size(file));
        }
        return sizes;
    }

    private static String formatName(String format) {
        return switch (format) {
            case "gguf" -> "GGUF";
            case "safetensors" -> "Hugging Face safetensors";
            case "llm-viz-json" -> "llm-viz JSON";
            default -> format;
        };
    }

    private static Map<String, Object> json(ModelInfo info) {
        Map<String, Object> root = new LinkedHashMap<>(info.location());
        root.put("format", info.format());
        root.put("format_name", formatName(info.format()));
        Gpt2Config c = info.config();
        root.put("n_layer", c.nLayer());
        root.put("n_head", c.nHead());
        root.put("d_model", c.nEmbd());
        root.put("n_ctx", c.nCtx());
        root.put("vocab", c.nVocab());
        root.put("parameters", info.parameters());
        root.put("tied_unembedding", info.tied());
        root.put("dtypes", info.tensorTypes());
        List<Object> files = new ArrayList<>();
        info.files().forEach((name, bytes) -> {
            Map<String, Object> file = new LinkedHashMap<>();
            file.put("name", name);
            file.put("bytes", bytes);
            files.add(file);
        });
        root.put("files", files);
        root.put("total_bytes", info.files().values().stream().mapToLong(Long::longValue).sum());
        return root;
    }

    private static void printText(ModelInfo info, PrintWriter out) {
        Map<String, Object> where = info.location();
        if (where.containsKey("repo")) {
            row(out, "model", where.get("name") + " (" + where.get("repo") + " @ " + where.get("revision") + ")");
            row(out, "commit", where.get("commit"));
            row(out, "cache", where.get("cache"));
        }
        row(out, "path", where.get("path"));
        row(out, "format", formatName(info.format()));
        Gpt2Config c = info.config();
        row(out, "n_layer", c.nLayer());
        row(out, "n_head", c.nHead());
        row(out, "d_model", c.nEmbd());
        row(out, "n_ctx", c.nCtx());
        row(out, "vocab", c.nVocab());
        row(out, "parameters", String.format(Locale.ROOT, "%,d (%s)", info.parameters(), millions(info.parameters())));
        row(out, "unembedding", info.tied() ? "tied to the token embedding" : "separate (output.weight)");
        List<String> types = new ArrayList<>();
        info.tensorTypes().forEach((type, count) -> types.add(type + " (" + count + (count == 1 ? " tensor)" : " tensors)")));
        row(out, "dtype", String.join(", ", types));
        boolean first = true;
        for (Map.Entry<String, Long> file : info.files().entrySet()) {
            row(out, first ? "files" : "", file.getKey() + "  " + bytes(file.getValue()));
            first = false;
        }
        row(out, "total", bytes(info.files().values().stream().mapToLong(Long::longValue).sum()));
    }

    private static void row(PrintWriter out, String label, Object value) {
        out.printf(Locale.ROOT, "%-14s %s%n", label, TerminalText.escape(String.valueOf(value))); // file names and dtypes come from files
    }

    private static String millions(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    private static String bytes(long n) {
        if (n >= 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
        }
        if (n >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        if (n >= 1_000) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
        }
        return n + " B";
    }

    private static Path localPath(String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
