package dev.logitlens.model;

import java.nio.file.Path;
import java.util.List;

/**
 * The weights of one GPT-2 model, opened from a file and read in place (memory-mapped where the
 * format allows). Tensors carry their canonical (GGUF) names; see {@code native/include/logitlens.h}
 * for the names and shapes. Closing releases the mapping: every {@link TensorInfo#data()} handed out
 * becomes inaccessible (an exception, not a crash, on use).
 */
public interface ModelWeights extends AutoCloseable {

    Gpt2Config config();

    /** Every tensor the forward pass needs, in canonical names. */
    List<TensorInfo> tensors();

    /** The tensor with this canonical name; {@link IllegalArgumentException} when absent. */
    TensorInfo tensor(String canonicalName);

    /** The unembedding W_U, {@code [n_vocab, n_embd]}: {@code output.weight} when untied, else {@code token_embd.weight}. */
    default TensorInfo unembedding() {
        return tiedUnembedding() ? tensor("token_embd.weight") : tensor("output.weight");
    }

    /** True when the model has no separate {@code output.weight} and decodes with {@code token_embd}. */
    boolean tiedUnembedding();

    /** Where the weights came from (a file or a folder). */
    Path source();

    /** A short name of the file format: {@code gguf}, {@code safetensors}, {@code llm-viz-json}. */
    String format();

    @Override
    void close();
}
