package dev.logitlens.model;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Coverage-guided fuzzing of the JSON reader (docs/FUZZING.md). Any bytes either parse or are refused with a
 * {@link JsonException} (a {@link ModelFormatException} where the bytes are read as a file's UTF-8), and what parses
 * survives a round trip through {@link Json#write}: writing it and parsing the text again gives the same value.
 */
class JsonFuzzTest {

    private static final Path FILE = Path.of("fuzz.json");

    /** Tokens of JSON, for the mutator to insert: libFuzzer cannot guess a 6-byte escape by flipping bytes. */
    @DictionaryEntries({"true", "false", "null", "\\u", "\\ud83d\\ude00", "\\ud800", "\\udfff", "\\\"", "\\\\", "\\/",
        "1e308", "-0", "1.5e-324", "9223372036854775808", "-9223372036854775809", "\": ", "\", \"", "[{", "}]"})
    @FuzzTest(maxDuration = "10s")
    void json(byte[] bytes) throws JsonException {
        Object value;
        try {
            value = JsonFiles.parse(FILE, "", ByteBuffer.wrap(bytes)); // strict UTF-8, as model files are read
        } catch (ModelFormatException refused) {
            value = null;
        }
        if (value != null) {
            assertRoundTrip(value);
        }
        Object lenient; // the same bytes with malformed UTF-8 replaced, so that the parser sees every input
        try {
            lenient = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonException refused) {
            return;
        }
        assertRoundTrip(lenient);
    }

    private static void assertRoundTrip(Object value) throws JsonException {
        assertEquals(value, Json.parse(Json.write(value)));
    }
}
