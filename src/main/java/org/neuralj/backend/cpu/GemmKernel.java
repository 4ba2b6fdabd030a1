package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;

/**
 * A fast SGEMM that may be absent at run time: {@link Sgemm} loads the Vector API implementation
 * ({@code VectorSgemm}) through this interface only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, so the plugin still loads (and uses the plain-Java
 * path) in a Fiji started without that flag. Same contract as {@link Sgemm#multiply}; B is read
 * through a {@link BSource} so a convolution can pack its im2col rows straight into the GEMM's panels.
 */
interface GemmKernel {
    /** Rows of B, one at a time: {@code dst[dstOff + j] = B[k][j0 + j]} for j &lt; nb. */
    interface BSource {
        void row(int k, int j0, int nb, float[] dst, int dstOff);
    }

    /** C = act(A * B + bias), bias by row (may be null), A row-major with leading dimension lda. */
    void multiply(int m, int n, int k, float[] a, int aOff, int lda, BSource b,
                  float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act);

    /** Floats of A [m, k] packed by {@link #pack}. */
    int packedSize(int m, int k);

    /** Packs A [m, k] (row-major, leading dimension lda) once for any number of {@link #multiplyRows} calls. */
    void pack(int m, int k, float[] a, int aOff, int lda, float[] packed, int pOff);

    /** As {@link #multiply} with A packed by {@link #pack} (from {@code packed[pOff]}): many column tiles share one packing. */
    void multiplyPacked(int m, int n, int k, float[] packed, int pOff, BSource b,
                        float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act);

    /**
     * As {@link #multiply} with A packed by {@link #pack} (from {@code packed[pOff]}) and B read where it is:
     * {@code B[kk][j] = b[bOff + bRows[kk] + j]}, no copy. An implicit-GEMM convolution passes its
     * zero-padded input this way (each row of B a kernel tap's view of it) and packs its weights once for
     * all its tiles. Full register tiles are read, so up to {@link #tileColumns()} floats past column n of
     * a row must be readable.
     */
    void multiplyRows(int m, int n, int k, float[] packed, int pOff, float[] b, int bOff, int[] bRows,
                      float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act);

    /** Rows of the register tile. */
    int tileRows();

    /** Columns of the register tile. */
    int tileColumns();

    /**
     * The dot product of a[aOff .. aOff+k) and b[bOff .. bOff+k), summed in vector lanes (a matrix x vector: the sum
     * order differs from one scalar running sum, within float rounding).
     */
    float dot(float[] a, int aOff, float[] b, int bOff, int k);

    /** A short name for logs and benchmark tables, e.g. "vector-512 8x32". */
    String describe();

    /** Output channels of one {@link #laneTile}: a strip of the weights packed by {@link #packLanes}. */
    int laneChannels();

    /** Output pixels of one {@link #laneTile}: consecutive columns of one output row. */
    int lanePixels();

    /** Floats of w [m, k] packed by {@link #packLanes}. */
    default int laneSize(int m, int k) {
        return (m + laneChannels() - 1) / laneChannels() * laneChannels() * Math.max(k, 1);
    }

    /**
     * Packs w [m, k] (row-major) as strips of C = {@link #laneChannels()} output channels over all of k:
     * {@code packed[pOff + (s*k + kk)*C + j] = w[(s*C + j)*k + kk]}, zero past m.
     */
    default void packLanes(int m, int k, float[] w, int wOff, float[] packed, int pOff) {
        final int c = laneChannels(), strips = (m + c - 1) / c;
        for (int s = 0; s < strips; s++) {
            for (int j = 0; j < c; j++) {
                int co = s * c + j;
                int d = pOff + s * k * c + j;
                for (int kk = 0, src = wOff + co * k; kk < k; kk++) {
                    packed[d + kk * c] = co < m ? w[src + kk] : 0f;
                }
            }
        }
    }

    /**
     * Channels per block of a lane tile's input: x holds each pixel's block of channels side by side (64 bytes, one cache
     * line), so the next pixel of a row is LANE_BLOCK floats on; a constant, so the tile's reads at r * LANE_BLOCK share
     * one bounds check.
     */
    int LANE_BLOCK = 16;

    /**
     * A convolution tile with output channels in vector lanes, the pixels broadcast (the transpose of
     * {@link #multiplyRows}, for small images where the pixels would fill a column tile only partly): for r &lt;
     * {@link #lanePixels()}, j &lt; C = {@link #laneChannels()},
     * <pre>
     *   out[o(r, j)] = act(t[initOff + r*C + j] + sum_kk packed[pOff + kk*C + j] * x[taps[kk] + q0 + r*LANE_BLOCK] + add[o(r, j)])
     * </pre>
     * where o(r, j) = outOff + r*pixelStride + j for the first half of the channels (j &lt; C/2, one vector) and
     * outOff + secondOff + r*pixelStride + j - C/2 for the second; {@code add} (a residual) may be null; act ReLU when
     * {@code relu}. x holds the input in blocks of {@link #LANE_BLOCK} channels. The init rows hold the bias, so the
     * sums are the other paths' (bias first, then k in order). The tile itself as rows of C: pixelStride C, secondOff
     * C/2; into {@link ChannelBlocks}: pixelStride LANE_BLOCK, secondOff the next block's offset (or C/2 within one).
     */
    void laneTile(int k, float[] packed, int pOff, float[] x, int[] taps, int q0, float[] t, int initOff, float[] out, int outOff,
                  int pixelStride, int secondOff, float[] add, boolean relu);

    /**
     * One max-pool output pixel over channel blocks: y[yOff + j] = max of x[xOff + r*rowStride + c*LANE_BLOCK + j] over
     * r &lt; rows, c &lt; cols, for j &lt; {@link #LANE_BLOCK} (-infinity when the window holds no pixel). Here with the
     * Vector API, whose lanes make a block one or a few vector maxima per tap.
     */
    void blockMax(float[] x, int xOff, int rowStride, int rows, int cols, float[] y, int yOff);
}
