package dev.logitlens.cli;

import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The page of {@code logitlens serve}: {@code serve-page.html} (HTML, its style and its script; nothing from elsewhere)
 * with the model's description put in as JSON. The page draws what {@code /api/lens} sends: every cell's colour in
 * every view comes from the server ({@link dev.logitlens.view.LensPageData}), so the page has no colour rule of its own.
 */
final class ServePage {

    private static final String RESOURCE = "serve-page.html";
    private static final String PLACEHOLDER = "/*CONFIG*/null";

    private ServePage() {
    }

    /** The page for this model. */
    static String html(String modelName, Gpt2Config config, int topK, boolean gpt2Vocabulary) {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("model", modelName);
        description.put("nLayer", config.nLayer());
        description.put("nCtx", config.nCtx());
        description.put("nVocab", config.nVocab());
        description.put("gpt2", gpt2Vocabulary);
        description.put("topK", topK);
        // inside <script>: no "<" at all, so no "</script>" can end it (JSON reads \u003c as "<")
        String json = Json.write(description).replace("<", "\\u003c");
        String template = template();
        if (!template.contains(PLACEHOLDER)) {
            throw new IllegalStateException(RESOURCE + " has no " + PLACEHOLDER);
        }
        return template.replace(PLACEHOLDER, json);
    }

    private static String template() {
        try (InputStream in = ServePage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
