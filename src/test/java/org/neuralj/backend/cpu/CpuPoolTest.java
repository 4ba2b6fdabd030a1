package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.backend.cpu.Close.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.PoolSpec.Kind;
import org.neuralj.backend.Tensor;

class CpuPoolTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static float[] pool(float[] x, int[] xs, PoolSpec s) {
        try (Tensor t = cpu.upload(x, xs); Tensor y = cpu.pool2d(t, s)) {
            assertArrayEquals(new int[] {xs[0], xs[1], s.outH(), s.outW()}, y.shape());
            return cpu.download(y);
        }
    }

    private static PoolSpec spec(Kind kind, int k, int stride, int pad, int padEnd, boolean include, int out) {
        return new PoolSpec(kind, k, k, stride, stride, pad, pad, padEnd, padEnd, 1, 1, include, out, out);
    }

    /**
     * A max-pool of a lane convolution's output, held in channel blocks (ChannelBlocks), pools the blocks into blocks
     * (CpuPool.maxOfBlocks): the same values as pooling the downloaded planes, windows cut by the padding and all
     * negative (the zero border is not the padding), a NaN kept; an average pool of blocks reads them as planes.
     */
    @Test
    void poolingChannelBlocksGivesThePlanesValues() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sgemm.vector() != null, "channel blocks come from the vector lanes");
        Random r = new Random(29);
        int[] xs = {2, 40, 9, 11}, ws = {48, 40, 3, 3};
        float[] w = new float[48 * 40 * 9];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.05f;
        }
        float[] bias = new float[48];
        java.util.Arrays.fill(bias, -3f);                    // most outputs negative: a zero taken from the border would show
        float[] x = new float[2 * 40 * 99];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        x[40 * 99 + 5 * 11 + 6] = Float.NaN;                  // image 1, channel 0: NaN in every output channel's window there
        org.neuralj.backend.ConvSpec conv = new org.neuralj.backend.ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 11,
                org.neuralj.backend.Activation.NONE);
        PoolSpec[] specs = {
            new PoolSpec(Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, 5, 6),   // a ResNet's 3 x 3 / 2, padding 1
            new PoolSpec(Kind.MAX, 2, 3, 1, 2, 0, 2, 1, 2, 1, 1, false, 9, 7),   // 2 x 3, stride 1 x 2, padding past one side
            new PoolSpec(Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 5, 6),
        };
        try (Tensor tx = cpu.upload(x, xs); Tensor tw = cpu.upload(w, ws); Tensor tb = cpu.upload(bias, 48)) {
            for (PoolSpec s : specs) {
                try (Tensor y = cpu.conv2d(tx, tw, tb, conv); Tensor pooled = cpu.pool2d(y, s)) {
                    float[] planes = cpu.download(y);            // y's storage is planes from here on
                    float[] expected = pool(planes, y.shape(), s);
                    float[] got = cpu.download(pooled);
                    assertArrayEquals(expected, got, s.toString());
                    assertTrue(Float.isNaN(got[48 * s.outH() * s.outW() + 2 * s.outW() + 3]) || s.kind() == Kind.AVERAGE
                            || s.strideH() == 1, "NaN kept: " + s);
                }
            }
        }
    }

    @Test
    void maxPool2x2() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        assertArrayEquals(new float[] {6, 8, 14, 16}, pool(x, new int[] {1, 1, 4, 4}, spec(Kind.MAX, 2, 2, 0, 0, false, 2)));
    }

    @Test
    void maxPool2x2OnOddPlanesDropsTheLastRowAndColumnAndKeepsNaN() {
        // 7x9 planes, 3x3 outputs: the last row and the last three columns unread (the 2x2 fast path)
        int c = 3, h = 7, w = 9;
        float[] x = new float[c * h * w];
        Random r = new Random(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        x[w + 1] = Float.NaN;                            // plane 0, window (0, 0)
        float[] y = pool(x, new int[] {1, c, h, w}, spec(Kind.MAX, 2, 2, 0, 0, false, 3));
        assertEquals(c * 3 * 3, y.length);
        for (int p = 0; p < c; p++) {
            for (int oy = 0; oy < 3; oy++) {
                for (int ox = 0; ox < 3; ox++) {
                    int i = p * h * w + 2 * oy * w + 2 * ox;
                    float expected = Math.max(Math.max(x[i], x[i + 1]), Math.max(x[i + w], x[i + w + 1]));
                    assertEquals(expected, y[(p * 3 + oy) * 3 + ox], 0f, "plane " + p + " (" + oy + ", " + ox + ")");
                }
            }
        }
        assertTrue(Float.isNaN(y[0]), "a NaN in the window gives NaN, as the general loop does");
    }

    @Test
    void ceilModeWindowsHangOffTheEdge() {
        // 5x5 of 1..25, k2 s2, ceil_mode: out 3x3; the last windows see one row / column only
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i + 1;
        }
        assertArrayEquals(new float[] {7, 9, 10, 17, 19, 20, 22, 24, 25},
                pool(x, new int[] {1, 1, 5, 5}, spec(Kind.MAX, 2, 2, 0, 0, false, 3)));
        // average: divisor is the count inside the input (no padding, so include_pad changes nothing)
        float[] avg = {4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25};
        assertArrayEquals(avg, pool(x, new int[] {1, 1, 5, 5}, spec(Kind.AVERAGE, 2, 2, 0, 0, false, 3)));
        assertArrayEquals(avg, pool(x, new int[] {1, 1, 5, 5}, spec(Kind.AVERAGE, 2, 2, 0, 0, true, 3)));
    }

    @Test
    void averageWithPaddingCountsBothWays() {
        // 3x3 of ones, k3 s1 pad 1: interior 9/9; include_pad divides corners by 9 (4 ones), else by 4
        float[] x = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        float[] incl = {4 / 9f, 6 / 9f, 4 / 9f, 6 / 9f, 1, 6 / 9f, 4 / 9f, 6 / 9f, 4 / 9f};
        assertClose(incl, pool(x, new int[] {1, 1, 3, 3}, spec(Kind.AVERAGE, 3, 1, 1, 1, true, 3)), "include pad");
        float[] excl = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        assertClose(excl, pool(x, new int[] {1, 1, 3, 3}, spec(Kind.AVERAGE, 3, 1, 1, 1, false, 3)), "exclude pad");
        // ceil mode with pad 1 on a 4-wide row (ONNX averagepool_2d_ceil-like): k3 s2 p1 -> out 3 (ceil),
        // the last window [3, 6) has one input column (3), the padded box ends at 5, so 2 of its 3 count
        float[] row = {1, 2, 3, 4};
        PoolSpec s = new PoolSpec(Kind.AVERAGE, 1, 3, 1, 2, 0, 1, 0, 1, 1, 1, true, 1, 3);
        assertClose(new float[] {3 / 3f, 9 / 3f, 4 / 2f}, pool(row, new int[] {1, 1, 1, 4}, s), "ceil include pad");
        s = new PoolSpec(Kind.AVERAGE, 1, 3, 1, 2, 0, 1, 0, 1, 1, 1, false, 1, 3);
        assertClose(new float[] {3 / 2f, 9 / 3f, 4 / 1f}, pool(row, new int[] {1, 1, 1, 4}, s), "ceil exclude pad");
    }

    @Test
    void maxWindowEntirelyInPaddingIsMinusInfinity() {
        PoolSpec s = new PoolSpec(Kind.MAX, 1, 2, 1, 3, 0, 0, 0, 0, 1, 1, false, 1, 2);
        float[] y = pool(new float[] {5, 6, 7}, new int[] {1, 1, 1, 3}, s);
        assertArrayEquals(new float[] {6, Float.NEGATIVE_INFINITY}, y);
    }

    /** The PoolSpec Javadoc, literally. */
    static float[] naivePool(float[] x, int[] xs, PoolSpec s) {
        int h = xs[2], w = xs[3];
        float[] y = new float[xs[0] * xs[1] * s.outH() * s.outW()];
        int o = 0;
        for (int p = 0; p < xs[0] * xs[1]; p++) {
            for (int oy = 0; oy < s.outH(); oy++) {
                for (int ox = 0; ox < s.outW(); ox++) {
                    double sum = 0;
                    float max = Float.NEGATIVE_INFINITY;
                    int in = 0;
                    int box = 0;
                    for (int ky = 0; ky < s.kernelH(); ky++) {
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                            int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                            if (iy >= -s.padTop() && iy < h + s.padBottom() && ix >= -s.padLeft() && ix < w + s.padRight()) {
                                box++;
                            }
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                in++;
                                float v = x[(p * h + iy) * w + ix];
                                sum += v;
                                max = Math.max(max, v);
                            }
                        }
                    }
                    y[o++] = s.kind() == Kind.MAX ? max : (float) (sum / (s.countIncludePad() ? box : in));
                }
            }
        }
        return y;
    }

    @Test
    void randomGeometryMatchesNaive() {
        Random r = new Random(2);
        for (int trial = 0; trial < 200; trial++) {
            int k = 1 + r.nextInt(4), st = 1 + r.nextInt(3), d = 1 + r.nextInt(2), pad = r.nextInt(k);
            int padEnd = r.nextInt(k);
            int h = 4 + r.nextInt(9), w = 4 + r.nextInt(9);
            boolean ceil = r.nextBoolean();
            int span = d * (k - 1) + 1;
            int oh = (int) ((ceil ? Math.ceil((h + pad + padEnd - span) / (double) st) : Math.floor((h + pad + padEnd - span) / (double) st)) + 1);
            int ow = (int) ((ceil ? Math.ceil((w + pad + padEnd - span) / (double) st) : Math.floor((w + pad + padEnd - span) / (double) st)) + 1);
            if (oh < 1 || ow < 1) {
                continue;
            }
            Kind kind = r.nextBoolean() ? Kind.MAX : Kind.AVERAGE;
            PoolSpec s = new PoolSpec(kind, k, k, st, st, pad, pad, padEnd, padEnd, d, d, r.nextBoolean(), oh, ow);
            int[] xs = {2, 3, h, w};
            float[] x = Close.random(r, 2 * 3 * h * w);
            assertClose(naivePool(x, xs, s), pool(x, xs, s), 1e-6, 1e-6, "pool " + s);
        }
    }
}
