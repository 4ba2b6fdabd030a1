package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pair loops (2 x 2 max-pool rows, 2x up-sampling across a row) in the form this JVM runs (the Vector API's under
 * the main test run, plain Java in the build's second run) give exactly the plain form's values: lengths around the
 * vector width (its tails), offsets into the arrays, and NaN, infinities and signed zeros in the input (which a max
 * must order as Math.max does).
 */
class PairRowsTest {
    private static final PairRows BEST = PairRows.best(), PLAIN = new PairRows.Plain();

    @Test
    void theFormInUseIsTheOneTheJvmAskedFor() {
        if (System.getProperty("neuralj.expectVector") != null) {   // set by the build: a Vector API run and a plain-Java run
            assertEquals(Boolean.getBoolean("neuralj.expectVector"), !(BEST instanceof PairRows.Plain), BEST.getClass().getName());
        }
    }

    @Test
    void maxOfPairsEqualsThePlainLoop() {
        Random r = new Random(31);
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 256}) {
            float[] x = values(r, 4 * n + 9);
            int top = 3, below = 3 + 2 * n + 5;
            float[] want = new float[n + 4], got = new float[n + 4];
            PLAIN.max2x2(x, top, below, want, 2, n);
            BEST.max2x2(x, top, below, got, 2, n);
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "n " + n + " at " + i);
            }
        }
    }

    @Test
    void doublingAcrossEqualsThePlainLoop() {
        Random r = new Random(37);
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 255}) {
            float[] x = values(r, n + 6);
            float[] want = new float[2 * n + 8], got = new float[2 * n + 8];
            PLAIN.doubleAcross(x, 2, n, 0.75f, 0.25f, 0.25f, 0.75f, want, 3);
            BEST.doubleAcross(x, 2, n, 0.75f, 0.25f, 0.25f, 0.75f, got, 3);
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "n " + n + " at " + i);
            }
        }
    }

    /** Gaussian values with a few NaNs, infinities and zeros of both signs mixed in. */
    private static float[] values(Random r, int n) {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(10) == 0 ? special[r.nextInt(special.length)] : (float) r.nextGaussian();
        }
        return x;
    }
}
