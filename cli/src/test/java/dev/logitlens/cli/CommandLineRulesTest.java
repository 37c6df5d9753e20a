package dev.logitlens.cli;

import dev.logitlens.cli.CliTest.Run;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.view.LensView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static dev.logitlens.cli.CliTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules every command follows (issue #10's papercuts): enum values written as the docs write them, suggestions
 * for typos, help paragraphs that picocli wraps, one rule for --top-k, exit 2 for every fault of the command line
 * with a message that names the file, and a short diff when a dump folder holds other settings.
 */
class CommandLineRulesTest {

    @TempDir
    Path dir;

    /** Every command, the root included, with every subcommand. */
    private static List<CommandLine> commands() {
        List<CommandLine> all = new ArrayList<>();
        CommandLine root = LogitLensCli.commandLine(Map.of());
        all.add(root);
        all.addAll(root.getSubcommands().values());
        return all;
    }

    private static String model() {
        return Fixtures.gptNanoSortModel().toString(); // a vocabulary of 3 tokens
    }

    @Test
    void enumValuesAreWrittenInLowerCaseInErrorsAndDefaultsAndReadInAnyCase() {
        int checked = 0;
        for (CommandLine command : commands()) {
            for (OptionSpec option : command.getCommandSpec().options()) {
                Class<?> type = option.auxiliaryTypes()[0];
                if (!type.isEnum()) {
                    continue;
                }
                checked++;
                String name = command.getCommandName() + " " + option.longestName();
                Run run = cli(command.getCommandName(), option.longestName(), "nope");
                assertEquals(2, run.exit(), name + ": " + run.err());
                for (Object constant : type.getEnumConstants()) {
                    String cli = CliEnums.name((Enum<?>) constant);
                    assertTrue(run.err().contains(cli), name + " lists " + cli + ": " + run.err());
                    assertEquals(constant, parse(type, cli.toUpperCase()), name);
                    assertEquals(constant, parse(type, cli.toLowerCase()), name);
                }
                assertFalse(run.err().contains("[") || run.err().contains("Exception"), name + ": " + run.err());
                Object initial = option.initialValue();
                if (initial instanceof Collection<?> list && !list.isEmpty()) {
                    initial = list.iterator().next();
                }
                if (initial instanceof Enum<?> value) {
                    String description = String.join(" ", option.description());
                    assertTrue(description.contains("(default: " + CliEnums.name(value)), name + ": " + description);
                }
            }
        }
        assertTrue(checked >= 15, "every command's enum options: " + checked);
        assertEquals(LensView.Kind.KL, CliEnums.parse(LensView.Kind.class, "Kl"));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object parse(Class<?> type, String text) {
        return CliEnums.parse((Class) type, text);
    }

    @Test
    void aMistypedCommandOrOptionGetsASuggestion() {
        Run command = cli("runn");
        assertEquals(2, command.exit());
        assertTrue(command.err().contains("Did you mean: logitlens run?"), command.err());
        Run option = cli("run", "--vieww", "logit");
        assertEquals(2, option.exit());
        assertTrue(option.err().contains("--view"), option.err());
        assertTrue(option.err().lines().anyMatch(line -> !line.contains("'--vieww'") && line.contains("--view")), option.err());
    }

    @Test
    void helpParagraphsAreWholeSentencesThatPicocliWraps() {
        for (CommandLine command : commands()) {
            List<String> paragraphs = new ArrayList<>(List.of(command.getCommandSpec().usageMessage().description()));
            paragraphs.addAll(List.of(command.getCommandSpec().usageMessage().footer()));
            for (ArgSpec arg : command.getCommandSpec().args()) {
                paragraphs.addAll(List.of(arg.description()));
            }
            for (String paragraph : paragraphs) {
                String text = paragraph.replaceAll("(%n)+$", "").strip();
                assertTrue(text.endsWith(".") || text.endsWith(":"),
                        command.getCommandName() + ": a paragraph that stops mid-sentence: '" + text + "'");
                assertFalse(Character.isWhitespace(paragraph.charAt(0)), command.getCommandName() + ": '" + paragraph + "'");
            }
            for (String line : command.getUsageMessage().split("\n")) {
                assertTrue(line.length() <= 80, command.getCommandName() + ": " + line);
            }
        }
    }

    @Test
    void topKAboveTheVocabularyIsAUsageErrorInEveryCommandThatTakesIt() throws IOException {
        String corpus = Files.writeString(dir.resolve("c.jsonl"), "{\"tokens\": [1, 2, 0]}\n").toString();
        String svg = dir.resolve("p.svg").toString();
        List<List<String>> commands = List.of(
                List.of("run", "-m", model(), "--tokens", "1,2"),
                List.of("plot", "-m", model(), "--tokens", "1,2", "--out", svg),
                List.of("dump", "-m", model(), corpus, "--out", dir.resolve("d").toString(), "--progress", "never"));
        for (List<String> command : commands) {
            for (String k : List.of("--top-k", "-k", "--topk")) {
                List<String> args = new ArrayList<>(command);
                args.addAll(List.of(k, "4"));
                Run run = cli(args.toArray(String[]::new));
                assertEquals(2, run.exit(), args + ": " + run.err());
                assertTrue(run.err().contains("--top-k 4: use 1 to 3 (the model's vocabulary has 3 tokens)"), args + ": " + run.err());
            }
            List<String> zero = new ArrayList<>(command);
            zero.addAll(List.of("-k", "0"));
            assertEquals(2, cli(zero.toArray(String[]::new)).exit(), zero.toString());
            Run fits = cli(command.toArray(String[]::new)); // the default k (5) is at most the vocabulary: 3
            assertEquals(0, fits.exit(), command + ": " + fits.err());
        }
        Path gpt2Vocabulary = new GgufWriter(TinyGpt2.generate(TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 512, 8, 2, 1), 5, 4, true))
                .write(dir.resolve("gpt2-vocab.gguf"));
        Run demo = cli("demo", "-m", gpt2Vocabulary.toString(), "--out", dir.resolve("demo").toString(), "--color", "never",
                "-k", "50258");
        assertEquals(2, demo.exit(), demo.err());
        assertTrue(demo.err().contains("vocabulary has 50257 tokens"), demo.err());
    }

    @Test
    void everyFaultOfTheCommandLineIsExit2AndNamesItsFile() throws IOException {
        Run threads = cli("run", "-m", model(), "--tokens", "1", "--threads", "0");
        assertEquals(2, threads.exit(), threads.err());

        Run precision = cli("run", "-m", model(), "--tokens", "1", "--precision", "Q8_0", "--kernel", "jvm");
        assertEquals(2, precision.exit(), precision.err());
        assertTrue(precision.err().contains("--kernel jvm --precision Q8_0"), precision.err());
        assertEquals(2, cli("stats", "-m", model(), "nothing.jsonl", "--precision", "bf16", "--kernel", "JVM").exit());

        Run folder = cli("run", "-m", model(), "--file", dir.toString());
        assertEquals(2, folder.exit(), folder.err());
        assertTrue(folder.err().contains(dir + ": is a folder"), folder.err());

        Path file = Files.writeString(dir.resolve("afile"), "x");
        Run demo = cli("demo", "-m", model(), "--out", file.toString());
        assertEquals(2, demo.exit(), demo.err());
        assertTrue(demo.err().contains(file + ": is a file; demo writes its pictures into a folder"), demo.err());

        Run plot = cli("plot", "-m", model(), "--tokens", "1", "--out", dir.toString(), "--format", "svg");
        assertEquals(2, plot.exit(), plot.err());
        assertTrue(plot.err().contains(dir + ": is a folder"), plot.err());
        Run residuals = cli("residuals", "-m", model(), "--tokens", "1", "--out", dir.resolve("r.npy").toString(), "--mid", dir.toString());
        assertEquals(2, residuals.exit(), residuals.err());
        assertTrue(residuals.err().contains("--mid " + dir + ": is a folder"), residuals.err());

        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "{\"tokens\": [1, 2]}\n{\"text\": \"\"}\n{\"text\": 5}\n");
        Run text = cli("stats", "-m", model(), empty.toString(), "--progress", "never");
        assertEquals(1, text.exit(), text.err());
        assertTrue(text.err().contains("empty.jsonl:3: field \"text\""), "a blank text is skipped, a number named: " + text.err());
        for (Run run : List.of(threads, precision, folder, demo, plot, residuals, text)) {
            assertEquals(1, run.err().lines().filter(line -> line.startsWith("logitlens:")).count(), run.err());
            assertFalse(run.err().contains("\tat "), run.err());
        }
    }

    @Test
    void aDumpFolderOfOtherSettingsIsRefusedWithAShortDiff() throws IOException {
        String corpus = Files.writeString(dir.resolve("c.jsonl"), "{\"tokens\": [1, 2, 0]}\n").toString();
        String out = dir.resolve("d").toString();
        assertEquals(0, cli("dump", "-m", model(), corpus, "--out", out, "--format", "csv", "-k", "3", "--progress", "never").exit());
        Run other = cli("dump", "-m", model(), corpus, "--out", out, "--format", "csv", "-k", "2", "--progress", "never");
        assertEquals(1, other.exit(), other.err());
        String message = other.err().strip();
        assertEquals(out + " holds a dump with other settings (settings.top_k: 3 \u2192 2); resume it with the same ones,"
                + " or choose another folder", message.substring("logitlens: ".length()));
    }
}
