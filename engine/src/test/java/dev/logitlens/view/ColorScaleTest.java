package dev.logitlens.view;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ColorScaleTest {

    @Test
    void endsAndStopsAreTheSourcesColours() {
        assertEquals(9, ColorScale.BLUES.size());
        assertEquals(0xf7fbff, ColorScale.BLUES.rgb(0));
        assertEquals(0x6baed6, ColorScale.BLUES.rgb(0.5), "the middle stop of ColorBrewer's 9-class Blues");
        assertEquals(0x08306b, ColorScale.BLUES.rgb(1));
        assertEquals(0x08306b, ColorScale.BLUES_R.rgb(0));
        assertEquals(256, ColorScale.CET_CBL2.size());
        assertEquals(0x111111, ColorScale.CET_CBL2.rgb(0));
        assertEquals(0xfcf9f3, ColorScale.CET_CBL2.rgb(1));
        assertEquals(0xfcf9f3, ColorScale.CET_CBL2_R.rgb(0));
    }

    @Test
    void interpolatesLinearlyAndClamps() {
        // a quarter of the way from stop 0 (#f7fbff) to stop 1 (#deebf7) of Blues: positions are 1/8 apart
        int rgb = ColorScale.BLUES.rgb(1 / 32.0);
        assertEquals(Math.round(0xf7 + (0xde - 0xf7) * 0.25), rgb >> 16);
        assertEquals(Math.round(0xfb + (0xeb - 0xfb) * 0.25), rgb >> 8 & 0xff);
        assertEquals(Math.round(0xff + (0xf7 - 0xff) * 0.25), rgb & 0xff);
        assertEquals(ColorScale.BLUES.rgb(1), ColorScale.BLUES.rgb(7));
        assertEquals(ColorScale.BLUES.rgb(0), ColorScale.BLUES.rgb(-3));
        assertEquals(ColorScale.BLUES.rgb(0), ColorScale.BLUES.rgb(Double.NaN));
        assertEquals("#08306b", ColorScale.BLUES.hex(1.0));
        assertEquals("#08306b", ColorScale.toHex(0x08306b));
    }

    @Test
    void textColourContrastsWithTheBackground() {
        assertTrue(ColorScale.needsLightText(0x08306b));
        assertTrue(ColorScale.needsLightText(0x111111));
        assertFalse(ColorScale.needsLightText(0xf7fbff));
        assertFalse(ColorScale.needsLightText(0xfcf9f3));
    }
}
