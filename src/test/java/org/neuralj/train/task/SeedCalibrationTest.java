package org.neuralj.train.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralj.image.Segmenter.SeedMaps;
import org.neuralj.image.Segmenter.SeedSettings;

class SeedCalibrationTest {

    /**
     * Two overlapping discs whose core map stays at 0.6 in the valley between their middles: seeds above 0.5
     * join into one and the pair comes out as one object; calibration raises the seed threshold until they part.
     */
    @Test
    void raisesTheSeedThresholdUntilTouchingObjectsSplit() {
        int w = 80, h = 40, r = 12, c1 = 28, c2 = 52, cy = 20;
        byte[] fg = new byte[w * h];
        byte[] cores = new byte[w * h];
        int[] truth = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d1 = Math.hypot(x - c1, y - cy), d2 = Math.hypot(x - c2, y - cy);
                double d = Math.min(d1, d2);
                if (d <= r) {
                    int i = y * w + x;
                    fg[i] = (byte) 250;
                    truth[i] = d1 <= d2 ? 1 : 2;
                    cores[i] = (byte) Math.round(255 * (0.9 - 0.3 * d / r));
                }
            }
        }
        List<SeedCalibration.Image> images = List.of(new SeedCalibration.Image(new SeedMaps(w, h, fg, cores), truth));
        SeedSettings start = new SeedSettings(0.5, 0.5, 4, 0);
        SeedCalibration.Result r0 = SeedCalibration.calibrate(images, start, s -> { });
        // one merged object for two: it matches one disc (IoU just above 0.5, the discs overlap), the other is missed
        assertEquals(0.5, r0.before().ap(0));
        assertEquals(1.0, r0.after().ap(0), SeedCalibration.describe(r0.best()));
        assertTrue(r0.best().seedThreshold() > 0.5, SeedCalibration.describe(r0.best()));
        assertEquals(start.minSeed(), r0.best().minSeed(), "settings that do not help stay as they were");
    }
}
