package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import org.junit.jupiter.api.Test;
import org.neuralj.train.data.Sample;

/** The object-size estimate, the resize factor it gives, how users write it, and resized training samples. */
class ObjectScaleTest {
    private static void disc(byte[] m, int w, double cx, double cy, double r) {
        int h = m.length / w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
                    m[y * w + x] = 1;
                }
            }
        }
    }

    @Test
    void theDiameterOfDiscsIsTwiceTheirRadius() {
        for (double r : new double[] {5, 9, 20}) {
            int w = (int) (8 * r);
            byte[] m = new byte[w * w];
            disc(m, w, 2 * r, 2 * r, r);
            disc(m, w, 6 * r, 5 * r, r);
            double d = ObjectScale.medianDiameter(m, w, w);
            assertEquals(2 * r, d, 1.5, "radius " + r);
        }
    }

    @Test
    void touchingObjectsStillMeasureOneObjectAndSpecksDoNotCount() {
        int w = 200;
        byte[] m = new byte[w * w];
        // a chain of three overlapping discs of radius 12: one component, still about 24 across
        disc(m, w, 30, 30, 12);
        disc(m, w, 50, 30, 12);
        disc(m, w, 70, 30, 12);
        // many specks of 5 x 5 (above the minimum area) hold less area than the chain: the area-weighted median ignores them
        for (int k = 0; k < 20; k++) {
            int x0 = 10 + 9 * k, y0 = 120;
            for (int y = y0; y < y0 + 5; y++) {
                for (int x = x0; x < x0 + 5; x++) {
                    m[y * w + x] = 1;
                }
            }
        }
        assertEquals(24, ObjectScale.medianDiameter(m, w, w), 2);
        assertTrue(Double.isNaN(ObjectScale.medianDiameter(new byte[w * w], w, w)), "no objects: unknown");
        byte[] tiny = new byte[w * w];
        tiny[5 * w + 5] = 1;
        assertTrue(Double.isNaN(ObjectScale.medianDiameter(tiny, w, w)), "below the minimum area: unknown");
    }

    @Test
    void theFactorResizesOnlyOutsideTheToleranceAndIsClamped() {
        assertEquals(1, ObjectScale.factor(18, 20, 1.5));
        assertEquals(1, ObjectScale.factor(18, 26.9, 1.5));
        assertEquals(18 / 40.0, ObjectScale.factor(18, 40, 1.5), 1e-12);
        assertEquals(2, ObjectScale.factor(18, 6, 1.5), "enlarging is clamped at 2");
        assertEquals(0.25, ObjectScale.factor(18, 200, 1.5), "shrinking is clamped at 1/4");
        assertEquals(1, ObjectScale.factor(18, Double.NaN, 1.5), "unknown size: as it is");
        assertEquals(18 / 20.0, ObjectScale.factor(18, 20, 1), 1e-12, "tolerance 1: always to the reference");
    }

    @Test
    void usersWriteAutoOffOrADiameter() {
        assertEquals(ObjectScale.Rescale.AUTO, ObjectScale.Rescale.parse("auto"));
        assertEquals(ObjectScale.Rescale.OFF, ObjectScale.Rescale.parse("Off"));
        assertEquals(ObjectScale.Rescale.CARD, ObjectScale.Rescale.parse(null));
        assertEquals(ObjectScale.Rescale.CARD, ObjectScale.Rescale.parse("model's"));
        assertEquals(ObjectScale.Rescale.diameter(30), ObjectScale.Rescale.parse("30"));
        assertEquals("30", ObjectScale.Rescale.parse("30").text());
        assertEquals("12.5", ObjectScale.Rescale.parse("12.5").text());
        assertEquals("auto", ObjectScale.Rescale.AUTO.text());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectScale.Rescale.parse("big"));
        assertTrue(e.getMessage().contains("auto, off"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ObjectScale.Rescale.parse("-3"));
        assertThrows(IllegalArgumentException.class, () -> ObjectScale.Rescale.parse("0"));
    }

    @Test
    void resizedMapsKeepTheirValuesAndPlanesAverageWhenShrinking() {
        // a checkerboard of 1-pixel squares averages to grey when halved; point sampling would keep 0/1
        FloatProcessor fp = new FloatProcessor(64, 64);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                fp.setf(x, y, (x + y) % 2);
            }
        }
        ImageProcessor half = ObjectScale.resize(fp, 0.5);
        assertEquals(32, half.getWidth());
        assertEquals(0.5, half.getStatistics().mean, 0.02);
        assertTrue(half.getStatistics().stdDev < 0.1, "averaged: " + half.getStatistics().stdDev);
        float[] constant = new float[10 * 8];
        java.util.Arrays.fill(constant, 0.7f);
        float[] back = new float[25 * 20];
        java.util.Arrays.fill(back, Float.NaN);
        ObjectScale.resizeInto(constant, 10, 8, 25, 20, (i, v) -> back[i] = v);
        for (float v : back) {
            assertEquals(0.7f, v, 1e-6f, "every pixel written, the value kept");
        }
        // a ramp along x stays a ramp: pixel centres aligned (x' = (x + 0.5) * 10 / 40 - 0.5), edges held
        float[] ramp = new float[10 * 3];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = i % 10;
        }
        float[] wide = new float[40 * 6];
        ObjectScale.resizeInto(ramp, 10, 3, 40, 6, (i, v) -> wide[i] = v);
        for (int x = 0; x < 40; x++) {
            double expected = Math.max(0, Math.min(9, (x + 0.5) / 4 - 0.5));
            assertEquals(expected, wide[5 * 40 + x], 1e-5, "x " + x);
        }
    }

    @Test
    void aResizedSampleKeepsItsLabelsAndChannels() {
        int w = 40, h = 30;
        float[] px = new float[2 * w * h];
        int[] labels = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[y * w + x] = x;
                px[w * h + y * w + x] = 100;
                labels[y * w + x] = x < 20 ? 3 : 7;
            }
        }
        Sample s = new Sample("a.tif", "a", 2, h, w, px, labels, -1).resized(0.5);
        assertEquals(20, s.width());
        assertEquals(15, s.height());
        assertEquals(2 * 20 * 15, s.pixels().length);
        assertEquals(100, s.pixels()[20 * 15 + 7], 1e-3, "second channel");
        assertArrayEquals(new int[] {3, 7}, java.util.Arrays.stream(s.labels()).distinct().sorted().toArray(), "labels are not blended");
        assertEquals(3, s.labels()[9]);
        assertEquals(7, s.labels()[10]);
        Sample big = new Sample("a.tif", "a", 2, h, w, px, labels, -1).resized(2);
        assertEquals(80, big.width());
        assertEquals(60, big.height());
    }
}
