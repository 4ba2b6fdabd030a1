package org.neuralj.backend.cpu;

import org.neuralj.backend.PoolSpec;

/**
 * Max and average pooling over NCHW, exactly as {@link PoolSpec} defines the window, the padding and
 * the divisor. One task per (n, c) plane.
 */
final class CpuPool {
    private CpuPool() {
    }

    static float[] pool2d(CpuThreads threads, float[] x, int[] xs, PoolSpec s) {
        final int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        final int oh = s.outH(), ow = s.outW();
        final boolean max = s.kind() == PoolSpec.Kind.MAX;
        float[] y = new float[planes * oh * ow];
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
