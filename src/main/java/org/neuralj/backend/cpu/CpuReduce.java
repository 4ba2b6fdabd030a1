package org.neuralj.backend.cpu;

import org.neuralj.backend.ReduceOp;

/** Softmax / log-softmax along one axis, and reductions over a set of axes. */
final class CpuReduce {
    private CpuReduce() {
    }

    /** x viewed as [outer, len, inner]; one task per (outer, inner) line. */
    static float[] softmax(CpuThreads threads, float[] x, int outer, int len, int inner, boolean log, float[] y) {
        if (len == 0) {
            return y;
        }
        threads.forRange(outer * inner, Math.max(1, 4096 / len), (from, to) -> {
            for (int line = from; line < to; line++) {         // x[o][i][k], line = o*inner + k
                int o = line / inner;
                int k = line % inner;
                int base = o * len * inner + k;
                float mx = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) {
                    mx = Math.max(mx, x[base + i * inner]);
                }
                double sum = 0;
                for (int i = 0; i < len; i++) {
                    sum += Math.exp(x[base + i * inner] - mx);
                }
                if (log) {
                    float logSum = (float) Math.log(sum);
                    for (int i = 0; i < len; i++) {
                        y[base + i * inner] = x[base + i * inner] - mx - logSum;
                    }
                } else {
                    double inv = 1.0 / sum;
                    for (int i = 0; i < len; i++) {
                        y[base + i * inner] = (float) (Math.exp(x[base + i * inner] - mx) * inv);
                    }
                }
            }
        });
        return y;
    }

    /**
     * Reduces the axes where {@code reduce[axis]}; the output has the input's rank with 1 at reduced
     * axes. Each output element walks its reduced sub-box with an odometer over the reduced axes.
     */
    static float[] reduce(CpuThreads threads, float[] x, int[] shape, ReduceOp op, boolean[] reduce, int[] outShape, float[] y) {
        int rank = shape.length;
        int[] strides = org.neuralj.backend.Tensor.stridesOf(shape);
        int nRed = 0;
        for (boolean r : reduce) {
            nRed += r ? 1 : 0;
        }
        final int[] rDims = new int[nRed];        // reduced axes: extent and stride in x
        final int[] rStr = new int[nRed];
        final int[] kDims = new int[rank - nRed]; // kept axes, in order: they index the output
        final int[] kStr = new int[rank - nRed];
        long count = 1;
        for (int ax = 0, ri = 0, ki = 0; ax < rank; ax++) {
            if (reduce[ax]) {
                rDims[ri] = shape[ax];
                rStr[ri++] = strides[ax];
                count *= shape[ax];
            } else {
                kDims[ki] = shape[ax];
                kStr[ki++] = strides[ax];
            }
        }
        final long n = count;
        int outSize = org.neuralj.backend.Tensor.elementCount(outShape);
        boolean trailing = true;                  // the reduced axes are the last ones: each output reduces one run of x
        for (int ax = 0; ax < rank; ax++) {
            trailing &= reduce[ax] == ax >= rank - nRed;
        }
        if (trailing && n > 0 && (op == ReduceOp.SUM || op == ReduceOp.MEAN || op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            // a global pool over H and W: plain loops over each run, the same sums in the same order as the odometer
            // (ResNet-18's GlobalAveragePool at batch 1 took 0.10-0.15 ms through it)
            final int len = (int) n;
            threads.forRange(outSize, Math.max(1, 65536 / len), (from, to) -> {
                for (int o = from; o < to; o++) {
                    y[o] = reduceRun(x, o * len, len, op);
                }
            });
            return y;
        }
        threads.forRange(outSize, Math.max(1, (int) Math.min(4096, 65536 / Math.max(1, n))), (from, to) -> {
            int[] idx = new int[rDims.length];
            for (int o = from; o < to; o++) {
                // base offset in x of output element o (row-major over the kept axes)
                int rem = o;
                int base = 0;
                for (int ki = kDims.length - 1; ki >= 0; ki--) {
                    base += (rem % kDims[ki]) * kStr[ki];
                    rem /= kDims[ki];
                }
                y[o] = reduceOne(x, base, rDims, rStr, idx, n, op);
            }
        });
        return y;
    }

    /**
     * SUM or MEAN over H and W of x held in channel blocks (a global average pool after a lane convolution) into y
     * [n, channels]: each channel's pixels row by row into a double, as {@link #reduceRun} sums a plane (the same value),
     * without turning the blocks into planes first.
     */
    static float[] sumOfBlocks(CpuThreads threads, float[] x, ChannelBlocks xb, boolean mean, float[] y) {
        final int h = xb.h(), w = xb.w(), block = ChannelBlocks.BLOCK, len = h * w;
        threads.forRange(xb.n() * xb.channels(), Math.max(1, 65536 / Math.max(1, len)), (from, to) -> {
            for (int o = from; o < to; o++) {
                int img = o / xb.channels(), c = o % xb.channels();
                double sum = 0;
                for (int r = 0; r < h; r++) {
                    for (int i = 0, at = xb.at(img, c, r, 0); i < w; i++, at += block) {
                        sum += x[at];
                    }
                }
                y[o] = (float) (mean ? sum / len : sum);
            }
        });
        return y;
    }

    /** SUM, MEAN, MAX or MIN of x[from .. from + len). */
    private static float reduceRun(float[] x, int from, int len, ReduceOp op) {
        if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
            double sum = 0;
            for (int i = from; i < from + len; i++) {
                sum += x[i];
            }
            return (float) (op == ReduceOp.MEAN ? sum / len : sum);
        }
        float best = op == ReduceOp.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        for (int i = from; i < from + len; i++) {
            best = op == ReduceOp.MAX ? Math.max(best, x[i]) : Math.min(best, x[i]);
        }
        return best;
    }

    private static float reduceOne(float[] x, int base, int[] dims, int[] str, int[] idx, long n, ReduceOp op) {
        java.util.Arrays.fill(idx, 0);
        double sum = 0;
        float best = op == ReduceOp.MAX || op == ReduceOp.ARGMAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        long bestAt = 0;
        int off = base;
        for (long i = 0; i < n; i++) {
            float v = x[off];
            switch (op) {
                case SUM:
                case MEAN:
                    sum += v;
                    break;
                case SUM_SQUARE:
                    sum += (double) v * v;
                    break;
                case MAX:
                    best = Math.max(best, v); // NaN propagates, as numpy's max
                    break;
                case MIN:
                    best = Math.min(best, v);
                    break;
                case ARGMAX:
                    if (v > best || i == 0) { // first largest
                        best = v;
                        bestAt = i;
                    }
                    break;
                case ARGMIN:
                    if (v < best || i == 0) {
                        best = v;
                        bestAt = i;
                    }
                    break;
                default:
                    throw new UnsupportedOperationException("reduce op " + op + " is not implemented on the CPU");
            }
            // odometer over the reduced axes, last fastest
            for (int d = dims.length - 1; d >= 0; d--) {
                off += str[d];
                if (++idx[d] < dims[d]) {
                    break;
                }
                off -= str[d] * dims[d];
                idx[d] = 0;
            }
        }
        switch (op) {
            case SUM:
            case SUM_SQUARE:
                return (float) sum;
            case MEAN:
                return (float) (sum / n); // 0/0 = NaN for an empty axis
            case MAX:
            case MIN:
                return best;
            default:
                return bestAt; // ARGMAX / ARGMIN: one reduced axis, so i is the index along it
        }
    }
}
