package dev.logitlens.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesEveryKindOfValue() throws JsonException {
        Object value = Json.parse(" {\"a\": [1, -2.5e3, 0.25, true, false, null], \"b\": {\"c\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"},"
                + " \"big\": 12345678901234567890, \"neg\": -0} ");
        Map<String, Object> root = Json.asObject(value, "root");
        assertEquals(List.of("a", "b", "big", "neg"), List.copyOf(root.keySet()));
        assertEquals(Arrays.asList(1L, -2500.0, 0.25, true, false, null), root.get("a"));
        assertEquals("x\"\\/\b\f\n\r\té😀", Json.asObject(root.get("b"), "b").get("c"));
        assertEquals(1.2345678901234567e19, root.get("big"));
        assertEquals(0L, root.get("neg"));
    }

    @Test
    void writesWhatItParses() throws JsonException {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("s", "quote \" backslash \\ newline \n control \u0001 é");
        map.put("n", List.of(1, 2L, 0.5, 1e-5f));
        map.put("nothing", null);
        map.put("yes", true);
        String text = Json.write(map);
        assertEquals("{\"s\":\"quote \\\" backslash \\\\ newline \\n control \\u0001 é\",\"n\":[1,2,0.5,1.0E-5],\"nothing\":null,\"yes\":true}", text);
        Map<String, Object> back = Json.asObject(Json.parse(text), "back");
        assertEquals(map.get("s"), back.get("s"));
        assertEquals(List.of(1L, 2L, 0.5, 1.0E-5), back.get("n"));
        assertEquals("[null,null,null,1.5]", Json.write(java.util.List.of(Double.NaN, Float.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5f)),
                "JSON has no NaN or infinity: null, never a failure");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                      | line 1, column 1: unexpected end of input, expected a value",
        "'{\"a\": 1,}'           | line 1, column 9: unexpected '}', expected a string key",
        "'[1, 2,]'               | line 1, column 7: unexpected ']', expected a value",
        "'{\"a\": 1, \"a\": 2}'  | line 1, column 10: duplicate key \"a\"",
        "'[01]'                  | unexpected '1', expected ',' or ']'",
        "'[1.]'                  | expected a digit after '.'",
        "'[1e]'                  | expected a digit in the exponent",
        "'[-]'                   | expected a digit",
        "'\"abc'                 | unterminated string",
        "'\"\\x\"'               | invalid escape \\x",
        "'\"\\u12g4\"'           | invalid \\u escape",
        "'[tru]'                 | unexpected 't', expected a value",
        "'{} {}'                 | unexpected '{' after the JSON value",
        "'// comment'            | unexpected '/', expected a value",
        "'[1]\n\n  x'            | line 3, column 3: unexpected 'x' after the JSON value",
        "'[1, -2e308]'           | line 1, column 5: number -2e308 is out of range",
    })
    void rejectsInvalidJson(String text, String message) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text.replace("\\n", "\n")));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /**
     * Found by JsonFuzzTest (its inputs crash-56cf36cc...): "21E+245678" parsed as infinity, which {@link Json#write}
     * cannot write, so an error message quoting such a value (config.json's model_type, a safetensors header's
     * data_offsets) escaped as an IllegalArgumentException.
     */
    @Test
    void numbersBeyondADoubleAreRejectedSoThatEverythingParsedCanBeWritten() throws JsonException {
        for (String text : new String[] {"1e309", "-1E+400", "21E+245678", "1" + "0".repeat(400), "[0.5e99999]"}) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(text), text);
            assertTrue(e.getMessage().contains("is out of range"), e.getMessage());
        }
        assertEquals(1.7976931348623157e308, Json.parse("1.7976931348623157e308"));
        assertEquals(0.0, Json.parse("1e-400")); // underflow is a finite value
        assertEquals(1e20, Json.parse(Json.write(Json.parse("100000000000000000000"))));
    }

    @Test
    void rejectsControlCharactersAndDeepNesting() {
        assertTrue(assertThrows(JsonException.class, () -> Json.parse("\"a\tb\"")).getMessage()
                .contains("unescaped control character U+0009"));
        assertTrue(assertThrows(JsonException.class, () -> Json.parse("[".repeat(100_000))).getMessage()
                .contains("nesting deeper than 512 levels"));
    }

    @Test
    void typedAccessNamesTheValue() throws JsonException {
        assertEquals(7L, Json.asLong(7L, "n"));
        assertEquals(7.0, Json.asDouble(7L, "n"));
        assertEquals("n_embd must be an integer, not 1.5",
                assertThrows(JsonException.class, () -> Json.asLong(1.5, "n_embd")).getMessage());
        assertEquals("shape must be an array, not an object",
                assertThrows(JsonException.class, () -> Json.asArray(Map.of(), "shape")).getMessage());
        assertEquals("dtype must be a string, not null",
                assertThrows(JsonException.class, () -> Json.asString(null, "dtype")).getMessage());
        assertNull(Json.asObject(Json.parse("{\"x\": null}"), "o").get("x"));
    }
}
