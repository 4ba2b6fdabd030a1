package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pixel conversions in the form this JVM runs ({@link PixelRows#BEST}: the Vector API one under the
 * build's test settings) against the plain-Java form and against ImageJ's rule, on the values where
 * conversions go wrong: NaN, infinities, negatives and -0, ties at .5, the clamping limits, and row lengths
 * that leave a tail after the last full vector.
 */
class PixelRowsTest {
    private static final float[] TRICKY = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -0.4f,
        -1e-30f, 1e-40f, 0.49999997f, 0.5f, 1.5f, 2.5f, 3f, 254.5f, 254.49998f, 255f, 255.5f, 256f, 65534.5f, 65535f,
        65535.4f, 65535.5f, 65536f, 8388607f, 8388608f, 1e10f, -1e10f, 12345.678f, 100.99999f};

    /** ImageJ's rule, written out: v + add, clamped to [0, max], truncated; NaN gives 0. */
    static int imagej(float v, float add, int max) {
        float t = v + add;
        if (Float.isNaN(t) || t <= 0) {
            return 0;
        }
        return t >= max ? max : (int) t;
    }

    static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i < TRICKY.length ? TRICKY[i] : (float) (r.nextGaussian() * 40000 + 30000);
        }
        return v;
    }

    @Test
    void theFormThisJvmShouldRun() {
        if (System.getProperty("neuralj.expectVector") != null) {   // set by the build: a Vector API run and a plain-Java run
            assertEquals(Boolean.getBoolean("neuralj.expectVector"), PixelRows.BEST instanceof VectorPixelRows,
                    PixelRows.BEST.getClass().getSimpleName());
        }
    }

    @Test
    void floatToIntegerPixelsFollowImageJsRuleInBothForms() {
        PixelRows plain = new PixelRows.Plain();
        for (int n : new int[] {TRICKY.length, 1, 15, 16, 17, 64, 1000}) {
            float[] v = values(n, n);
            for (float add : new float[] {0.5f, 0f}) {
                short[] s = new short[n + 3];
                byte[] b = new byte[n + 3];
                short[] sp = new short[n + 3];
                byte[] bp = new byte[n + 3];
                PixelRows.BEST.toU16(v, 0, s, 3, n, add);
                PixelRows.BEST.toU8(v, 0, b, 3, n, add);
                plain.toU16(v, 0, sp, 3, n, add);
                plain.toU8(v, 0, bp, 3, n, add);
                for (int i = 0; i < n; i++) {
                    String what = PixelRows.BEST.getClass().getSimpleName() + ": " + v[i] + " + " + add + " (n " + n + ", i " + i + ")";
                    assertEquals(imagej(v[i], add, 65535), s[3 + i] & 0xffff, what + " to 16-bit");
                    assertEquals(imagej(v[i], add, 255), b[3 + i] & 0xff, what + " to 8-bit");
                }
                assertArrayEquals(sp, s, "plain and " + PixelRows.BEST.getClass().getSimpleName() + " agree (16-bit)");
                assertArrayEquals(bp, b, "plain and " + PixelRows.BEST.getClass().getSimpleName() + " agree (8-bit)");
            }
        }
    }

    @Test
    void integerPixelsAreReadUnsigned() {
        int n = 70;
        short[] s = new short[n];
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) (i * 997 - 30000);
            b[i] = (byte) (i * 7 - 120);
        }
        float[] fs = new float[n + 2], fb = new float[n + 2];
        PixelRows.BEST.fromU16(s, 1, fs, 2, n - 1);
        PixelRows.BEST.fromU8(b, 1, fb, 2, n - 1);
        for (int i = 1; i < n; i++) {
            assertEquals(s[i] & 0xffff, fs[i + 1], "16-bit pixel " + i);
            assertEquals(b[i] & 0xff, fb[i + 1], "8-bit pixel " + i);
        }
    }
}
