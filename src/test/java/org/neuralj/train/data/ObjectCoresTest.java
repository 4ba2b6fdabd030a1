package org.neuralj.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.neuralj.image.Instances;

class ObjectCoresTest {

    /** Two discs of radius r touching along x = cx (labels 1 and 2), and a 2 x 2 object (label 3). */
    static int[] touchingDiscs(int w, int h, int r) {
        int[] lab = new int[w * h];
        int cy = h / 2, c1 = w / 2 - r + 1, c2 = w / 2 + r - 1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d1 = Math.hypot(x - c1, y - cy), d2 = Math.hypot(x - c2, y - cy);
                if (d1 <= r || d2 <= r) {
                    lab[y * w + x] = d1 <= d2 ? 1 : 2;
                }
            }
        }
        lab[2 * w + 2] = lab[2 * w + 3] = lab[3 * w + 2] = lab[3 * w + 3] = 3;
        return lab;
    }

    @Test
    void touchingObjectsGetCoresFarApartInsideThemAndSmallObjectsKeepOne() {
        int w = 80, h = 50, r = 14;
        int[] lab = touchingDiscs(w, h, r);
        byte[] core = ObjectCores.of(lab, w, h);
        int[] coreArea = new int[4], area = new int[4];
        for (int i = 0; i < lab.length; i++) {
            area[lab[i]]++;
            if (core[i] != 0) {
                assertTrue(lab[i] != 0, "core pixel " + i + " outside every object");
                coreArea[lab[i]]++;
            }
        }
        // a disc's core is a disc of about half its radius: a quarter of its area
        for (int l = 1; l <= 2; l++) {
            double share = coreArea[l] / (double) area[l];
            assertTrue(share > 0.15 && share < 0.4, "object " + l + ": core share " + share);
        }
        assertTrue(coreArea[3] >= 1, "the 2 x 2 object keeps a core");
        // the two discs' cores are separate objects, well apart where the discs touch
        byte[] mask = new byte[core.length];
        for (int i = 0; i < core.length; i++) {
            mask[i] = core[i] != 0 ? (byte) 255 : 0;
        }
        assertEquals(3, Instances.count(Instances.components(new ij.process.ByteProcessor(w, h, mask))));
        int gap = 0;
        for (int x = 0; x < w; x++) {
            gap += core[h / 2 * w + x] == 0 && lab[h / 2 * w + x] != 0 ? 1 : 0;
        }
        assertTrue(gap >= r, gap + " non-core object pixels on the line through both middles");
    }

    @Test
    void anObjectCutByTheImageBorderKeepsItsCoreAwayFromItsRealEdgesOnly() {
        // a half disc against the top border: its core touches the border (the object goes on beyond it)
        int w = 40, h = 20, r = 12;
        int[] lab = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                lab[y * w + x] = Math.hypot(x - 20, y) <= r ? 1 : 0;
            }
        }
        byte[] core = ObjectCores.of(lab, w, h);
        assertEquals(1, core[20], "the middle of the cut edge is core");
        assertEquals(0, core[(r - 1) * w + 20], "next to the real edge is not");
    }
}
