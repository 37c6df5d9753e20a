package dev.logitlens.cli;

import dev.logitlens.runtime.ProjectionPrecision;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The values of enum options as the command line and its documentation write them: lower case ({@code --view logit},
 * {@code --kernel auto}), except W_U's precisions, which keep ggml's type names ({@code F32}, {@code Q8_0}). Input
 * stays case-insensitive; picocli's own converter would list the Java constants ({@code [LOGIT, PROB, ...]}) in its
 * "Invalid value" errors, so every enum option of every command gets the converter of this class instead.
 */
final class CliEnums {

    private CliEnums() {
    }

    /** The value as the command line writes it. */
    static String name(Enum<?> value) {
        return value instanceof ProjectionPrecision ? value.name() : value.name().toLowerCase(Locale.ROOT);
    }

    /** The values of {@code type} as the command line writes them, comma-separated. */
    static String names(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(CliEnums::name).collect(Collectors.joining(", "));
    }

    /** The value of {@code type} that {@code text} names, in any case. */
    static <E extends Enum<E>> E parse(Class<E> type, String text) {
        for (E value : type.getEnumConstants()) {
            if (name(value).equalsIgnoreCase(text) || value.name().equalsIgnoreCase(text)) {
                return value;
            }
        }
        throw new TypeConversionException("expected one of " + names(type) + " (in any case) but was '" + text + "'");
    }

    /** Gives every enum option and parameter of {@code cli} and its subcommands this class's converter. */
    static void register(CommandLine cli) {
        Set<Class<?>> types = new LinkedHashSet<>();
        collect(cli, types);
        for (Class<?> type : types) {
            registerEnum(cli, type.asSubclass(Enum.class));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void registerEnum(CommandLine cli, Class<? extends Enum> type) {
        Class<Enum> raw = (Class<Enum>) type;
        cli.registerConverter(raw, (ITypeConverter<Enum>) text -> parse(raw, text));
    }

    private static void collect(CommandLine cli, Set<Class<?>> types) {
        for (ArgSpec arg : cli.getCommandSpec().args()) {
            if (arg.type().isEnum()) {
                types.add(arg.type());
            }
            for (Class<?> auxiliary : arg.auxiliaryTypes()) {
                if (auxiliary.isEnum()) {
                    types.add(auxiliary);
                }
            }
        }
        for (CommandLine sub : cli.getSubcommands().values()) {
            collect(sub, types);
        }
    }
}
