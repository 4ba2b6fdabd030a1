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
            // the U-Net's 2x2 max-pool: no window leaves the plane, so no bounds tests (same values as below). The two
            // input rows' maximum first, over copies at offset 0 (a loop HotSpot vectorises; with the second row at an
            // offset it does not), then one scalar maximum an output: 3 scalar maxima an output took 2-2.5x the time
            // (16 planes of 512², one thread). The Vector API gathered the pairs faster still, but its code runs boxed
            // until the JIT has compiled it: `neuralj segment` on one image took 0.2-0.3 s longer.
            threads.forRange(planes * oh, Math.max(1, 4096 / ow), (from, to) -> {
                float[][] pair = Workspace.get().rowPair(2 * ow);
                float[] upper = pair[0], lower = pair[1];
                for (int r = from; r < to; r++) {              // output row oy = r % oh of plane r / oh
                    int top = (r / oh) * h * w + 2 * (r % oh) * w;
                    System.arraycopy(x, top, upper, 0, 2 * ow);
                    System.arraycopy(x, top + w, lower, 0, 2 * ow);
                    for (int i = 0; i < 2 * ow; i++) {
                        upper[i] = Math.max(upper[i], lower[i]);
                    }
                    for (int ox = 0, yo = r * ow; ox < ow; ox++) {
                        y[yo + ox] = Math.max(upper[2 * ox], upper[2 * ox + 1]);
                    }
                }
            });
            return y;
        }
        if (max && s.dilationH() == 1 && s.dilationW() == 1) {
            separableMax(threads, x, xs, s, y);
            return y;
        }
        // Each window's rows and columns inside the input, worked out once per output row and column, so the
        // taps need no bounds tests (ResNet's 3 x 3 / 2 max-pool ran at 25 ns an output with them).
        int kh = s.kernelH(), kw = s.kernelW(), dh = s.dilationH(), dw = s.dilationW();
        int[] colFirst = new int[ow], colEnd = new int[ow], colsInBox = new int[ow];
        for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * s.strideW() - s.padLeft();
            colFirst[ox] = firstInside(x0, dw);
            colEnd[ox] = endInside(x0, dw, kw, w);
            colsInBox[ox] = endInside(x0, dw, kw, w + s.padRight()); // x0 >= -padLeft: the box's left edge never cuts
        }
        threads.forRange(planes, 1, (from, to) -> {
            for (int pl = from; pl < to; pl++) {               // y[pl][oy][ox], pl = n*C + c
                int xo = pl * h * w;
                int yo = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * s.strideH() - s.padTop();
                    int rowFirst = firstInside(y0, dh), rowEnd = endInside(y0, dh, kh, h);
                    int rowsInBox = endInside(y0, dh, kh, h + s.padBottom());
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * s.strideW() - s.padLeft();
                        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                        for (int ky = rowFirst; ky < rowEnd; ky++) {
                            int row = xo + (y0 + ky * dh) * w + x0;
                            for (int kx = colFirst[ox]; kx < colEnd[ox]; kx++) {
                                float v = x[row + kx * dw];
                                acc = max ? Math.max(acc, v) : acc + v;
                            }
                        }
                        if (!max) {
                            int inside = Math.max(0, rowEnd - rowFirst) * Math.max(0, colEnd[ox] - colFirst[ox]);
                            acc /= s.countIncludePad() ? rowsInBox * colsInBox[ox] : inside;
                        }
                        y[yo + oy * ow + ox] = acc;
                    }
                }
            }
        });
        return y;
    }

    /**
     * Max pooling without dilation in two passes per output row: the maximum over the window's rows at every
     * input column (a plain loop over the row, which the JIT vectorises) into a row buffer with the left and right
     * padding filled with -inf, then over the window's columns of that buffer with no bounds tests. ResNet's 3 x 3 / 2
     * max-pool does 3 scalar maxes an output instead of 9; without the padded buffer (bounds worked out per output)
     * it ran 3.4x slower. Same values as the direct loop (max is exact in any order; -inf never wins over an input).
     */
    private static void separableMax(CpuThreads threads, float[] x, int[] xs, PoolSpec s, float[] y) {
        final int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        final int oh = s.outH(), ow = s.outW(), kh = s.kernelH(), kw = s.kernelW(), sw = s.strideW(), padLeft = s.padLeft();
        // buffer index j holds input column j - padLeft (-inf outside the input); the last window ends at (ow - 1) * sw + kw
        final int length = Math.max((ow - 1) * sw + kw, padLeft + w);
        threads.forRange(planes, 1, (from, to) -> {
            float[] rows = new float[length];
            java.util.Arrays.fill(rows, Float.NEGATIVE_INFINITY);
            for (int pl = from; pl < to; pl++) {
                int xo = pl * h * w;
                int yo = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * s.strideH() - s.padTop();
                    int rowFirst = firstInside(y0, 1), rowEnd = endInside(y0, 1, kh, h);
                    int out = yo + oy * ow;
                    if (rowFirst >= rowEnd) {          // the window lies in the padding only
                        java.util.Arrays.fill(y, out, out + ow, Float.NEGATIVE_INFINITY);
                        continue;
                    }
                    System.arraycopy(x, xo + (y0 + rowFirst) * w, rows, padLeft, w);
                    for (int ky = rowFirst + 1; ky < rowEnd; ky++) {
                        int row = xo + (y0 + ky) * w - padLeft;
                        for (int i = padLeft; i < padLeft + w; i++) {
                            rows[i] = Math.max(rows[i], x[row + i]);
                        }
                    }
                    if (kw == 3 && sw == 2) {
                        // a window's last column is the next one's first: carried over, 2 loads an output instead of 3
                        // (56 outputs, one thread, a loop of its own: 85 -> 66 ns)
                        float first = rows[0];
                        for (int ox = 0, j = 0; ox < ow; ox++, j += 2) {
                            float last = rows[j + 2];
                            y[out + ox] = Math.max(Math.max(first, rows[j + 1]), last);
                            first = last;
                        }
                    } else if (kw == 3) {
                        for (int ox = 0, j = 0; ox < ow; ox++, j += sw) {
                            y[out + ox] = Math.max(Math.max(rows[j], rows[j + 1]), rows[j + 2]);
                        }
                    } else {
                        for (int ox = 0, j = 0; ox < ow; ox++, j += sw) {
                            float acc = rows[j];
                            for (int kx = 1; kx < kw; kx++) {
                                acc = Math.max(acc, rows[j + kx]);
                            }
                            y[out + ox] = acc;
                        }
                    }
                }
            }
        });
    }

    /** Whether {@link #maxOfBlocks} takes the pooling: max, no dilation. */
    static boolean poolsBlocks(PoolSpec s) {
        return s.kind() == PoolSpec.Kind.MAX && s.dilationH() == 1 && s.dilationW() == 1;
    }

    /**
     * Max pooling of x held in channel blocks (xb) into y in channel blocks (yb, its border zeroed): every pixel's 16
     * channels at once, each window tap one or a few vector maxima (a ResNet's 3 x 3 / 2 max-pool after a stem on the lanes;
     * on planes each output took three scalar maxima). Same values as {@link #pool2d} (a max is exact in any order).
     */
    static float[] maxOfBlocks(CpuThreads threads, float[] x, ChannelBlocks xb, PoolSpec s, float[] y, ChannelBlocks yb) {
        final int oh = s.outH(), ow = s.outW();
        final int[][] cols = columnWindows(s, xb.w());
        yb.zeroTail(y);
        final int planes = xb.n() * xb.blocks();
        threads.forRange(planes * oh, Math.max(1, 2048 / (ow * ChannelBlocks.BLOCK)), (from, to) -> {
            for (int r = from; r < to; r++) {                 // output row oy of block b of image img
                int img = r / oh / xb.blocks(), b = r / oh % xb.blocks(), oy = r % oh;
                maxRowOfBlocks(x, xb, img, 0, xb.h(), s, cols, y, yb, img, b, oy);
            }
        });
        return y;
    }

    /** For each output column of the pooling over an input w wide: {first, one past the last} input column inside it. */
    static int[][] columnWindows(PoolSpec s, int w) {
        int[][] cols = new int[2][s.outW()];
        for (int ox = 0; ox < s.outW(); ox++) {
            int x0 = ox * s.strideW() - s.padLeft();
            cols[0][ox] = x0 + firstInside(x0, 1);
            cols[1][ox] = x0 + endInside(x0, 1, s.kernelW(), w);
        }
        return cols;
    }

    /**
     * Output row oy of channel block b of image img, into y's blocks (its border beside the row zeroed), max-pooled from
     * image xImg of x's blocks, an input h rows high of which x holds rows from {@code firstRow} on (all of them, or a
     * band); cols from {@link #columnWindows}.
     */
    static void maxRowOfBlocks(float[] x, ChannelBlocks xb, int xImg, int firstRow, int h, PoolSpec s, int[][] cols,
                               float[] y, ChannelBlocks yb, int img, int b, int oy) {
        final GemmKernel gemm = Sgemm.vector();                // there are channel blocks only where it is
        final int block = ChannelBlocks.BLOCK;
        int y0 = oy * s.strideH() - s.padTop();
        int rowFirst = y0 + firstInside(y0, 1), rowEnd = y0 + endInside(y0, 1, s.kernelH(), h);
        for (int ox = 0; ox < s.outW(); ox++) {
            gemm.blockMax(x, xb.at(xImg, b * block, rowFirst - firstRow, cols[0][ox]), xb.rowFloats(), Math.max(0, rowEnd - rowFirst),
                    Math.max(0, cols[1][ox] - cols[0][ox]), y, yb.at(img, b * block, oy, ox));
        }
        yb.zeroBorderOf(y, img, b, oy);
    }

    /** The first tap k with start + k * dilation >= 0. */
    private static int firstInside(int start, int dilation) {
        return start >= 0 ? 0 : (-start + dilation - 1) / dilation;
    }

    /** One past the last tap k < taps with start + k * dilation < limit (0 when none is). */
    private static int endInside(int start, int dilation, int taps, int limit) {
        return start >= limit ? 0 : Math.min(taps, (limit - 1 - start) / dilation + 1);
    }
}
