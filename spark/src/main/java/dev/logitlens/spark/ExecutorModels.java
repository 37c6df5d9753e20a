package dev.logitlens.spark;

import dev.logitlens.api.LensModel;
import dev.logitlens.api.LensSettings;
import dev.logitlens.hub.DownloadProgress;
import dev.logitlens.hub.HubModels;
import dev.logitlens.hub.HubOptions;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The models of this JVM (an executor, or the driver in local mode): one {@link LensModel} per model and settings,
 * opened by the first partition that needs it and reused by every later one (its calls are serialised, and each uses
 * all the executor's cores), closed when the JVM shuts down. Memory per executor: the model's weights, a copy of
 * W_U (the JVM kernel packs it) and one block of logits.
 */
final class ExecutorModels {

    private static final Map<String, LensModel> MODELS = new HashMap<>();
    private static final AtomicInteger OPENED = new AtomicInteger();
    private static boolean hooked;

    private ExecutorModels() {
    }

    /** The JVM's model for {@code job}, opened on first use. */
    static synchronized LensModel get(LensJob job) throws IOException {
        LensSettings settings = job.lensSettings(executorCores());
        String key = job.model() + "\u0000" + settings;
        LensModel model = MODELS.get(key);
        if (model == null) {
            model = LensModel.open(locate(job.model()), settings);
            MODELS.put(key, model);
            OPENED.incrementAndGet();
            if (!hooked) {
                hooked = true;
                Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "logitlens-close-models"));
            }
        }
        return model;
    }

    /** Models this JVM has opened so far (a test's check that partitions reuse one). */
    static int opened() {
        return OPENED.get();
    }

    /** Closes every model (at shutdown; a later {@link #get} opens it again). */
    static synchronized void closeAll() {
        MODELS.values().forEach(LensModel::close);
        MODELS.clear();
    }

    /**
     * Where {@code model} is on this machine: the path itself when it exists, else the copy {@code spark-submit --files}
     * shipped (by its file name, through {@link SparkFiles}), else a model name taken from the Hugging Face cache (or
     * downloaded into it).
     */
    static Path locate(String model) throws IOException {
        Path path = Path.of(model);
        if (Files.exists(path)) {
            return path;
        }
        if (SparkEnv.get() != null && path.getFileName() != null) {
            Path shipped = Path.of(SparkFiles.get(path.getFileName().toString()));
            if (Files.exists(shipped)) {
                return shipped;
            }
        }
        return HubModels.locate(model, HubOptions.fromEnvironment(System.getenv()), DownloadProgress.NONE);
    }

    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]");

    /**
     * The executor's cores: {@code spark.executor.cores}, or N of a {@code local[N]} or {@code local[N,F]} master (1 for
     * {@code local}), or the JVM's processors ({@code local[*]}, or a cluster manager that gives an executor the machine).
     */
    static int executorCores() {
        SparkEnv env = SparkEnv.get();
        int processors = Runtime.getRuntime().availableProcessors();
        if (env == null) {
            return processors;
        }
        if (env.conf().contains("spark.executor.cores")) {
            return env.conf().getInt("spark.executor.cores", processors);
        }
        String master = env.conf().get("spark.master", "");
        if (master.equals("local")) {
            return 1;
        }
        Matcher local = LOCAL.matcher(master);
        if (local.matches() && !local.group(1).equals("*")) {
            return Integer.parseInt(local.group(1));
        }
        return processors;
    }
}
