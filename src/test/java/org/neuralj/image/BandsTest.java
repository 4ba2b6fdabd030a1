package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Very large planes are labelled and measured band by band ({@link Bands}): on a plane split into bands
 * the labels and the object size are exactly the whole plane's (objects shorter than the margin), and
 * objects taller than it are reported.
 */
class BandsTest {
    /** Runs {@code work} with planes above {@code pixels} split into bands. */
    static <T> T splitAbove(long pixels, Supplier<T> work) {
        String key = "neuralj.wholePlanePixels";
        System.setProperty(key, Long.toString(pixels));
        try {
            return work.get();
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void bandsTileThePlaneAndEachReadsItsMargin() {
        assertEquals(List.of(new Bands.Band(0, 500, 0, 500)), Bands.forObjects(400, 500), "a small plane is one band");
        List<Bands.Band> bands = splitAbove(100_000, () -> Bands.forObjects(300, 3000));
        assertTrue(bands.size() >= 3, bands.toString());
        int next = 0;
        for (Bands.Band b : bands) {
            assertEquals(next, b.coreY0(), "cores follow each other");
            assertEquals(Math.max(0, b.coreY0() - Bands.OBJECT_MARGIN), b.y0());
            assertEquals(Math.min(3000, b.coreY1() + Bands.OBJECT_MARGIN), b.y1());
            assertTrue(b.coreY1() - b.coreY0() >= Bands.OBJECT_MARGIN, "a core is at least a margin high: " + b);
            next = b.coreY1();
        }
        assertEquals(3000, next);
    }

    /** Foreground and core maps of random touching discs (radius 6-20) on a tall plane, as a network would give. */
    private static byte[][] discs(int w, int h, long seed) {
        byte[] prob = new byte[w * h];
        byte[] core = new byte[w * h];
        Random rnd = new Random(seed);
        for (int k = 0; k < w * h / 900; k++) {
            double cx = rnd.nextDouble() * w, cy = rnd.nextDouble() * h, r = 6 + 14 * rnd.nextDouble();
            for (int y = (int) Math.max(0, cy - r); y < Math.min(h, cy + r + 1); y++) {
                for (int x = (int) Math.max(0, cx - r); x < Math.min(w, cx + r + 1); x++) {
                    double d = Math.hypot(x - cx, y - cy) / r;
                    if (d <= 1) {
                        int i = y * w + x;
                        prob[i] = (byte) 230;
                        core[i] = (byte) Math.max(core[i] & 0xff, (int) Math.round(255 * (1 - d)));
                    }
                }
            }
        }
        return new byte[][] {prob, core};
    }

    @Test
    void seededLabelsOfAPlaneInBandsAreTheWholePlanesLabels() {
        int w = 300, h = 3000;
        byte[][] maps = discs(w, h, 7);
        Segmenter.SeedSettings settings = new Segmenter.SeedSettings(0.5, 0.5, 4, 30);
        Segmenter.SeedMaps m = new Segmenter.SeedMaps(w, h, maps[0], maps[1]);
        ImageProcessor whole = settings.labels(m);
        List<String> warnings = new ArrayList<>();
        ImageProcessor banded = splitAbove(100_000, () -> settings.labels(m, warnings::add));
        assertTrue(Instances.count(whole) > 500, "objects: " + Instances.count(whole));
        assertArrayEquals(Instances.values(whole), Instances.values(banded), "same objects, same numbers");
        assertEquals(List.of(), warnings, "no object is near a margin high");

        // the old way: the watershed of the whole plane, small objects removed
        ImageProcessor reference = Instances.removeSmall(Instances.seededWatershed(maps[0], maps[1], w, h, 127, 127, 4), 30);
        assertArrayEquals(Instances.values(reference), Instances.values(whole));
    }

    @Test
    void componentsInBandsAreTheWholePlanesAndTallObjectsAreReported() {
        int w = 300, h = 3000;
        byte[] mask = discs(w, h, 3)[0];
        for (int y = 1000; y < 1000 + 2 * Bands.OBJECT_MARGIN; y++) {
            mask[y * w + 150] = (byte) 255; // a thin line taller than the margin, across discs
        }
        Instances.WindowLabeller components = band -> Instances.values(Instances.components(
                new ij.process.ByteProcessor(w, band.rows(), Bands.rows(mask, w, band))));
        ImageProcessor whole = Instances.label(w, h, 10, components, null);
        List<String> warnings = new ArrayList<>();
        ImageProcessor banded = splitAbove(100_000, () -> Instances.label(w, h, 10, components, warnings::add));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("1 object(s) reach past the 256 rows"), warnings.get(0));
        // away from the tall object the labels agree (numbering aside: compared as partitions)
        int[] a = Instances.values(whole);
        int[] b = Instances.values(banded);
        int tall = a[1100 * w + 150];
        java.util.Map<Integer, Integer> match = new java.util.HashMap<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i] != tall) {
                assertEquals(a[i] == 0, b[i] == 0, "pixel " + i);
                Integer seen = a[i] == 0 ? null : match.putIfAbsent(a[i], b[i]);
                if (seen != null) {
                    assertEquals(seen, b[i], "pixel " + i);
                }
            }
        }
        assertEquals(match.size(), new java.util.HashSet<>(match.values()).size(), "one banded object for each whole-plane one");
        ImageProcessor reference = Instances.removeSmall(Instances.components(new ij.process.ByteProcessor(w, h, mask)), 10);
        assertArrayEquals(Instances.values(reference), a, "one band: what components and removeSmall give");
    }

    @Test
    void theObjectSizeOfAPlaneInBandsIsTheWholePlanes() {
        int w = 300, h = 3000;
        byte[] mask = discs(w, h, 11)[0];
        double whole = ObjectScale.medianDiameter(mask, w, h);
        double banded = splitAbove(100_000, () -> ObjectScale.medianDiameter(mask, w, h));
        assertTrue(whole > 10 && whole < 40, "diameter " + whole);
        assertEquals(whole, banded, 0);
    }

    @Test
    void moreThan65535ObjectsGiveA32BitLabelImage() {
        int w = 600, h = 600;
        int[] dots = new int[w * h];
        int n = 0;
        for (int y = 0; y < h; y += 2) {
            for (int x = 0; x < w; x += 2) {
                dots[y * w + x] = 7 * (++n); // any numbering
            }
        }
        ImageProcessor labels = Instances.label(w, h, 1, band -> dots, null);
        assertTrue(labels instanceof FloatProcessor, labels.getClass().getSimpleName());
        assertEquals(90_000, Instances.count(labels));
        assertEquals(1, (int) labels.getf(0));
        assertEquals(2, (int) labels.getf(2));
        assertEquals(90_000, (int) labels.getf((h - 2) * w + w - 2), "raster order");
        ImageProcessor fewer = Instances.removeSmall(labels, 2);
        assertEquals(0, Instances.count(fewer), "every dot is one pixel");
    }
}
