package dev.logitlens.view;

import java.util.HexFormat;
import java.util.Objects;

/**
 * A continuous colour map: evenly spaced sRGB stops, linearly interpolated. {@link #rgb(double)} maps a
 * scale position {@code t ∈ [0, 1]} (0 = the bottom of the value range, 1 = the top; outside values are
 * clamped) to a colour.
 *
 * <p>The maps are the ones the logit lens post's notebook draws with (nostalgebraist, "interpreting GPT:
 * the logit lens", 2020, and its Colab notebook, function {@code show_token_progress}):
 * <ul>
 *   <li>{@link #BLUES} / {@link #BLUES_R}: matplotlib's {@code "Blues"} / {@code "Blues_r"}, built by
 *       matplotlib from ColorBrewer's 9-class sequential Blues (Cynthia Brewer, colorbrewer2.org):
 *       {@code #f7fbff … #08306b}, white to dark blue. The post colours ranks with {@code Blues} (rank 1 light)
 *       and probabilities with {@code Blues_r} (probability 1 light).</li>
 *   <li>{@link #CET_CBL2} / {@link #CET_CBL2_R}: colorcet's {@code linear_protanopic_deuteranopic_kbw_5_98_c40}
 *       (Peter Kovesi's CET perceptually uniform map CBL2, black → blue → yellow → white, lightness 5 to 98,
 *       safe for protanopes and deuteranopes; the 256 entries of colorcet's table, CC-BY 4.0, are copied
 *       below rounded to 8 bits). The post colours logits with it (high logit light) and KL divergences
 *       with its reverse (KL 0 light, large KL black).</li>
 * </ul>
 * matplotlib looks a value up in a 256-entry table (the nearest lower entry); we interpolate between the
 * stops instead, which differs from that by less than one 8-bit step on these smooth maps.
 */
public final class ColorScale {

    /** ColorBrewer Blues (9 classes), as matplotlib's {@code Blues}: position 0 = {@code #f7fbff}, 1 = {@code #08306b}. */
    public static final ColorScale BLUES = new ColorScale("Blues",
            parse("f7fbff" + "deebf7" + "c6dbef" + "9ecae1" + "6baed6" + "4292c6" + "2171b5" + "08519c" + "08306b"));

    /** {@link #BLUES} reversed (matplotlib's {@code Blues_r}): position 0 = dark blue, 1 = near white. */
    public static final ColorScale BLUES_R = BLUES.reversed("Blues_r");

    /** colorcet {@code linear_protanopic_deuteranopic_kbw_5_98_c40} (CET-CBL2): position 0 = near black, 1 = near white. */
    public static final ColorScale CET_CBL2 = new ColorScale("CET-CBL2 (linear_protanopic_deuteranopic_kbw_5_98_c40)", parse(
            "11111111121312131513131713141814151a14161c14171d15171f151821151922161924161a26161b27161b29161c2b"
            + "161d2d161e2e171e30171f3217203417213617213717223917233b16243d16243f162540162642162744162746152848"
            + "15294a152a4b142b4d142b4f142c51132d53132e54132e56122f5812305a12315b11325d11325f113360103462103563"
            + "10366510366710376810386a10396b0f3a6d0f3b6e0f3b700f3c710f3d730f3e740f3f760f3f770f40790f417a0f427c"
            + "0f437e0f447f0f44810f45820f46840f47850f48870f49880f498a0f4a8b0f4b8d0f4c8e0f4d900f4e920f4f930f4f95"
            + "0e50960e51980e52990e539b0e549d0e559e0e56a00e56a10d57a30d58a50d59a60d5aa80d5ba90d5cab0c5cad0c5dae"
            + "0c5eb00c5fb20b60b30b61b50b62b60a63b80a64ba0a64bb0965bd0966bf0967c00868c20869c4076ac5076bc7076cc9"
            + "066dca066dcc056ece056fcf0470d10471d30372d40373d60274d80275d90176db0177dd0078de0078e00079e2017ae3"
            + "017be5027ce6037de8057ee9077feb0b80ec0e81ed1282ee1683ef1a84f01f84f12385f22886f22d87f23188f23689f2"
            + "3b8af2408bf1458cf04a8def4f8dee548eec598fea5d90e86291e66792e46b93e26f94df7395dc7796d97b97d67f98d4"
            + "8399d0869acd899bca8d9bc7909cc4939dc1969ebd989fba9ba0b79ea1b4a0a2b1a3a3aea5a4aaa8a5a7aaa6a4aca7a1"
            + "afa89eb1a99bb3aa98b5ab95b7ac92b9ad8fbbae8cbdaf89bfb086c1b183c3b280c5b37dc7b47ac9b577cab674ccb771"
            + "ceb86dd0b86ad1b967d3ba64d5bb60d6bc5dd8bd5adabe56dbbf52ddc04fdec14be0c248e1c344e3c440e4c53ce5c639"
            + "e7c735e8c831e9c92eebca2aeccb27edcc25efcd23f0ce22f1cf22f2d023f3d125f4d227f5d32bf6d42ff7d634f8d739"
            + "f9d83efad944fbda4afbdb50fcdc56fddd5dfdde63fedf6afee070ffe177ffe27effe384ffe48bffe592ffe698ffe79f"
            + "ffe8a5ffe9abffebb1ffecb7feedbdfeeec3feefc9fdf0cefdf1d3fdf2d8fdf3ddfcf5e2fcf6e7fcf7ebfcf8effcf9f3"));

    /** {@link #CET_CBL2} reversed: position 0 = near white, 1 = near black. */
    public static final ColorScale CET_CBL2_R = CET_CBL2.reversed("CET-CBL2 reversed (linear_protanopic_deuteranopic_kbw_5_98_c40_r)");

    /**
     * ColorBrewer's 11-class diverging RdBu (Cynthia Brewer, colorbrewer2.org), as matplotlib's {@code "RdBu"}: position
     * 0 = dark red {@code #67001f}, 0.5 = near white {@code #f7f7f7}, 1 = dark blue {@code #053061}. For values centred on
     * 0 (the contrast view: the anti-target ahead red, the target ahead blue).
     */
    public static final ColorScale RD_BU = new ColorScale("RdBu (diverging)",
            parse("67001f" + "b2182b" + "d6604d" + "f4a582" + "fddbc7" + "f7f7f7" + "d1e5f0" + "92c5de" + "4393c3" + "2166ac" + "053061"));

    private final String name;
    private final int[] stops;

    private ColorScale(String name, int[] stops) {
        if (stops.length < 2) {
            throw new IllegalArgumentException("a colour scale needs at least two stops");
        }
        this.name = name;
        this.stops = stops;
    }

    /** A scale through the given {@code 0xRRGGBB} colours, evenly spaced from position 0 to 1. */
    public static ColorScale of(String name, int... stops) {
        return new ColorScale(Objects.requireNonNull(name, "name"), stops.clone());
    }

    public String name() {
        return name;
    }

    /** The number of stops. */
    public int size() {
        return stops.length;
    }

    /** The colour at position {@code t} as {@code 0xRRGGBB}; t is clamped to [0, 1], NaN counts as 0. */
    public int rgb(double t) {
        double x = Double.isNaN(t) ? 0 : Math.clamp(t, 0.0, 1.0) * (stops.length - 1);
        int i = Math.min((int) Math.floor(x), stops.length - 2);
        double f = x - i;
        int a = stops[i];
        int b = stops[i + 1];
        int r = mix(a >> 16 & 0xff, b >> 16 & 0xff, f);
        int g = mix(a >> 8 & 0xff, b >> 8 & 0xff, f);
        int bl = mix(a & 0xff, b & 0xff, f);
        return r << 16 | g << 8 | bl;
    }

    /** The colour at position {@code t} as {@code #rrggbb}. */
    public String hex(double t) {
        return toHex(rgb(t));
    }

    /** The same stops in reverse order. */
    public ColorScale reversed(String reversedName) {
        int[] reversed = new int[stops.length];
        for (int i = 0; i < stops.length; i++) {
            reversed[i] = stops[stops.length - 1 - i];
        }
        return new ColorScale(reversedName, reversed);
    }

    /** {@code #rrggbb} of a {@code 0xRRGGBB} colour. */
    public static String toHex(int rgb) {
        return "#" + HexFormat.of().toHexDigits(rgb & 0xffffff, 6);
    }

    /** WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white). */
    public static double luminance(int rgb) {
        return 0.2126 * linear(rgb >> 16 & 0xff) + 0.7152 * linear(rgb >> 8 & 0xff) + 0.0722 * linear(rgb & 0xff);
    }

    /**
     * Whether text on this background should be white rather than black: whichever contrasts more (WCAG
     * contrast ratio), which switches at a luminance of about 0.18.
     */
    public static boolean needsLightText(int background) {
        double l = luminance(background);
        return (1.05) / (l + 0.05) > (l + 0.05) / 0.05;
    }

    private static double linear(int channel) {
        double c = channel / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }

    private static int[] parse(String hex) {
        int[] colours = new int[hex.length() / 6];
        for (int i = 0; i < colours.length; i++) {
            colours[i] = HexFormat.fromHexDigits(hex, 6 * i, 6 * i + 6);
        }
        return colours;
    }

    @Override
    public String toString() {
        return name;
    }
}
