package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ij.process.ImageProcessor;
import org.junit.jupiter.api.Test;

class InstancesTest {

    @Test
    void seededWatershedSplitsTouchingObjectsWhereTheCoreProbabilityIsLowest() {
        // two overlapping discs as one saturated foreground; the core channel peaks at each middle and
        // falls off, with the lower valley at x = 44 (off the foreground's own waist at x = 40)
        int w = 80, h = 40, r = 14, c1 = 30, c2 = 50, cy = 20;
        byte[] prob = new byte[w * h];
        byte[] core = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d1 = Math.hypot(x - c1, y - cy), d2 = Math.hypot(x - c2, y - cy);
                if (d1 <= r || d2 <= r) {
                    prob[y * w + x] = (byte) 250;
                }
                double valley = x < 44 ? 1 - d1 / 14 : 1 - d2 / 6;
                core[y * w + x] = (byte) Math.round(255 * Math.max(0, Math.min(1, valley)));
            }
        }
        prob[2 * w + 2] = (byte) 250; // foreground no seed reaches: an object of its own
        ImageProcessor labels = Instances.seededWatershed(prob, core, w, h, 127, Instances.SEED_LEVEL, Instances.MIN_SEED);
        assertEquals(3, Instances.count(labels));
        int left = (int) labels.getf(cy * w + c1), right = (int) labels.getf(cy * w + c2);
        assertNotEquals(left, right);
        for (int x = c1; x <= c2; x++) {
            assertEquals(x < 44 ? left : right, (int) labels.getf(cy * w + x), "x = " + x);
        }
        assertEquals(0, (int) labels.getf(0), "background stays 0");
    }

    @Test
    void seedsBelowTheMinimumSizeAreFloodedByTheirNeighbours() {
        int w = 30, h = 10;
        byte[] prob = new byte[w * h];
        byte[] core = new byte[w * h];
        java.util.Arrays.fill(prob, (byte) 250);
        for (int y = 3; y < 7; y++) {
            for (int x = 3; x < 7; x++) {
                core[y * w + x] = (byte) 255; // 16-pixel seed
            }
        }
        core[5 * w + 25] = (byte) 255;    // 1-pixel seed: noise
        assertEquals(1, Instances.count(Instances.seededWatershed(prob, core, w, h, 127, Instances.SEED_LEVEL, Instances.MIN_SEED)));
    }
}
