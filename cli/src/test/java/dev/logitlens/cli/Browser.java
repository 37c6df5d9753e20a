package dev.logitlens.cli;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the browser tests share ({@link PlotTest} screenshots a page with Chromium; {@link ServeBrowserTest} drives one
 * through chromedriver): finding Chromium and chromedriver, failing with what to do when they are missing, starting a
 * headless Chromium that never reaches the network, and the colour comparison of a screenshot's pixel.
 */
final class Browser {

    /** {@code -Dlogitlens.skipBrowserTests=true} skips what needs a browser. */
    static final String SKIP_PROPERTY = "logitlens.skipBrowserTests";
    /** Per colour channel: the browser draws the page's sRGB colours as given; allow a little for rounding. */
    static final int TOLERANCE = 3;

    private Browser() {
    }

    /** Whether the browser tests are to be skipped. */
    static boolean skipped() {
        return Boolean.getBoolean(SKIP_PROPERTY);
    }

    /** Debian's {@code chromium} (or Chrome) on the PATH; fails with what to do when there is none. */
    static String findChromium() {
        String found = onPath("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
        if (found == null) {
            fail("the browser tests render pages in headless Chromium, and there is no chromium on the PATH: run"
                    + " scripts/install-deps.sh (it installs Debian's chromium, chromium-driver and fonts-dejavu-core), or skip"
                    + " these checks with -D" + SKIP_PROPERTY + "=true");
        }
        return found;
    }

    /** Debian's {@code chromedriver} on the PATH; fails with what to do when there is none. */
    static String findChromedriver() {
        String found = onPath("chromedriver");
        if (found == null) {
            fail("the test of logitlens serve drives headless Chromium through chromedriver, and there is no chromedriver on"
                    + " the PATH: run scripts/install-deps.sh (it installs Debian's chromium-driver), or skip these checks with -D"
                    + SKIP_PROPERTY + "=true");
        }
        return found;
    }

    private static String onPath(String... names) {
        for (String name : names) {
            for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!folder.isEmpty() && Files.isExecutable(Path.of(folder, name))) {
                    return Path.of(folder, name).toString();
                }
            }
        }
        return null;
    }

    /**
     * A headless Chromium driven through chromedriver, both named explicitly (so Selenium never looks for a browser or
     * a driver to download), with a fresh profile in {@code profile}, a {@code width × height} window at scale 1, and
     * nothing that reaches the network on its own.
     */
    static ChromeDriver headless(Path profile, int width, int height) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(findChromium());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--window-size=" + width + "," + height, "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(findChromedriver()))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /** Fails unless the two {@code 0xRRGGBB} colours agree within {@link #TOLERANCE} per channel. */
    static void assertColourClose(int expected, int actual, String what) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = expected >> shift & 0xff;
            int a = actual >> shift & 0xff;
            if (Math.abs(e - a) > TOLERANCE) {
                fail(what + ": expected " + String.format("#%06x", expected) + " but the screenshot has " + String.format("#%06x", actual));
            }
        }
    }

    /** The flags PlotTest's one-shot screenshot uses besides its own. */
    static List<String> screenshotFlags() {
        return List.of("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--no-first-run");
    }
}
