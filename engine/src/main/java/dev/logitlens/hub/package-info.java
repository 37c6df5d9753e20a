/**
 * GPT-2 models by name through the Hugging Face hub cache: {@link dev.logitlens.hub.HubModels} finds a model
 * ({@code gpt2}, {@code distilgpt2}, {@code org/name@revision}) in the cache that {@code huggingface_hub}
 * shares, or downloads {@code config.json} and {@code model.safetensors} into it, resumably and checked
 * against the hub's sha256. Settings come from the {@code HF_*} environment variables through
 * {@link dev.logitlens.hub.HubOptions}; failures are {@link dev.logitlens.hub.HubException}s with messages
 * for the user. Plain JDK only: {@code java.net.http}, {@code java.nio.file}, {@code java.security}.
 */
package dev.logitlens.hub;
