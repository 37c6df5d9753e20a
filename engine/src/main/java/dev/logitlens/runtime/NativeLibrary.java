package dev.logitlens.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;

/**
 * Finds and loads the native shim ({@code liblogitlens.so}, which finds {@code libggml*.so} beside it
 * through its RUNPATH {@code $ORIGIN}).
 *
 * <p>Where it looks, first match wins:
 * <ol>
 *   <li>the system property {@code logitlens.library.path}, else the environment variable
 *       {@code LOGITLENS_LIBRARY_PATH}: a folder holding {@code liblogitlens.so}, or the file itself;</li>
 *   <li>the libraries packaged in the bindings jar under {@code dev/logitlens/natives/<os>-<arch>/},
 *       copied once into {@code $XDG_CACHE_HOME/logitlens/natives/<sha256>/} (default
 *       {@code ~/.cache/logitlens/...}) and loaded from there;</li>
 *   <li>{@code build/native/lib} under the working directory (a source checkout).</li>
 * </ol>
 * The loaded symbols are then visible to the jextract bindings through {@code SymbolLookup.loaderLookup()}.
 */
public final class NativeLibrary {

    public static final String PROPERTY = "logitlens.library.path";
    public static final String ENVIRONMENT = "LOGITLENS_LIBRARY_PATH";
    private static final String LIBRARY_FILE = "liblogitlens.so";
    private static final String RESOURCE_ROOT = "/dev/logitlens/natives/";

    private static volatile Path loaded;

    private NativeLibrary() {
    }

    /** Loads the shim once; later calls return the same path. */
    public static synchronized Path load() {
        if (loaded != null) {
            return loaded;
        }
        List<String> tried = new ArrayList<>();
        Path library = fromSetting(tried);
        if (library == null) {
            library = fromJar(tried);
        }
        if (library == null) {
            library = fromCheckout(tried);
        }
        if (library == null) {
            throw new UnsatisfiedLinkError("logitlens: cannot find " + LIBRARY_FILE + "; looked in: " + String.join("; ", tried)
                    + ". Build it (mvn package, or cmake -S . -B build/native && cmake --build build/native) or point -D"
                    + PROPERTY + " / " + ENVIRONMENT + " at the folder that holds it.");
        }
        System.load(library.toAbsolutePath().toString());
        loaded = library;
        return library;
    }

    private static Path fromSetting(List<String> tried) {
        String setting = System.getProperty(PROPERTY);
        String origin = "-D" + PROPERTY;
        if (setting == null || setting.isBlank()) {
            setting = System.getenv(ENVIRONMENT);
            origin = ENVIRONMENT;
        }
        if (setting == null || setting.isBlank()) {
            return null;
        }
        Path path = Path.of(setting);
        Path file = Files.isDirectory(path) ? path.resolve(LIBRARY_FILE) : path;
        if (Files.isRegularFile(file)) {
            return file;
        }
        tried.add(origin + "=" + setting);
        return null;
    }

    private static Path fromCheckout(List<String> tried) {
        Path file = Path.of("build", "native", "lib", LIBRARY_FILE).toAbsolutePath();
        tried.add(file.getParent().toString());
        return Files.isRegularFile(file) ? file : null;
    }

    private static Path fromJar(List<String> tried) {
        String folder = RESOURCE_ROOT + platform() + "/";
        tried.add("classpath " + folder);
        URL index = NativeLibrary.class.getResource(folder + LIBRARY_FILE);
        if (index == null) {
            return null;
        }
        try {
            List<String> names = packagedNames(folder);
            Path target = cacheRoot().resolve(digest(folder, names));
            Files.createDirectories(target);
            for (String name : names) {
                Path file = target.resolve(name);
                if (!Files.isRegularFile(file)) {
                    copyAtomically(folder + name, file);
                }
            }
            return target.resolve(LIBRARY_FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("logitlens: cannot unpack the native libraries from the jar into " + cacheRoot()
                    + " (set XDG_CACHE_HOME or -D" + PROPERTY + "): " + e.getMessage(), e);
        }
    }

    /** The names of the packaged libraries, read from the listing next to them (written at build time). */
    private static List<String> packagedNames(String folder) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = NativeLibrary.class.getResourceAsStream(folder + "libraries.txt")) {
            if (in == null) {
                throw new IOException("the jar has " + LIBRARY_FILE + " but no libraries.txt listing beside it");
            }
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String name = line.strip();
                if (!name.isEmpty()) {
                    if (name.contains("/") || name.startsWith(".")) {
                        throw new IOException("bad library name in libraries.txt: " + name);
                    }
                    names.add(name);
                }
            }
        }
        return names;
    }

    /**
     * A short digest that names the unpacked copy: over each library's name, size and CRC-32 as the jar's directory
     * records them, so that a start reads no library bytes (hashing 2.5 MB of libraries cost tens of milliseconds
     * before the JIT compiles the digest). Outside a jar (a classes folder in a build) the bytes are hashed.
     */
    private static String digest(String folder, List<String> names) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String name : names) {
                URL url = NativeLibrary.class.getResource(folder + name);
                if (url == null) {
                    throw new IOException("libraries.txt lists " + name + " but the jar lacks it");
                }
                sha.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (url.openConnection() instanceof JarURLConnection jar) {
                    JarEntry entry = jar.getJarEntry();
                    sha.update((entry.getSize() + ":" + entry.getCrc()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } else {
                    try (InputStream in = url.openStream()) {
                        sha.update(in.readAllBytes());
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyAtomically(String resource, Path file) throws IOException {
        Path partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".part");
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing resource " + resource);
            }
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("logitlens").resolve("natives");
    }

    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.contains("win") ? "windows" : os;
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86-64" : arch.equals("aarch64") ? "aarch64" : arch;
        return osName + "-" + archName;
    }
}
