package org.neuralj.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Augmentation keeps image and mask aligned, is seeded, and class balancing evens out rare classes. */
class AugmentTest {

    /** An image whose pixel value is 100 where the label is non-zero, else 10: a view must keep that. */
    static Sample blobs(int w, int h) {
        float[] px = new float[w * h];
        int[] lab = new int[w * h];
        Random r = new Random(3);
        for (int k = 1; k <= 6; k++) {
            int cx = r.nextInt(w), cy = r.nextInt(h), rad = 3 + r.nextInt(6);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad) {
                        lab[y * w + x] = k;
                    }
                }
            }
        }
        for (int i = 0; i < px.length; i++) {
            px[i] = lab[i] != 0 ? 100 : 10;
        }
        return new Sample("blobs", "g", 1, h, w, px, lab, -1);
    }

    @Test
    void flipsAndRotationsKeepImageAndMaskAligned() {
        Sample s = blobs(60, 45);
        Augment geometric = new Augment(true, true, 1, 1, 0, 0, 0);
        Random r = new Random(11);
        for (int k = 0; k < 50; k++) {
            float[][] v = geometric.segmentationCrop(s, 32, 0f, 1f, r, ObjectCores.of(s.labels(), s.width(), s.height()));
            // crop origins are sub-pixel (bilinear image, nearest mask): where the image is exactly
            // inside or outside an object, the mask must say the same
            int exact = 0;
            for (int i = 0; i < 32 * 32; i++) {
                if (Math.abs(v[0][i] - 100f) < 1e-3f) {
                    assertEquals(1f, v[1][i], "pixel " + i + " of view " + k);
                    exact++;
                } else if (Math.abs(v[0][i] - 10f) < 1e-3f) {
                    assertEquals(0f, v[1][i], "pixel " + i + " of view " + k);
                    exact++;
                }
                assertTrue(v[1][32 * 32 + i] <= v[1][i], "an interior pixel is foreground");
            }
            assertTrue(exact > 32 * 32 * 3 / 4, exact + " pixels away from object edges");
        }
    }

    @Test
    void elasticDeformationBendsImageAndMaskTogetherAndLeavesOtherDrawsAlone() {
        Sample s = blobs(60, 60);
        Augment plain = new Augment(false, false, 1, 1, 0, 0, 0);
        Augment bent = plain.withElastic(3);
        byte[] cores = ObjectCores.of(s.labels(), s.width(), s.height());
        int moved = 0;
        for (int k = 0; k < 30; k++) {
            float[][] a = plain.segmentationCrop(s, 48, 0f, 1f, new Random(k), cores);
            float[][] e = bent.segmentationCrop(s, 48, 0f, 1f, new Random(k), cores);
            int exact = 0;
            for (int i = 0; i < 48 * 48; i++) {
                if (a[1][i] != e[1][i]) {
                    moved++;
                }
                // the warp moves the sampling point; image (bilinear) and mask (nearest) still agree
                if (Math.abs(e[0][i] - 100f) < 1e-3f) {
                    assertEquals(1f, e[1][i], "pixel " + i + " of view " + k);
                    exact++;
                } else if (Math.abs(e[0][i] - 10f) < 1e-3f) {
                    assertEquals(0f, e[1][i], "pixel " + i + " of view " + k);
                    exact++;
                }
            }
            assertTrue(exact > 48 * 48 * 3 / 4, exact + " pixels away from object edges");
        }
        // 30 crops of 48 x 48 with objects: a 3-pixel warp moves outline pixels
        assertTrue(moved > 200, moved + " mask pixels changed by the warp");
        // the warp is drawn after every other random number: without it the crop is as before
        Random r1 = new Random(9), r2 = new Random(9);
        assertArrayEquals(plain.segmentationCrop(s, 48, 0f, 1f, r1)[0], plain.withElastic(0).segmentationCrop(s, 48, 0f, 1f, r2)[0]);
        // smooth: neighbouring displacements differ by at most the grid step's share of the range
        float[] grid = new float[25];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = (i * 7919 % 13) - 6f;
        }
        for (int u = 0; u < 47; u++) {
            double d = Math.abs(Augment.interpolate(grid, u + 1, 20, 48) - Augment.interpolate(grid, u, 20, 48));
            assertTrue(d <= 12.0 * 4 / 48 + 1e-9, "jump " + d + " at u=" + u);
        }
    }

    @Test
    void zoomAndIntensityChangesAreSeededAndBounded() {
        Sample s = blobs(80, 80);
        float[][] a = Augment.DEFAULT.segmentationCrop(s, 40, 50f, 0.02f, new Random(5));
        float[][] b = Augment.DEFAULT.segmentationCrop(s, 40, 50f, 0.02f, new Random(5));
        float[][] c = Augment.DEFAULT.segmentationCrop(s, 40, 50f, 0.02f, new Random(6));
        assertArrayEquals(a[0], b[0]);
        assertArrayEquals(a[1], b[1]);
        assertNotEquals(java.util.Arrays.hashCode(a[0]), java.util.Arrays.hashCode(c[0]));
        for (float x : a[0]) {
            // normalised (x - 50) * 0.02 is in [-0.8, 1]; contrast 0.2 and brightness 0.1 keep it near
            assertTrue(x > -1.2 && x < 1.4, "value " + x);
        }
    }

    @Test
    void balancedSamplingDrawsEachClassAboutEquallyOften() {
        Balanced<String> b = new Balanced<>(Map.of("rare", List.of("r"), "common", List.of("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8")));
        Random r = new Random(1);
        int rare = 0;
        for (int i = 0; i < 10000; i++) {
            if (b.next(r).equals("r")) {
                rare++;
            }
        }
        assertTrue(Math.abs(rare - 5000) < 300, rare + " of 10000 draws were the rare class");
    }

    @Test
    void colourJitterChangesChannelsIndependently() {
        int w = 8, h = 8, n = w * h;
        float[] px = new float[3 * n];
        java.util.Arrays.fill(px, 128f);
        Sample s = new Sample("grey", "g", 3, h, w, px, null, 0);
        Augment colour = new Augment(false, false, 1, 1, 0, 0, 0.2);
        ij.process.ImageProcessor ip = colour.classificationView(s, new Random(2));
        int c = ((int[]) ip.getPixels())[0];
        int red = (c >> 16) & 0xff, green = (c >> 8) & 0xff, blue = c & 0xff;
        assertTrue(red != green || green != blue, "a grey pixel stays grey: " + red + "," + green + "," + blue);
        assertTrue(Math.abs(red - 128) <= 26 && Math.abs(green - 128) <= 26 && Math.abs(blue - 128) <= 26);
    }
}
