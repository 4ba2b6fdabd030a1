package org.neuralj.backend.cpu;

import java.util.Arrays;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.Tensor;

/** Data movement: strided views, concatenation, padding and gathering. Pure copies, no arithmetic. */
final class CpuMovement {
    private static final int GRAIN = 1 << 14;

    private CpuMovement() {
    }

    /** y[i0..ik] = x[offset + sum_j i_j*strides[j]]; bounds already checked by the caller. */
    static float[] strided(CpuThreads threads, float[] x, int offset, int[] strides, int[] outShape, float[] y) {
        int size = y.length;
        int rank = outShape.length;
        if (size == 0) {
            return y;
        }
        int inner = rank == 0 ? 1 : outShape[rank - 1];
        int is = rank == 0 ? 0 : strides[rank - 1];
        int rows = size / inner;
        threads.forRange(rows, Math.max(1, GRAIN / inner), (from, to) -> {
            for (int r = from; r < to; r++) {                  // y[row][j]
                int rem = r;
                int src = offset;
                for (int ax = rank - 2; ax >= 0; ax--) {
                    src += (rem % outShape[ax]) * strides[ax];
                    rem /= outShape[ax];
                }
                int dst = r * inner;
                if (is == 1) {
                    System.arraycopy(x, src, y, dst, inner);
                } else {
                    for (int j = 0; j < inner; j++) {
                        y[dst + j] = x[src + j * is];
                    }
                }
            }
        });
        return y;
    }

    /**
     * Concatenation along {@code axis}: with outer = prod(shape[:axis]) and inner = prod(shape[axis+1:]),
     * y[o] is the chunks xs[0][o], xs[1][o], ... of length dim_i*inner one after another, into y (every
     * element written; y may hold anything before).
     */
    static float[] concat(CpuThreads threads, float[][] xs, int[] axisDims, int outer, int inner, float[] y) {
        int outAxis = 0;
        for (int d : axisDims) {
            outAxis += d;
        }
        final int rowLen = outAxis * inner;
        // split by output elements, not by outer rows: a batch of one is one row, and one thread would copy it all
        threads.forRange(outer * rowLen, GRAIN, (from, to) -> {
            int pos = from;
            while (pos < to) {                                 // y[o][axis][inner]: the run of piece i that holds pos
                int o = pos / rowLen, inRow = pos % rowLen, start = 0, i = 0;
                while (inRow >= start + axisDims[i] * inner) {
                    start += axisDims[i] * inner;
                    i++;
                }
                int len = axisDims[i] * inner, n = Math.min(start + len - inRow, to - pos);
                System.arraycopy(xs[i], o * len + inRow - start, y, pos, n);
                pos += n;
            }
        });
        return y;
    }

    /**
     * Pad (or crop, for negative amounts): per axis a table src[o] of the input index each output
     * index reads, -1 for the constant. Then y is filled row by row along the last axis.
     */
    static float[] pad(CpuThreads threads, float[] x, int[] shape, int[] before, int[] outShape, PadMode mode, float value, float[] y) {
        int rank = shape.length;
        int size = y.length;
        if (size == 0) {
            return y;
        }
        if (rank == 0) {
            y[0] = x[0];
            return y;
        }
        int[][] src = new int[rank][];
        for (int ax = 0; ax < rank; ax++) {
            src[ax] = new int[outShape[ax]];
            for (int o = 0; o < outShape[ax]; o++) {
                src[ax][o] = mode.sourceIndex(o - before[ax], shape[ax]);
            }
        }
        int[] xStr = Tensor.stridesOf(shape);
        int inner = outShape[rank - 1];
        int rows = size / inner;
        int[] lastSrc = src[rank - 1];
        threads.forRange(rows, Math.max(1, GRAIN / inner), (from, to) -> {
            for (int r = from; r < to; r++) {
                int rem = r;
                int base = 0;
                boolean constantRow = false;
                for (int ax = rank - 2; ax >= 0; ax--) {
                    int s = src[ax][rem % outShape[ax]];
                    rem /= outShape[ax];
                    if (s < 0) {
                        constantRow = true;
                    }
                    base += s * xStr[ax];
                }
                int dst = r * inner;
                if (constantRow) {
                    Arrays.fill(y, dst, dst + inner, value);
                } else {
                    for (int j = 0; j < inner; j++) {          // y[row][j] = x[row'][src[j]]
                        int s = lastSrc[j];
                        y[dst + j] = s < 0 ? value : x[base + s];
                    }
                }
            }
        });
        return y;
    }

    /** y[o][j][k] = x[o][idx[j]][k] with x viewed as [outer, axisLen, inner]; indices already resolved. */
    static float[] gather(CpuThreads threads, float[] x, int outer, int axisLen, int inner, int[] idx, float[] y) {
        int nIdx = idx.length;
        threads.forRange(outer * nIdx, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r / nIdx;
                int j = r % nIdx;
                System.arraycopy(x, (o * axisLen + idx[j]) * inner, y, r * inner, inner);
            }
        });
        return y;
    }
}
