package dev.logitlens.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a GPT-2 model in any format logitlens reads, telling the format from the path and the file's first bytes. */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * Opens {@code path}, which is one of:
     * <ul>
     *   <li>a GGUF file ({@code .gguf}, or any file starting with the GGUF magic);</li>
     *   <li>a Hugging Face model folder: {@code config.json} with {@code model.safetensors} or the sharded
     *       {@code model.safetensors.index.json} (either of those two files, or the config, may be named instead);</li>
     *   <li>a {@code .safetensors} file with {@code config.json} beside it;</li>
     *   <li>an llm-viz JSON model file (any other {@code .json}).</li>
     * </ul>
     *
     * @throws ModelFormatException when the path is none of these or the file is malformed; the message
     *                              names the file and the problem
     */
    public static ModelWeights open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return SafetensorsModel.openFolder(path);
        }
        requireRegularFile(path);
        String name = path.getFileName().toString();
        if (name.equals(SafetensorsModel.CONFIG_FILE) || name.equals(SafetensorsModel.INDEX_FILE)) {
            return SafetensorsModel.openFolder(path.toAbsolutePath().getParent());
        }
        if (name.endsWith(".safetensors")) {
            return SafetensorsModel.openFile(path);
        }
        if (name.endsWith(".gguf") || startsWithGgufMagic(path)) {
            return GgufModel.open(path);
        }
        if (name.endsWith(".json")) {
            return LlmVizJsonModel.open(path);
        }
        throw new ModelFormatException(path, "not a model logitlens reads: expected a .gguf file, a Hugging Face folder"
                + " (config.json with model.safetensors), a .safetensors file with config.json beside it, or an llm-viz .json model");
    }

    /**
     * Refuses what is not a regular file (links followed) before anything opens it: opening a FIFO for reading waits
     * for a writer forever, and a device has no end.
     */
    static void requireRegularFile(Path file) throws ModelFormatException {
        if (!Files.exists(file)) {
            throw new ModelFormatException(file, "no such file or folder");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "not a regular file (a FIFO, a device or a socket): a model is read from files");
        }
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F';
        }
    }
}
