package org.neuralj.backend.cpu;

import org.neuralj.backend.ResizeSpec;

/**
 * ONNX Resize of the last two axes. Every mode is separable, so each axis gets a table of taps
 * (input index and weight per output index: 1 tap NEAREST, 2 LINEAR, 4 CUBIC) and
 * y[oy][ox] = sum_ty sum_tx wy * wx * x[iy][ix]. The tables follow the ONNX reference implementation.
 */
final class CpuResize {
    private CpuResize() {
    }

    /** Input indices and weights of one axis: output o reads idx[o*taps + t] with weight w[o*taps + t]. */
    record Taps(int taps, int[] idx, float[] w) {
    }

    /** Into y [N, C, oH, oW] (every element written; y may hold anything before). */
    static float[] resize(CpuThreads threads, float[] x, int[] xs, ResizeSpec s, float[] y) {
        final int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        final int oh = s.outH(), ow = s.outW();
        Taps ty = taps(s, h, oh, s.scaleH());
        Taps tx = taps(s, w, ow, s.scaleW());
        if (ty.taps == 1 && tx.taps == 1) {
            // nearest: y[pl][oy][ox] = x[pl][iy(oy)][ix(ox)]
            threads.forRange(planes * oh, Math.max(1, 4096 / Math.max(1, ow)), (from, to) -> {
                final int[] ix = tx.idx;
                for (int r = from; r < to; r++) {
                    int row = (r / oh) * h * w + ty.idx[r % oh] * w;
                    int yo = r * ow;
                    if (r > from && r % oh > 0 && ty.idx[r % oh] == ty.idx[r % oh - 1]) {
                        System.arraycopy(y, yo - ow, y, yo, ow);  // the same source row as the row above (up-sampling)
                        continue;
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        y[yo + ox] = x[row + ix[ox]];
                    }
                }
            });
            return y;
        }
        if (ty.taps == 2 && tx.taps == 2) {
            // linear: y = wy0 * (wx0 x[iy0][ix0] + wx1 x[iy0][ix1]) + wy1 * (same on row iy1). The bracket is a
            // source row interpolated across, made once per source row a task meets (up-sampling reads each twice)
            // in a per-thread row, so each output row is a blend of two rows with no index tables (U-Net 512^2, one
            // thread: 27 -> 10 ms).
            final boolean doubled = doubled(tx, w, ow);
            // The blend runs over arrays at offset 0 into one at offset 0, then copied into y: HotSpot vectorises that
            // loop, not one reading or writing at an offset (U-Net 512², the three Resizes in the network: see README).
            threads.forRange(planes * oh, Math.max(1, 4096 / Math.max(1, ow)), (from, to) -> {
                float[][] across = Workspace.get().rowPair(ow);  // two interpolated source rows
                float[] blend = Workspace.get().rows(ow);
                int[] held = {-1, -1};                         // which source row (pl*h + iy) each holds
                for (int r = from; r < to; r++) {
                    int pl = r / oh;
                    int oy = r % oh;
                    int a = across(x, pl * h + ty.idx[2 * oy], w, ow, tx, doubled, across, held, -1);
                    int b = across(x, pl * h + ty.idx[2 * oy + 1], w, ow, tx, doubled, across, held, a);
                    float wy0 = ty.w[2 * oy];
                    float wy1 = ty.w[2 * oy + 1];
                    float[] upper = across[a], lower = across[b];
                    for (int ox = 0; ox < ow; ox++) {
                        blend[ox] = wy0 * upper[ox] + wy1 * lower[ox];
                    }
                    System.arraycopy(blend, 0, y, r * ow, ow);
                }
            });
            return y;
        }
        threads.forRange(planes * oh, Math.max(1, 4096 / Math.max(1, ow)), (from, to) -> {
            for (int r = from; r < to; r++) {                  // y[pl][oy][ox], r = pl*oh + oy
                int pl = r / oh;
                int oy = r % oh;
                int xo = pl * h * w;
                int yo = r * ow;
                for (int ox = 0; ox < ow; ox++) {
                    float acc = 0f;
                    for (int a = 0; a < ty.taps; a++) {
                        float wy = ty.w[oy * ty.taps + a];
                        int row = xo + ty.idx[oy * ty.taps + a] * w;
                        float accX = 0f;
                        for (int b = 0; b < tx.taps; b++) {
                            accX += tx.w[ox * tx.taps + b] * x[row + tx.idx[ox * tx.taps + b]];
                        }
                        acc += wy * accX;
                    }
                    y[yo + ox] = acc;
                }
            }
        });
        return y;
    }

    /**
     * Which of the two rows of {@code across} holds source row {@code row} (plane * h + iy) interpolated across (wx0
     * x[ix0] + wx1 x[ix1] for every output column), made now unless held. {@code keep} is the row the caller still
     * needs (or -1): it is not overwritten.
     */
    private static int across(float[] x, int row, int w, int ow, Taps tx, boolean doubled, float[][] across, int[] held, int keep) {
        for (int slot = 0; slot < 2; slot++) {
            if (held[slot] == row) {
                return slot;
            }
        }
        int slot = keep == 0 ? 1 : 0;
        held[slot] = row;
        final float[] wx = tx.w, out = across[slot];
        int src = row * w;
        if (!doubled) {
            interpolate(x, src, tx, out, 0, ow);
            return slot;
        }
        // outputs 2i + 1 and 2i + 2 both blend x[i] and x[i + 1]: read in order, no index tables (the same sums)
        for (int i = 0; i + 1 < w; i++) {
            float left = x[src + i], right = x[src + i + 1];
            out[2 * i + 1] = wx[4 * i + 2] * left + wx[4 * i + 3] * right;
            out[2 * i + 2] = wx[4 * i + 4] * left + wx[4 * i + 5] * right;
        }
        interpolate(x, src, tx, out, 0, 1);
        interpolate(x, src, tx, out, ow - 1, ow);
        return slot;
    }

    /** out[ox] for from &lt;= ox &lt; to: the source row at src interpolated across by the taps' tables. */
    private static void interpolate(float[] x, int src, Taps tx, float[] out, int from, int to) {
        final int[] ix = tx.idx;
        final float[] wx = tx.w;
        for (int ox = from; ox < to; ox++) {
            out[ox] = wx[2 * ox] * x[src + ix[2 * ox]] + wx[2 * ox + 1] * x[src + ix[2 * ox + 1]];
        }
    }

    /**
     * Whether linear taps up-sample by exactly 2 with every inner output o (0 &lt; o &lt; ow - 1) reading source
     * columns (o - 1) / 2 and the one after it: the U-Net's 2x bilinear, half-pixel up-sampling.
     */
    static boolean doubled(Taps t, int in, int out) {
        if (out != 2 * in || in < 2) {
            return false;
        }
        for (int o = 1; o < out - 1; o++) {
            if (t.idx[2 * o] != (o - 1) / 2 || t.idx[2 * o + 1] != (o - 1) / 2 + 1) {
                return false;
            }
        }
        return true;
    }

    static Taps taps(ResizeSpec s, int in, int out, float scale) {
        switch (s.mode()) {
            case NEAREST: {
                float[] w = new float[out];
                java.util.Arrays.fill(w, 1f);
                return new Taps(1, s.nearestIndices(in, out, scale), w);
            }
            case LINEAR: {
                int[] idx = new int[2 * out];
                float[] w = new float[2 * out];
                for (int o = 0; o < out; o++) {
                    float c = ResizeSpec.sourceCoordinate(s.coordinateMode(), o, in, out, scale);
                    c = Math.max(0f, Math.min(in - 1, c));  // outside: the edge value (ONNX pads with the edge)
                    int i0 = (int) Math.floor(c);
                    float r = c - i0;
                    idx[2 * o] = i0;
                    idx[2 * o + 1] = Math.min(i0 + 1, in - 1);
                    w[2 * o] = 1f - r;
                    w[2 * o + 1] = r;
                }
                return new Taps(2, idx, w);
            }
            case CUBIC: {
                int[] idx = new int[4 * out];
                float[] w = new float[4 * out];
                double a = s.cubicA();
                for (int o = 0; o < out; o++) {
                    float c = ResizeSpec.sourceCoordinate(s.coordinateMode(), o, in, out, scale);
                    int i0 = (int) Math.floor(c);
                    double r = c - i0;
                    // Keys kernel at distances 1+r, r, 1-r, 2-r from the neighbours i0-1 .. i0+2
                    double[] cw = {
                        ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                        ((a + 2) * r - (a + 3)) * r * r + 1,
                        ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
                        ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a,
                    };
                    double sum = 0;
                    for (int t = 0; t < 4; t++) {
                        int i = i0 - 1 + t;
                        if (s.excludeOutside() && (i < 0 || i >= in)) {
                            cw[t] = 0;
                        }
                        sum += cw[t];
                    }
                    for (int t = 0; t < 4; t++) {
                        idx[4 * o + t] = clamp(i0 - 1 + t, in); // outside neighbours read the edge
                        w[4 * o + t] = (float) (s.excludeOutside() ? cw[t] / sum : cw[t]);
                    }
                }
                return new Taps(4, idx, w);
            }
            default:
                throw new IllegalArgumentException("resize mode " + s.mode());
        }
    }

    private static int clamp(int i, int in) {
        return Math.max(0, Math.min(in - 1, i));
    }
}
