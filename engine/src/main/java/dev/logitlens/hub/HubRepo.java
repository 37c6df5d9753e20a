package dev.logitlens.hub;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A model repository on the Hugging Face hub and the revision wanted of it.
 *
 * @param repoId     {@code org/name}, e.g. {@code openai-community/gpt2}
 * @param revision   a branch, tag or 40-hex commit; {@code main} by default
 * @param legacyName the short name the repo had before it moved under an organisation ({@code gpt2}),
 *                   whose cache folder ({@code models--gpt2}) older tools may have filled; null if none
 */
public record HubRepo(String repoId, String revision, String legacyName) {

    public static final String DEFAULT_REVISION = "main";

    /** GPT-2 checkpoints by their short names, and the repos that hold them now. */
    public static final Map<String, String> KNOWN_NAMES = knownNames();

    /** One part of a repo id, as the hub allows them: letters, digits, {@code - _ .}. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,95}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    /** Names ending like a model file are taken for paths that do not exist, not for repos. */
    private static final Pattern FILE_SUFFIX = Pattern.compile("(?i).*\\.(gguf|safetensors|json|bin|pt|pth|npy)$");

    public HubRepo {
        requireRepoId(repoId);
        requireRevision(revision);
    }

    /**
     * Parses {@code gpt2}, {@code gpt2-medium}, ... (the {@link #KNOWN_NAMES}) or {@code org/name},
     * each optionally followed by {@code @revision}.
     *
     * @throws IllegalArgumentException with a message for the user when {@code text} is neither
     */
    public static HubRepo parse(String text) {
        return parse(text, DEFAULT_REVISION);
    }

    /** Like {@link #parse(String)}, with the revision to use when {@code text} names none. */
    public static HubRepo parse(String text, String defaultRevision) {
        String name = text.strip();
        String revision = defaultRevision;
        int at = name.indexOf('@');
        if (at >= 0) {
            revision = name.substring(at + 1);
            name = name.substring(0, at);
        }
        String known = KNOWN_NAMES.get(name);
        if (known != null) {
            return new HubRepo(known, revision, name);
        }
        if (!looksLikeRepoId(name)) {
            throw new IllegalArgumentException("'" + text + "' is not a model name or hub repo id: expected one of "
                    + String.join(", ", KNOWN_NAMES.keySet()) + ", or ORG/NAME, optionally followed by @REVISION");
        }
        String repoId = name;
        String legacy = KNOWN_NAMES.entrySet().stream().filter(e -> e.getValue().equals(repoId))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        return new HubRepo(repoId, revision, legacy);
    }

    /** True when {@code text} parses as a model name or repo id (it may still be a local path too). */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The same repo at another revision. */
    public HubRepo withRevision(String newRevision) {
        return new HubRepo(repoId, newRevision, legacyName);
    }

    /** True when the revision is a full commit hash rather than a branch or tag. */
    public boolean revisionIsCommit() {
        return isCommitHash(revision);
    }

    /** The name to show the user: the short name when one was given, else the repo id; and the revision unless main. */
    public String displayName() {
        String name = legacyName != null ? legacyName : repoId;
        return revision.equals(DEFAULT_REVISION) ? name : name + "@" + revision;
    }

    @Override
    public String toString() {
        return repoId + "@" + revision;
    }

    private static Map<String, String> knownNames() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("gpt2", "openai-community/gpt2");
        names.put("gpt2-medium", "openai-community/gpt2-medium");
        names.put("gpt2-large", "openai-community/gpt2-large");
        names.put("gpt2-xl", "openai-community/gpt2-xl");
        names.put("distilgpt2", "distilbert/distilgpt2");
        return Collections.unmodifiableMap(names);
    }

    static boolean isCommitHash(String text) {
        return COMMIT.matcher(text).matches();
    }

    private static boolean looksLikeRepoId(String name) {
        int slash = name.indexOf('/');
        if (slash < 0 || name.indexOf('/', slash + 1) >= 0 || FILE_SUFFIX.matcher(name).matches()) {
            return false;
        }
        return validPart(name.substring(0, slash)) && validPart(name.substring(slash + 1));
    }

    private static boolean validPart(String part) {
        return PART.matcher(part).matches() && !part.contains("--") && !part.contains("..")
                && !part.endsWith("-") && !part.endsWith(".");
    }

    private static void requireRepoId(String repoId) {
        if (repoId == null || !looksLikeRepoId(repoId)) {
            throw new IllegalArgumentException("not a hub repo id (ORG/NAME): '" + repoId + "'");
        }
    }

    private static void requireRevision(String revision) {
        if (revision == null || revision.isEmpty() || revision.startsWith("/") || revision.endsWith("/")
                || revision.contains("\\") || revision.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("not a revision (branch, tag or commit): '" + revision + "'");
        }
        for (String segment : revision.split("/")) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("not a revision (branch, tag or commit): '" + revision + "'");
            }
        }
    }
}
