package org.neuralj.backend.cpu;

import org.neuralj.backend.PoolSpec;

/**
 * Max and average pooling over NCHW, exactly as {@link PoolSpec} defines the window, the padding and
 * the divisor. One task per (n, c) plane.
 */
final class CpuPool {
    private CpuPool() {
    }

    /** Into y [N, C, oH, oW] (every element written; y may hold anything before). */
    static float[] pool2d(CpuThreads threads, float[] x, int[] xs, PoolSpec s, float[] y) {
        final int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        final int oh = s.outH(), ow = s.outW();
        final boolean max = s.kind() == PoolSpec.Kind.MAX;
        if (max && s.kernelH() == 2 && s.kernelW() == 2 && s.strideH() == 2 && s.strideW() == 2 && s.dilationH() == 1
                && s.dilationW() == 1 && s.padTop() == 0 && s.padLeft() == 0 && 2 * oh <= h && 2 * ow <= w) {
            // the U-Net's 2x2 max-pool: no window leaves the plane, so no bounds tests (same values as below)
            threads.forRange(planes * oh, Math.max(1, 4096 / ow), (from, to) -> {
                for (int r = from; r < to; r++) {              // output row oy = r % oh of plane r / oh
                    int top = (r / oh) * h * w + 2 * (r % oh) * w, below = top + w, yo = r * ow;
                    for (int ox = 0; ox < ow; ox++) {
                        int i = 2 * ox;
                        y[yo + ox] = Math.max(Math.max(x[top + i], x[top + i + 1]), Math.max(x[below + i], x[below + i + 1]));
                    }
                }
            });
            return y;
        }
        threads.forRange(planes, 1, (from, to) -> {
            for (int pl = from; pl < to; pl++) {               // y[pl][oy][ox], pl = n*C + c
                int xo = pl * h * w;
                int yo = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * s.strideH() - s.padTop();
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * s.strideW() - s.padLeft();
                        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                        int inside = 0;   // window positions inside the input
                        int padded = 0;   // window positions inside the padded box
                        for (int ky = 0; ky < s.kernelH(); ky++) {
                            int iy = y0 + ky * s.dilationH();
                            boolean rowInBox = iy >= -s.padTop() && iy < h + s.padBottom();
                            boolean rowIn = iy >= 0 && iy < h;
                            for (int kx = 0; kx < s.kernelW(); kx++) {
                                int ix = x0 + kx * s.dilationW();
                                if (rowInBox && ix >= -s.padLeft() && ix < w + s.padRight()) {
                                    padded++;
                                }
                                if (rowIn && ix >= 0 && ix < w) {
                                    inside++;
                                    float v = x[xo + iy * w + ix];
                                    acc = max ? Math.max(acc, v) : acc + v;
                                }
                            }
                        }
                        y[yo + oy * ow + ox] = max ? acc : acc / (s.countIncludePad() ? padded : inside);
                    }
                }
            }
        });
        return y;
    }
}
