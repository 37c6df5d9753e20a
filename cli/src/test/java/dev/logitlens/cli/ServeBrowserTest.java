package dev.logitlens.cli;

import dev.logitlens.api.LensModel;
import dev.logitlens.lens.LensOptions;
import dev.logitlens.lens.LensResult;
import dev.logitlens.model.Gpt2Config;
import dev.logitlens.model.Json;
import dev.logitlens.testing.Fixtures;
import dev.logitlens.testing.GgufWriter;
import dev.logitlens.testing.TinyGpt2;
import dev.logitlens.tokenizer.Gpt2Tokenizer;
import dev.logitlens.tokenizer.TokenTexts;
import dev.logitlens.view.LensView;
import dev.logitlens.view.TokenLabels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code logitlens serve} in a real browser: a headless Chromium, driven through chromedriver, types a text into the page
 * of a server running in this JVM on a tiny model with GPT-2's vocabulary, and the test checks what a user would see —
 * every cell in the colour {@link LensView} gives it (read from a screenshot at the cell's place, as {@link PlotTest}
 * reads the HTML plot) in three views switched without reloading, the top-k on hover, a pinned cell, the CSV link (the
 * bytes {@code run --format csv} prints), the message for a text beyond the context, the sublayer rows, and the page
 * still working after a malformed request. Chromium and chromedriver are required: the test fails with what to install
 * when they are missing; {@code -Dlogitlens.skipBrowserTests=true} skips it. Screenshots of the page are left in
 * {@code target/serve-browser-test.png} (a pinned cell and a tooltip), {@code target/serve-browser-error.png} (a text
 * beyond the context) and {@code target/serve-fixture.png} (token ids, the rank view).
 */
class ServeBrowserTest {

    /** GPT-2's vocabulary, so that a typed text is tokenised as GPT-2 would; a context of 16 tokens, two blocks. */
    private static final Gpt2Config CONFIG = TinyGpt2.config(Gpt2Tokenizer.VOCAB_SIZE, 16, 16, 2, 2);
    private static final String TEXT = "The logit lens reads every layer";
    private static final int TOP_K = 5;

    @TempDir
    static Path dir;

    private static Path modelFile;
    private static LensModel model;
    private static LensServer server;
    private static final StringWriter serverLog = new StringWriter();

    @BeforeAll
    static void startServer() throws Exception {
        modelFile = new GgufWriter(TinyGpt2.generate(CONFIG, 31, 6, true)).write(dir.resolve("tiny-gpt2.gguf"));
        model = LensModel.open(modelFile);
        server = new LensServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "tiny-gpt2.gguf", model.config(),
                TOP_K, LensView.DEFAULT_KL_MAX, LensServer.lensOf(model, LensOptions.defaults().withTopK(TOP_K)),
                new PrintWriter(serverLog, true));
        server.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void aTextTypedIntoThePageShowsTheLensInEveryViewWithTopKPinsCsvAndErrors() throws Exception {
        assumeFalse(Browser.skipped(), Browser.SKIP_PROPERTY + "=true: not driving a browser");
        ChromeDriver driver = Browser.headless(Files.createTempDirectory(dir, "profile"), 1400, 1000);
        try {
            drive(driver);
        } finally {
            driver.quit();
        }
        assertEquals(0, server.failures(), "no request failed inside the server: " + serverLog);
    }

    private void drive(ChromeDriver driver) throws Exception {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        driver.get(server.uri().toString());
        assertEquals("logit lens \u00b7 tiny-gpt2.gguf", driver.getTitle());
        JavascriptExecutor js = driver;
        js.executeScript("window.__serveMarker = 'loaded once';");

        // the lens we expect, from our own run of the same model
        int[] tokens = model.tokenize(TEXT);
        LensResult lens = model.run(tokens, LensOptions.defaults().withTopK(TOP_K));
        int cells = (CONFIG.nLayer() + 1) * tokens.length;

        driver.findElement(By.id("text")).sendKeys(TEXT);
        driver.findElement(By.id("run")).click();
        wait.until(d -> d.findElements(By.cssSelector("#grid .c")).size() == cells);
        assertFalse(driver.findElement(By.id("error")).isDisplayed());

        // the default view is prob; then logit, then rank against the input — switched without reloading
        checkColours(driver, lens, LensView.Spec.of(LensView.Kind.PROB), "serve-prob");
        driver.findElement(By.cssSelector("#views button[data-kind=logit]")).click();
        checkColours(driver, lens, LensView.Spec.of(LensView.Kind.LOGIT), "serve-logit");
        assertEquals("true", driver.findElement(By.cssSelector("#compare button[data-reference=final]")).getDomProperty("disabled"),
                "compare means nothing to the logit view");
        driver.findElement(By.cssSelector("#views button[data-kind=rank]")).click();
        driver.findElement(By.cssSelector("#compare button[data-reference=input]")).click();
        checkColours(driver, lens, LensView.Spec.of(LensView.Kind.RANK, LensView.Reference.INPUT), "serve-rank-input");
        driver.findElement(By.cssSelector("#views button[data-kind=kl]")).click();
        checkColours(driver, lens, LensView.Spec.of(LensView.Kind.KL, LensView.Reference.INPUT), "serve-kl-input");
        assertEquals("loaded once", js.executeScript("return window.__serveMarker;"), "the page did not reload");

        // hover: the cell's top-k, as the lens has it
        int layer = 1;
        int position = 2;
        WebElement cell = cell(driver, layer, position);
        new Actions(driver).moveToElement(cell).perform();
        WebElement tip = driver.findElement(By.id("tip"));
        wait.until(d -> tip.isDisplayed());
        assertTrue(tip.getText().startsWith("h1 (layer 1), position 2"), tip.getText());
        assertEquals(topK(lens, layer, position), tableCells(js, "#tip"), "the tooltip lists the top-k");
        assertTrue(tip.getText().contains(String.format(Locale.ROOT, "kl-input = %.2f", lens.klToInput(layer, position))),
                tip.getText());

        // click pins: the panel keeps the cell while the mouse moves on; a second click unpins
        cell.click();
        WebElement pinned = driver.findElement(By.id("pinned"));
        wait.until(d -> pinned.isDisplayed());
        assertTrue(cell.getDomAttribute("class").contains("pinned"), cell.getDomAttribute("class"));
        assertEquals(topK(lens, layer, position), tableCells(js, "#pinned"));
        String pinnedText = pinned.getText();
        assertTrue(pinnedText.contains("h1 (layer 1), position 2"), pinnedText);
        new Actions(driver).moveToElement(cell(driver, 0, 0)).perform();
        wait.until(d -> tip.getText().startsWith("in (layer 0), position 0"));
        assertEquals(pinnedText, pinned.getText(), "hovering another cell leaves the pinned one");
        saveScreenshot(driver, "serve-browser-test.png");
        cell.click();
        wait.until(d -> !pinned.isDisplayed());

        // the CSV link: what `logitlens run --format csv` prints for the same text, fetched by the page itself
        WebElement link = driver.findElement(By.id("csv"));
        assertTrue(link.isDisplayed());
        assertEquals("logitlens.csv", link.getDomAttribute("download"));
        CliTest.Run run = CliTest.cli("run", "--model", modelFile.toString(), "--text", TEXT, "--format", "csv");
        assertEquals(0, run.exit(), run.err());
        // (as JSON: what a script returns reaches the test with its line ends rewritten, and the CSV's are CRLF)
        Object fetched = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "fetch(document.getElementById('csv').href).then(r => r.text()).then(t => done(JSON.stringify(t)),"
                + " e => done('failed: ' + e));");
        assertEquals(run.out(), Json.parse((String) fetched));
        HttpResponse<String> direct = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(link.getDomProperty("href"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, direct.statusCode());
        assertEquals(run.out(), direct.body());
        assertTrue(direct.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment"));

        // a text beyond the context: the server's message on the page, the lens still shown
        WebElement text = driver.findElement(By.id("text"));
        text.clear();
        String tooLong = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen";
        int tooMany = model.tokenize(tooLong).length;
        assertTrue(tooMany > CONFIG.nCtx(), "tokens: " + tooMany);
        text.sendKeys(tooLong);
        driver.findElement(By.id("run")).click();
        WebElement error = driver.findElement(By.id("error"));
        wait.until(d -> error.isDisplayed());
        assertEquals("the input has " + tooMany + " tokens; the model's context is 16 tokens: shorten the text", error.getText());
        assertEquals(cells, driver.findElements(By.cssSelector("#grid .c")).size());
        saveScreenshot(driver, "serve-browser-error.png");

        // sublayers: the switch runs the lens again with the rows in, h1.attn, h1, ... and back
        text.clear();
        text.sendKeys("short");
        int shortTokens = model.tokenize("short").length;
        driver.findElement(By.id("sublayers")).click(); // a change of the switch runs the lens again
        wait.until(d -> d.findElements(By.cssSelector("#grid .c")).size() == (2 * CONFIG.nLayer() + 1) * shortTokens);
        assertTrue(driver.findElement(By.id("grid")).getText().contains("h1.attn"), "the attention rows are labelled");
        assertFalse(error.isDisplayed());
        driver.findElement(By.id("sublayers")).click();
        wait.until(d -> d.findElements(By.cssSelector("#grid .c")).size() == (CONFIG.nLayer() + 1) * shortTokens);

        // a malformed request is refused (4xx) and the page goes on working
        HttpResponse<String> malformed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri().resolve("/api/lens"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": ")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().startsWith("{\"error\":\"the request is not the JSON"), malformed.body());
        text.clear();
        text.sendKeys(TEXT);
        driver.findElement(By.id("run")).click();
        wait.until(d -> d.findElements(By.cssSelector("#grid .c")).size() == cells);
        checkColours(driver, lens, LensView.Spec.of(LensView.Kind.KL, LensView.Reference.INPUT), "serve-after-malformed");
        assertEquals("loaded once", js.executeScript("return window.__serveMarker;"), "the page never reloaded");
    }

    /** A model with its own vocabulary (the fixture's 3 tokens): the page takes token ids, as the docs' example. */
    @Test
    void tokenIdsTypedForAModelWithItsOwnVocabularyShowTheLens() throws Exception {
        assumeFalse(Browser.skipped(), Browser.SKIP_PROPERTY + "=true: not driving a browser");
        try (LensModel fixture = LensModel.open(Fixtures.gptNanoSortModel());
             LensServer fixtureServer = new LensServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                     "gpt-nano-sort-model.json", fixture.config(), 3, LensView.DEFAULT_KL_MAX,
                     LensServer.lensOf(fixture, LensOptions.defaults().withTopK(3)), new PrintWriter(serverLog, true))) {
            fixtureServer.start();
            int[] ids = {2, 1, 0, 2, 1, 0, 0, 0, 1, 1, 2};
            LensResult lens = fixture.run(ids, LensOptions.defaults().withTopK(3));
            ChromeDriver driver = Browser.headless(Files.createTempDirectory(dir, "profile"), 1400, 700);
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                driver.get(fixtureServer.uri().toString());
                WebElement text = driver.findElement(By.id("text"));
                text.sendKeys("2 1 0 x");
                driver.findElement(By.id("run")).click();
                WebElement error = driver.findElement(By.id("error"));
                wait.until(d -> error.isDisplayed());
                assertEquals("token ids are whole numbers from 0 to 2, not \u201cx\u201d", error.getText(), "checked on the page");
                text.clear();
                text.sendKeys("2, 1, 0, 2, 1, 0, 0, 0, 1, 1, 2");
                driver.findElement(By.id("run")).click();
                wait.until(d -> d.findElements(By.cssSelector("#grid .c")).size() == 4 * ids.length);
                assertFalse(error.isDisplayed());
                checkColours(driver, lens, LensView.Spec.of(LensView.Kind.PROB), "fixture-prob");
                driver.findElement(By.cssSelector("#views button[data-kind=rank]")).click();
                checkColours(driver, lens, LensView.Spec.of(LensView.Kind.RANK), "fixture-rank-final");
                WebElement cell = cell(driver, 2, 4);
                new Actions(driver).moveToElement(cell).perform();
                cell.click();
                wait.until(d -> d.findElement(By.id("pinned")).isDisplayed());
                new Actions(driver).moveToElement(cell(driver, 1, 7)).perform();
                saveScreenshot(driver, "serve-fixture.png");
                assertTrue(driver.findElement(By.id("csv")).getDomAttribute("href").startsWith("/lens.csv?tokens=2%2C1%2C0%2C2"),
                        driver.findElement(By.id("csv")).getDomAttribute("href"));
            } finally {
                driver.quit();
            }
            assertEquals(0, fixtureServer.failures(), serverLog.toString());
        }
    }

    private static WebElement cell(ChromeDriver driver, int layer, int position) {
        return driver.findElement(By.cssSelector("#grid .c[data-layer='" + layer + "'][data-position='" + position + "']"));
    }

    /** The top-k as the tooltip's table must list it: rank, token, probability, logit. */
    private static List<String> topK(LensResult lens, int layer, int position) {
        TokenTexts texts = TokenTexts.forVocabulary(CONFIG.nVocab());
        List<String> expected = new ArrayList<>();
        for (int j = 0; j < TOP_K; j++) {
            expected.add(Integer.toString(j + 1));
            expected.add(TokenLabels.quoted(texts.apply(lens.topTokenId(layer, position, j))));
            expected.add(String.format(Locale.ROOT, "%.4f", lens.topProb(layer, position, j)));
            expected.add(String.format(Locale.ROOT, "logit %.2f", lens.topLogit(layer, position, j)));
        }
        return expected;
    }

    @SuppressWarnings("unchecked")
    private static List<String> tableCells(JavascriptExecutor js, String panel) {
        return (List<String>) js.executeScript("return [...document.querySelectorAll(arguments[0] + ' td')].map(td => td.textContent);",
                panel);
    }

    /**
     * Every cell of the grid, in a screenshot, at a pixel that shows only its colour (horizontally centred, 5 px below its
     * top edge: inside the 3 px outline, above the text), in the colour {@code spec} gives it.
     */
    @SuppressWarnings("unchecked")
    private static void checkColours(ChromeDriver driver, LensResult lens, LensView.Spec spec, String name) throws Exception {
        LensView view = LensView.of(lens, spec);
        assertEquals(spec.shortName(), driver.findElement(By.tagName("body")).getDomAttribute("data-view"));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(driver.getScreenshotAs(OutputType.BYTES)));
        List<Map<String, Object>> boxes = (List<Map<String, Object>>) driver.executeScript(
                "return [...document.querySelectorAll('#grid .c')].map(c => { const r = c.getBoundingClientRect();"
                        + " return {layer: Number(c.dataset.layer), position: Number(c.dataset.position), x: r.left, y: r.top,"
                        + " width: r.width, height: r.height}; });");
        assertEquals((lens.nLayers() + 1) * lens.nTokens(), boxes.size());
        Set<String> seen = new HashSet<>();
        Set<Integer> colours = new HashSet<>();
        for (Map<String, Object> box : boxes) {
            int layer = ((Number) box.get("layer")).intValue();
            int position = ((Number) box.get("position")).intValue();
            assertTrue(seen.add(layer + "," + position), "each cell once");
            assertEquals(84.0, ((Number) box.get("width")).doubleValue(), 0.01);
            assertEquals(26.0, ((Number) box.get("height")).doubleValue(), 0.01);
            int x = (int) Math.floor(((Number) box.get("x")).doubleValue() + ((Number) box.get("width")).doubleValue() / 2);
            int y = (int) Math.floor(((Number) box.get("y")).doubleValue() + 5);
            assertTrue(x < image.getWidth() && y < image.getHeight(), name + ": cell " + layer + "," + position + " is on screen");
            int actual = image.getRGB(x, y) & 0xffffff;
            Browser.assertColourClose(view.rgb(layer, position), actual, name + " layer " + layer + " position " + position);
            colours.add(view.rgb(layer, position));
        }
        assertNotEquals(1, colours.size(), name + ": the cells are not all one colour");
    }

    private static void saveScreenshot(ChromeDriver driver, String fileName) throws Exception {
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.write(target.resolve(fileName), driver.getScreenshotAs(OutputType.BYTES));
    }
}
