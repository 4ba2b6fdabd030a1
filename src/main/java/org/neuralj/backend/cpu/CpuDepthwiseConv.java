package org.neuralj.backend.cpu;

import org.neuralj.backend.ConvSpec;

/**
 * Direct (no im2col, no GEMM) convolution for one input channel per output channel: depthwise
 * convolutions (groups == C == M, MobileNet-style) and plain single-channel convolutions (C == M == 1),
 * which is what every classic image filter is (a Gaussian pass, a Sobel, a custom kernel over planes).
 * For these im2col + GEMM does K = kH*kW work per column for a 1-row GEMM, which is memory bound and
 * slow; here every kernel tap is one pass of {@code acc[ox] += w * x[ox + base]} over an output row
 * that stays in L1, a loop HotSpot vectorises. Tasks are (image, channel, block of output rows), spread
 * over all cores.
 *
 * <p>Same semantics as {@link CpuConv}: cross-correlation, zeros outside x, bias and the fused activation
 * in the epilogue. Transposed convolution with the same channel structure is here too (used by
 * ImageJ-style upscaling in the Gaussian filter).
 */
final class CpuDepthwiseConv {
    /** The inner row loop: Vector API when the JVM has it, else plain Java. */
    private static final DepthwiseRows ROWS = DepthwiseRows.best();
    /** Output rows per task are chosen so there are about this many tasks per thread (load balance). */
    private static final int TASKS_PER_THREAD = 4;

    private CpuDepthwiseConv() {
    }

    /** True when each output channel reads exactly its own input channel: groups == C == M (C may be 1). */
    static boolean handles(int[] xs, int[] ws, ConvSpec s) {
        return s.groups() == xs[1] && ws[0] == xs[1] && ws[1] == 1;
    }

    /** True for a transposed convolution with one input channel per output channel (w [C, 1, kH, kW], groups == C). */
    static boolean handlesTranspose(int[] xs, int[] ws, ConvSpec s) {
        return s.groups() == xs[1] && ws[0] == xs[1] && ws[1] == 1;
    }

    /** Into y [N, C, oH, oW]: each row starts at the bias and accumulates the taps (y may hold anything before). */
    static float[] conv2d(CpuThreads threads, float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s, float[] y) {
        final int n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
        final int kh = ws[2], kw = ws[3];
        final int oh = s.outH(), ow = s.outW();
        final int sh = s.strideH(), sw = s.strideW(), dh = s.dilationH(), dw = s.dilationW();
        final int padT = s.padTop(), padL = s.padLeft();
        final int planes = n * c;
        final int rowsPerTask = rowsPerTask(threads, planes, oh);
        final int blocks = (oh + rowsPerTask - 1) / rowsPerTask;
        threads.forEach(planes * blocks, task -> {
            int plane = task / blocks;                       // plane = img*c + ch
            int ch = plane % c;
            int oy0 = (task % blocks) * rowsPerTask;
            int oy1 = Math.min(oh, oy0 + rowsPerTask);
            int xPlane = plane * h * wd;                      // x[img][ch][0][0]
            int wOff = ch * kh * kw;                          // w[ch][0][ky][kx]
            float b = bias == null ? 0f : bias[ch];
            int[] offs = new int[kh * kw];
            float[] wts = new float[kh * kw];
            // interior columns: every kx tap reads inside [0, wd) (stride 1 along x)
            int cLo = Math.max(0, padL);
            int cHi = Math.min(ow - 1, wd - 1 - ((kw - 1) * dw - padL));
            for (int oy = oy0; oy < oy1; oy++) {              // y[img][ch][oy][ox]
                int yRow = (plane * oh + oy) * ow;
                java.util.Arrays.fill(y, yRow, yRow + ow, b);
                if (sw == 1 && cHi >= cLo) {
                    int taps = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * sh - padT + ky * dh;
                        if (iy < 0 || iy >= h) {
                            continue;                         // zero padding row
                        }
                        for (int kx = 0; kx < kw; kx++) {
                            float wv = w[wOff + ky * kw + kx];
                            if (wv != 0f) {
                                offs[taps] = xPlane + iy * wd + kx * dw - padL + cLo;
                                wts[taps++] = wv;
                            }
                        }
                    }
                    ROWS.accumulate(y, yRow + cLo, x, offs, wts, taps, cHi - cLo + 1);
                    convColumns(x, xPlane, h, wd, w, wOff, kh, kw, s, oy, y, yRow, 0, Math.min(cLo, ow));
                    convColumns(x, xPlane, h, wd, w, wOff, kh, kw, s, oy, y, yRow, cHi + 1, ow);
                } else {
                    convColumns(x, xPlane, h, wd, w, wOff, kh, kw, s, oy, y, yRow, 0, ow);
                }
                if (!s.activation().isIdentity()) {
                    CpuElementwise.apply(s.activation(), y, yRow, y, yRow, ow);
                }
            }
        });
        return y;
    }

    /** y[yRow + ox] += the taps of output (oy, ox) for ox in [from, to), bounds checked (borders, strides). */
    private static void convColumns(float[] x, int xPlane, int h, int wd, float[] w, int wOff, int kh, int kw,
                                    ConvSpec s, int oy, float[] y, int yRow, int from, int to) {
        final int sh = s.strideH(), sw = s.strideW(), dh = s.dilationH(), dw = s.dilationW();
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * sh - s.padTop() + ky * dh;
            if (iy < 0 || iy >= h) {
                continue;
            }
            int xRow = xPlane + iy * wd;
            for (int kx = 0; kx < kw; kx++) {
                float wv = w[wOff + ky * kw + kx];
                if (wv == 0f) {
                    continue;
                }
                int base = kx * dw - s.padLeft();             // ix = ox*sw + base
                int lo = Math.max(from, ceilDiv(-base, sw));
                int hi = Math.min(to - 1, Math.floorDiv(wd - 1 - base, sw));
                for (int ox = lo; ox <= hi; ox++) {
                    y[yRow + ox] += wv * x[xRow + ox * sw + base];
                }
            }
        }
    }

    /**
     * Transposed convolution, x [N, C, H, W], w [C, 1, kH, kW], groups == C: every output pixel
     * gathers the inputs that scatter onto it, y[oy][ox] = sum x[iy][ix] * w[ky][kx] over
     * oy = iy*sh - padT + ky*dh and ox = ix*sw - padL + kx*dw; tasks own blocks of output rows, so none race.
     */
    static float[] convTranspose2d(CpuThreads threads, float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s, float[] y) {
        final int n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
        final int kh = ws[2], kw = ws[3];
        final int oh = s.outH(), ow = s.outW();
        final int sh = s.strideH(), sw = s.strideW(), dh = s.dilationH(), dw = s.dilationW();
        final int padT = s.padTop(), padL = s.padLeft();
        final int planes = n * c;
        final int rowsPerTask = rowsPerTask(threads, planes, oh);
        final int blocks = (oh + rowsPerTask - 1) / rowsPerTask;
        threads.forEach(planes * blocks, task -> {
            int plane = task / blocks;
            int ch = plane % c;
            int oy0 = (task % blocks) * rowsPerTask;
            int oy1 = Math.min(oh, oy0 + rowsPerTask);
            int xPlane = plane * h * wd;
            int wOff = ch * kh * kw;
            float b = bias == null ? 0f : bias[ch];
            for (int oy = oy0; oy < oy1; oy++) {              // y[img][ch][oy][ox]
                int yRow = (plane * oh + oy) * ow;
                if (b != 0f) {
                    java.util.Arrays.fill(y, yRow, yRow + ow, b);
                }
                for (int ky = 0; ky < kh; ky++) {
                    int t = oy + padT - ky * dh;              // = iy * sh
                    if (t < 0 || t % sh != 0 || t / sh >= h) {
                        continue;
                    }
                    int xRow = xPlane + (t / sh) * wd;
                    for (int kx = 0; kx < kw; kx++) {
                        float wv = w[wOff + ky * kw + kx];
                        if (wv == 0f) {
                            continue;
                        }
                        int base = kx * dw - padL;            // ox = ix*sw + base
                        // inputs ix in [0, wd) whose output ox lies in [0, ow)
                        int lo = Math.max(0, ceilDiv(-base, sw));
                        int hi = Math.min(wd - 1, Math.floorDiv(ow - 1 - base, sw));
                        if (hi < lo) {
                            continue;
                        }
                        if (sw == 1) {
                            axpy(y, yRow + base + lo, x, xRow + lo, wv, hi - lo + 1);
                        } else {
                            for (int ix = lo; ix <= hi; ix++) {
                                y[yRow + ix * sw + base] += wv * x[xRow + ix];
                            }
                        }
                    }
                }
                if (!s.activation().isIdentity()) {
                    CpuElementwise.apply(s.activation(), y, yRow, y, yRow, ow);
                }
            }
        });
        return y;
    }

    /** y[yOff + i] += a * x[xOff + i] for i in [0, len). */
    private static void axpy(float[] y, int yOff, float[] x, int xOff, float a, int len) {
        ROWS.accumulate(y, yOff, x, new int[] {xOff}, new float[] {a}, 1, len);
    }

    /** Which inner loop runs, for logs and benchmark tables. */
    static String describe() {
        return ROWS.describe();
    }

    private static int rowsPerTask(CpuThreads threads, int planes, int oh) {
        long wanted = (long) threads.threads() * TASKS_PER_THREAD;
        if (planes >= wanted) {
            return oh;                                       // one plane per task is enough parallelism
        }
        int blocksPerPlane = (int) ((wanted + planes - 1) / planes);
        return Math.max(1, (oh + blocksPerPlane - 1) / blocksPerPlane);
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
