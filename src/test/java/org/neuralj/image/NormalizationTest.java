package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import org.junit.jupiter.api.Test;

/** The normalisations a model card names, on the paths a model takes (whole planes, tiles, training arrays). */
class NormalizationTest {
    /** A 64x64 8-bit plane of the background value with a 16x16 square of objects (6 % of the area). */
    private static ByteProcessor plane(int background, int object) {
        ByteProcessor ip = new ByteProcessor(64, 64);
        ip.setValue(background);
        ip.fill();
        ip.setValue(object);
        ip.setRoi(10, 10, 16, 16);
        ip.fill();
        ip.resetRoi();
        return ip;
    }

    private static float[] floats(ImageProcessor ip) {
        return (float[]) ip.convertToFloatProcessor().getPixels();
    }

    @Test
    void invertLightNegatesMostlyLightImagesOnly() {
        ByteProcessor fluorescence = plane(10, 200), brightfield = plane(200, 60);
        NormalizationStats dark = NormalizationStats.of(Normalization.ZSCORE_INVERT_LIGHT, PlaneSource.of(fluorescence, 1), fluorescence);
        NormalizationStats light = NormalizationStats.of(Normalization.ZSCORE_INVERT_LIGHT, PlaneSource.of(brightfield, 1), brightfield);
        assertTrue(dark.scale() > 0, "dark background: plain z-score");
        assertTrue(light.scale() < 0, "light background: negated");
        // objects come out bright in both
        assertTrue(dark.apply(200) > dark.apply(10));
        assertTrue(light.apply(60) > light.apply(200));
        // the same map as ZSCORE apart from the sign, and the same from a float array (training) as from the image
        NormalizationStats plain = NormalizationStats.of(Normalization.ZSCORE, PlaneSource.of(brightfield, 1), brightfield);
        assertEquals(plain.offset(), light.offset(), 0f);
        assertEquals(-plain.scale(), light.scale(), 0f);
        assertEquals(light, NormalizationStats.of(Normalization.ZSCORE_INVERT_LIGHT, floats(brightfield)));
        assertEquals(dark, NormalizationStats.of(Normalization.ZSCORE_INVERT_LIGHT, floats(fluorescence)));
    }

    @Test
    void invertLightDecidesOnTheLuminanceOfAnRgbImageForAGreyModel() {
        ColorProcessor he = new ColorProcessor(64, 64);
        he.setColor(new java.awt.Color(235, 200, 220));   // pink, light
        he.fill();
        he.setColor(new java.awt.Color(90, 60, 150));     // purple nuclei
        he.setRoi(5, 5, 20, 20);
        he.fill();
        he.resetRoi();
        assertTrue(NormalizationStats.of(Normalization.ZSCORE_INVERT_LIGHT, PlaneSource.of(he, 1), he).scale() < 0);
    }

    @Test
    void everyFrontEndOffersEveryNormalisation() throws Exception {
        java.util.Set<String> all = new java.util.HashSet<>();
        for (Normalization n : Normalization.values()) {
            all.add(n.id());
        }
        assertEquals(all, new java.util.HashSet<>(java.util.List.of(Normalization.ids())));
        assertEquals(Normalization.ZSCORE.id(), Normalization.ids()[0], "the default comes first");
        // a SciJava annotation cannot call ids(): its written-out list must match it
        String[] choices = org.neuralj.fiji.ApplyModelCommand.class.getDeclaredField("normalization")
                .getAnnotation(org.scijava.plugin.Parameter.class).choices();
        assertEquals(java.util.List.of(Normalization.ids()), java.util.List.of(choices));
    }

    @Test
    void namesAsACardWritesThem() {
        assertEquals(Normalization.ZSCORE_INVERT_LIGHT, Normalization.parse("zscore_invert_light"));
        assertEquals(Normalization.ZSCORE_INVERT_LIGHT, Normalization.parse("zscore-invert-light"));
        assertEquals("zscore_invert_light", Normalization.ZSCORE_INVERT_LIGHT.id());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normalization.parse("zscore-ish"));
        assertTrue(e.getMessage().contains("zscore_invert_light"), e.getMessage());
    }
}
