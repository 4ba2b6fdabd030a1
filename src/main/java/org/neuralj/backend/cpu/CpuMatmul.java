package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/** numpy matmul for rank &gt;= 2 on {@link Sgemm}: tasks are (batch entry, row block, column block). */
final class CpuMatmul {
    private CpuMatmul() {
    }

    static float[] matmul(CpuThreads threads, float[] a, int[] aBatch, float[] b, int[] bBatch, int[] outBatch,
                          int m, int k, int n, float[] y) {
        int batch = Tensor.elementCount(outBatch);
        if (y.length == 0) {
            return y;
        }
        // batch strides in units of whole matrices (0 on broadcast axes)
        int[] sa = Backend.broadcastStrides(aBatch, outBatch);
        int[] sb = Backend.broadcastStrides(bBatch, outBatch);
        if (n == 1) { // matrix x vector: dot products of contiguous rows (the GEMM would pad one column to a register tile)
            GemmKernel vector = Sgemm.vector();
            threads.forRange(batch * m, 64, (from, to) -> {
                for (int row = from; row < to; row++) {
                    int bi = row / m;
                    int aRow = matrixOffset(bi, outBatch, sa) * m * k + row % m * k;
                    int bCol = matrixOffset(bi, outBatch, sb) * k;
                    if (vector != null) {
                        y[row] = vector.dot(a, aRow, b, bCol, k);
                        continue;
                    }
                    float sum = 0f;
                    for (int kk = 0; kk < k; kk++) {
                        sum += a[aRow + kk] * b[bCol + kk];
                    }
                    y[row] = sum;
                }
            });
            return y;
        }
        // split rows, then columns, until every thread has a couple of tasks
        int rowBlock = m;
        int colBlock = n;
        long want = 2L * threads.threads();
        while ((long) batch * ceilDiv(m, rowBlock) * ceilDiv(n, colBlock) < want && (rowBlock > 16 || colBlock > 256)) {
            if (rowBlock > 16) {
                rowBlock = ceilDiv(rowBlock, 2);
            } else {
                colBlock = ceilDiv(colBlock, 2);
            }
        }
        final int rb = rowBlock;
        final int cb = colBlock;
        final int rBlocks = ceilDiv(m, rb);
        final int cBlocks = ceilDiv(n, cb);
        threads.forEach(batch * rBlocks * cBlocks, task -> {
            int cbi = task % cBlocks;
            int rbi = (task / cBlocks) % rBlocks;
            int bi = task / (cBlocks * rBlocks);
            int ma = matrixOffset(bi, outBatch, sa);
            int mb = matrixOffset(bi, outBatch, sb);
            int i0 = rbi * rb;
            int j0 = cbi * cb;
            // y[bi][i0:i0+rows][j0:j0+cols] = a[ma][i0:..][:] x b[mb][:][j0:..]
            Sgemm.multiply(Math.min(rb, m - i0), Math.min(cb, n - j0), k,
                    a, ma * m * k + i0 * k, k,
                    b, mb * k * n + j0, n,
                    y, bi * m * n + i0 * n + j0, n, null, 0, Activation.NONE);
        });
        return y;
    }

    /** The matrix (in whole matrices) an operand with batch strides {@code strides} gives output batch entry bi. */
    private static int matrixOffset(int bi, int[] outBatch, int[] strides) {
        int rem = bi;
        int offset = 0;
        for (int ax = outBatch.length - 1; ax >= 0; ax--) {
            offset += rem % outBatch[ax] * strides[ax];
            rem /= outBatch[ax];
        }
        return offset;
    }

    private static int ceilDiv(int a, int b) {
        return b == 0 ? 0 : (a + b - 1) / b;
    }
}
