package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.model.Json;
import dev.logitlens.runtime.NativeBackends;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code logitlens info --system}: the machine, the JVM kernel's vectors and the CPU variant ggml loaded. */
class InfoSystemCliTest {

    @Test
    void reportsTheLoadedCpuVariantAndItsFeatures() throws Exception {
        Run text = cli("info", "--system");
        assertEquals(0, text.exit(), text.err());
        NativeBackends.CpuBackend cpu = NativeBackends.cpu();
        assertTrue(text.out().contains("cpu_variant    " + cpu.variant() + "\n"), text.out());
        assertTrue(text.out().contains("ggml           " + NativeBackends.ggmlVersion()), text.out());
        assertTrue(text.out().contains("register tile"), text.out());

        Run json = cli("info", "--system", "--format", "json");
        assertEquals(0, json.exit(), json.err());
        Map<String, Object> root = Json.asObject(Json.parse(json.out()), "info --system");
        assertEquals(cpu.variant(), root.get("cpu_variant"));
        assertEquals(String.join(" ", cpu.features()), root.get("cpu_features"));
        assertEquals(NativeBackends.libraryFolder().toString(), root.get("natives"));
    }

    @Test
    void systemAndAModelTogetherOrNeitherIsACommandLineError() {
        Run both = cli("info", "--system", "model.gguf");
        assertEquals(2, both.exit(), both.err());
        assertTrue(both.err().contains("--system takes no MODEL"), both.err());
        Run neither = cli("info");
        assertEquals(2, neither.exit(), neither.err());
        assertTrue(neither.err().contains("MODEL"), neither.err());
    }
}
