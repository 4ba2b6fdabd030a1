package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.UnaryOp;

/** The direct depthwise path against the plain formula: strides, dilations, pads, bias, activation, borders. */
class CpuDepthwiseConvTest {
    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void conv2dAndTransposeMatchTheFormula() {
        Random r = new Random(3);
        try (CpuThreads threads = new CpuThreads(2)) {
            for (int trial = 0; trial < 60; trial++) {
                int n = 1 + r.nextInt(2), c = 1 + r.nextInt(3), h = 1 + r.nextInt(40), wd = 1 + r.nextInt(150);
                int kh = 1 + r.nextInt(5), kw = 1 + r.nextInt(9);
                int sh = 1 + r.nextInt(2), sw = 1 + (trial % 3 == 0 ? 1 : 0), dh = 1 + r.nextInt(2), dw = 1 + (trial % 4 == 0 ? 1 : 0);
                int pt = r.nextInt(kh + 1), pl = r.nextInt(kw + 1), pb = r.nextInt(kh + 1), pr = r.nextInt(kw + 1);
                int oh = ConvSpec.convOut(h, kh, sh, pt, pb, dh), ow = ConvSpec.convOut(wd, kw, sw, pl, pr, dw);
                if (oh < 1 || ow < 1) {
                    continue;
                }
                Activation act = trial % 5 == 0 ? Activation.of(UnaryOp.RELU) : Activation.NONE;
                ConvSpec s = new ConvSpec(sh, sw, pt, pl, pb, pr, dh, dw, c, oh, ow, act);
                float[] x = random(r, n * c * h * wd), w = random(r, c * kh * kw), b = trial % 2 == 0 ? random(r, c) : null;
                int[] xs = {n, c, h, wd}, ws = {c, 1, kh, kw};
                assertTrue(CpuDepthwiseConv.handles(xs, ws, s));
                float[] y = CpuDepthwiseConv.conv2d(threads, x, xs, w, ws, b, s, new float[xs[0] * ws[0] * s.outH() * s.outW()]);
                float[] ref = new float[y.length];
                for (int i = 0; i < n * c; i++) {
                    int ch = i % c;
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double sum = b == null ? 0 : b[ch];
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        sum += x[(i * h + iy) * wd + ix] * w[(ch * kh + ky) * kw + kx];
                                    }
                                }
                            }
                            ref[(i * oh + oy) * ow + ox] = act.isIdentity() ? (float) sum : (float) Math.max(0, sum);
                        }
                    }
                }
                assertClose(ref, y, "conv2d trial " + trial + " " + java.util.Arrays.toString(xs) + " k " + kh + "x" + kw + " " + s);
                // transposed: scatter form as reference
                int toh = (h - 1) * sh - pt - pb + dh * (kh - 1) + 1, tow = (wd - 1) * sw - pl - pr + dw * (kw - 1) + 1;
                if (toh < 1 || tow < 1) {
                    continue;
                }
                ConvSpec t = new ConvSpec(sh, sw, pt, pl, pb, pr, dh, dw, c, toh, tow, Activation.NONE);
                float[] yt = CpuDepthwiseConv.convTranspose2d(threads, x, xs, w, ws, b, t, new float[n * c * toh * tow]);
                float[] rt = new float[n * c * toh * tow];
                for (int i = 0; i < n * c; i++) {
                    int ch = i % c;
                    for (int p = 0; p < toh * tow; p++) {
                        rt[i * toh * tow + p] = b == null ? 0 : b[ch];
                    }
                    for (int iy = 0; iy < h; iy++) {
                        for (int ix = 0; ix < wd; ix++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int oy = iy * sh - pt + ky * dh, ox = ix * sw - pl + kx * dw;
                                    if (oy >= 0 && oy < toh && ox >= 0 && ox < tow) {
                                        rt[(i * toh + oy) * tow + ox] += x[(i * h + iy) * wd + ix] * w[(ch * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                    }
                }
                assertClose(rt, yt, "convTranspose2d trial " + trial + " " + java.util.Arrays.toString(xs) + " k " + kh + "x" + kw + " " + t);
            }
        }
    }

    static void assertClose(float[] e, float[] a, String what) {
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= 1e-4 + 1e-4 * Math.abs(e[i]))) {
                throw new AssertionError(what + ": index " + i + " expected " + e[i] + " got " + a[i]);
            }
        }
    }
}
