package org.neuralj.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.neuralj.backend.Activation;
import org.neuralj.backend.UnaryOp;

/**
 * SGEMM on the Vector API ({@code jdk.incubator.vector}), the fast path behind {@link Sgemm}. Loaded
 * only when the JVM has that module (see {@link Sgemm}); nothing else may reference this class.
 *
 * <p>GotoBLAS/BLIS structure, row-major:
 * <pre>
 *   for j0 in N step NC                  columns of C and B
 *     for k0 in K step KC                B[k0:k0+kb][j0:j0+nb] packed into NR-wide strips:
 *                                          Bp[s][kk][j] = B[k0+kk][j0 + s*NR + j]  (zero past N)
 *                                        A[:, k0:k0+kb] packed into MR-high strips:
 *                                          Ap[t][kk][r] = A[t*MR + r][k0+kk]        (zero past M)
 *       for s in strips of B             one B strip (kb x NR, in L1) ...
 *         for t in strips of A           ... against every A strip (in L2): the micro-kernel
 * </pre>
 * {@link #multiplyRows} skips the B packing and reads B where it lies (an implicit-GEMM convolution's
 * padded input), in K blocks of up to {@link #ROWS_KC} (most convolutions' whole K), with A packed once by the
 * caller ({@link #pack}: each strip over all of K, Ap[t][k][r]) for all its calls.
 * Bias (first k block) and the activation (last k block; ReLU in registers, others on the stored
 * tile while it is in L1) form the epilogue. Edge tiles go through a small scratch tile. All
 * buffers are per-thread and reused ({@link Workspace}): nothing is allocated per call once warm.
 */
final class VectorSgemm implements GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = 8;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of one packed block: a B strip of KC x NR floats stays in L1. */
    static final int KC = Integer.getInteger("neuralj.gemm.kc", 256);
    /** Depth of one K block when B is read in place: most convolutions' whole K (3x3 over 512 channels). */
    static final int ROWS_KC = Integer.getInteger("neuralj.gemm.rowsKc", 4608);
    /** Columns of one packed B block. */
    static final int NC = Integer.getInteger("neuralj.gemm.nc", 1024);

    @Override
    public String describe() {
        return "vector-" + S.vectorBitSize() + " " + MR + "x" + NR;
    }

    @Override
    public void multiply(int m, int n, int k, float[] a, int aOff, int lda, BSource b,
                         float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        run(m, n, k, a, aOff, lda, b, null, 0, null, c, cOff, ldc, bias, biasOff, act);
    }

    @Override
    public int packedSize(int m, int k) {
        return (m + MR - 1) / MR * MR * Math.max(k, 1);
    }

    @Override
    public void pack(int m, int k, float[] a, int aOff, int lda, float[] packed, int pOff) {
        packA(a, aOff, lda, m, k, packed, pOff); // strips of all K: any K block of strip t starts at t*MR*k + k0*MR
    }

    @Override
    public void multiplyPacked(int m, int n, int k, float[] packedA, int pOff, BSource b,
                               float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        run(m, n, k, packedA, pOff, -1, b, null, 0, null, c, cOff, ldc, bias, biasOff, act);
    }

    @Override
    public void multiplyRows(int m, int n, int k, float[] packedA, int pOff, float[] b, int bOff, int[] bRows,
                             float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        run(m, n, k, packedA, pOff, -1, null, b, bOff, bRows, c, cOff, ldc, bias, biasOff, act);
    }

    @Override
    public int tileRows() {
        return MR;
    }

    @Override
    public int tileColumns() {
        return NR;
    }

    /** Row starts of a packed B strip: row kk at kk * NR. */
    private static final int[] PACKED_ROWS = java.util.stream.IntStream.range(0, Math.max(KC, 1)).map(i -> i * NR).toArray();

    /**
     * The blocked loops; B either comes row by row from {@code src} and is packed, or is read where it
     * is ({@code b}, row kk at {@code bBase + bRows[kk]}) when {@code src} is null. A is packed here
     * ({@code lda} &gt;= 0), or was packed by {@link #pack} ({@code lda} &lt; 0: {@code a} from {@code aOff}).
     */
    private void run(int m, int n, int k, float[] a, int aOff, int lda, BSource src, float[] b, int bBase, int[] bRows,
                     float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        if (m <= 0 || n <= 0) {
            return;
        }
        Workspace ws = Workspace.get();
        final boolean relu = act.op() == UnaryOp.RELU;
        final boolean other = !relu && !act.isIdentity();
        final int aStrips = (m + MR - 1) / MR;
        final boolean bPacked = src != null;
        // B read in place (multiplyRows) is not copied per K block, so K is cut far less often: each cut loads and
        // stores C again, and a convolution writing its output planes straight into y reloads tiles whose rows lie a
        // whole plane apart (32 -> 16 channels at 512^2, K = 288, cut at 256: 15 % slower than K whole). Blocks of
        // ROWS_KC still keep a B strip (ROWS_KC x NR floats, 576 KiB) in L2 while every A strip passes over it. ResNet-18
        // at batch 1 (K up to 4608) ran 1.4 % faster than with blocks of 1152, the U-Nets the same (paired in-process runs).
        final int kc = bPacked ? KC : ROWS_KC;
        for (int j0 = 0; j0 < n; j0 += NC) {
            final int nb = Math.min(NC, n - j0);
            final int bStrips = (nb + NR - 1) / NR;
            int k0 = 0;
            do { // at least once, so K = 0 still writes act(bias)
                final int kb = Math.min(kc, k - k0);
                final boolean first = k0 == 0;
                final boolean last = k0 + kc >= k;
                float[] bp = b;
                if (bPacked) {
                    bp = ws.packB(bStrips * NR * Math.max(kb, 1));
                    packB(src, k0, kb, j0, nb, bp, ws.row(bStrips * NR));
                }
                int[] rows = bPacked ? PACKED_ROWS : bRows;
                int rowsOff = bPacked ? 0 : k0;
                float[] ap = a;
                int apOff = aOff + k0 * MR;                       // this k block of strip 0 in a packed A
                int aStride = MR * k;                             // from one strip to the next
                if (lda >= 0) {
                    ap = ws.packA(aStrips * MR * Math.max(kb, 1));
                    packA(a, aOff + k0, lda, m, kb, ap, 0);
                    apOff = 0;
                    aStride = MR * kb;
                }
                for (int s = 0; s < bStrips; s++) {
                    int cols = Math.min(NR, nb - s * NR);
                    int bOff = bPacked ? s * kb * NR : bBase + j0 + s * NR;
                    for (int t = 0; t < aStrips; t++) {
                        int i0 = t * MR;
                        int rowsLeft = Math.min(MR, m - i0);
                        int ct = cOff + i0 * ldc + j0 + s * NR;   // C[i0][j0 + s*NR]
                        if (rowsLeft == MR && cols == NR) {
                            micro(kb, ap, apOff + t * aStride, bp, rows, rowsOff, bOff, c, ct, ldc, !first, bias, biasOff + i0, last && relu);
                            if (last && other) {
                                for (int r = 0; r < MR; r++) {
                                    CpuElementwise.apply(act, c, ct + r * ldc, c, ct + r * ldc, NR);
                                }
                            }
                        } else {
                            edge(kb, ap, apOff + t * aStride, bp, rows, rowsOff, bOff, c, ct, ldc, rowsLeft, cols, first, last, bias,
                                    biasOff + i0, act, ws.tile(MR * NR));
                        }
                    }
                }
                k0 += kc;
            } while (k0 < k);
        }
    }

    /** A partial tile (rows &lt; MR or cols &lt; NR): computed in full in {@code tile}, the valid part copied out. */
    private static void edge(int kb, float[] ap, int aOff, float[] b, int[] bRows, int rowsOff, int bOff, float[] c, int ct, int ldc,
                             int rows, int cols, boolean first, boolean last, float[] bias, int biasOff,
                             Activation act, float[] tile) {
        java.util.Arrays.fill(tile, 0, MR * NR, 0f);
        for (int r = 0; r < rows; r++) {         // tile[r][j] = C[r][j] or bias[r]
            if (first) {
                java.util.Arrays.fill(tile, r * NR, r * NR + cols, bias == null ? 0f : bias[biasOff + r]);
            } else {
                System.arraycopy(c, ct + r * ldc, tile, r * NR, cols);
            }
        }
        micro(kb, ap, aOff, b, bRows, rowsOff, bOff, tile, 0, NR, true, null, 0, false);
        for (int r = 0; r < rows; r++) {
            if (last && !act.isIdentity()) {
                CpuElementwise.apply(act, tile, r * NR, tile, r * NR, cols);
            }
            System.arraycopy(tile, r * NR, c, ct + r * ldc, cols);
        }
    }

    /** Bp[s][kk][j] = B[k0 + kk][j0 + s*NR + j], zero for columns past nb. */
    private static void packB(BSource b, int k0, int kb, int j0, int nb, float[] bp, float[] row) {
        final int strips = (nb + NR - 1) / NR;
        final int full = nb / NR;
        java.util.Arrays.fill(row, nb, strips * NR, 0f);
        for (int kk = 0; kk < kb; kk++) {
            b.row(k0 + kk, j0, nb, row, 0);
            int d = kk * NR;
            for (int s = 0; s < strips; s++, d += kb * NR) {
                if (s < full) {
                    FloatVector.fromArray(S, row, s * NR).intoArray(bp, d);
                    FloatVector.fromArray(S, row, s * NR + L).intoArray(bp, d + L);
                } else {
                    System.arraycopy(row, s * NR, bp, d, NR);
                }
            }
        }
    }

    /** Ap[t][kk][r] = A[t*MR + r][kk] (A already offset to column k0) from ap[apOff], zero for rows past m. */
    private static void packA(float[] a, int aOff, int lda, int m, int kb, float[] ap, int apOff) {
        final int strips = (m + MR - 1) / MR;
        for (int t = 0; t < strips; t++) {
            int base = apOff + t * MR * kb;
            for (int r = 0; r < MR; r++) {
                int i = t * MR + r;
                if (i < m) {
                    int src = aOff + i * lda;
                    for (int kk = 0; kk < kb; kk++) {
                        ap[base + kk * MR + r] = a[src + kk];
                    }
                } else {
                    for (int kk = 0; kk < kb; kk++) {
                        ap[base + kk * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * The register-blocked micro-kernel: an 8 x NR tile of C (NR = 2 vectors) held in 16 vector
     * registers while kb steps of k stream through it, each step one FMA per register:
     * C[r][j] (+)= sum_kk Ap[kk][r] * B[kk][j], row kk of B at {@code b[bRows[rowsOff + kk] + bOff]}. Starts from the bias (or from C when {@code load});
     * applies ReLU in registers when {@code relu}. Generated by a loop over r; keep it unrolled, as C2
     * keeps named locals in registers.
     */
    private static void micro(int kb, float[] ap, int aOff, float[] b, int[] bRows, int rowsOff, int bOff,
                              float[] c, int cOff, int ldc, boolean load, float[] bias, int biasOff, boolean relu) {
        FloatVector c00, c01;
        FloatVector c10, c11;
        FloatVector c20, c21;
        FloatVector c30, c31;
        FloatVector c40, c41;
        FloatVector c50, c51;
        FloatVector c60, c61;
        FloatVector c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            c01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
        } else {
            c00 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 0]);
            c01 = c00;
        }
        if (load) {
            c10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            c11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
        } else {
            c10 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 1]);
            c11 = c10;
        }
        if (load) {
            c20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
        } else {
            c20 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 2]);
            c21 = c20;
        }
        if (load) {
            c30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
        } else {
            c30 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 3]);
            c31 = c30;
        }
        if (load) {
            c40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + L);
        } else {
            c40 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 4]);
            c41 = c40;
        }
        if (load) {
            c50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + L);
        } else {
            c50 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 5]);
            c51 = c50;
        }
        if (load) {
            c60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            c61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + L);
        } else {
            c60 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 6]);
            c61 = c60;
        }
        if (load) {
            c70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            c71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + L);
        } else {
            c70 = FloatVector.broadcast(S, bias == null ? 0f : bias[biasOff + 7]);
            c71 = c70;
        }
        int ai = aOff;
        for (int kk = 0; kk < kb; kk++) {
            int bi = bRows[rowsOff + kk] + bOff;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            ai += MR;
        }
        // ReLU as a maximum with a floor that is 0 or -inf, taken on every path: no branch, so the stores below see
        // one exact vector type. (With `if (relu) c = c.max(0f)`, in about 1 process in 10 C2 failed to intrinsify
        // the scalar max's broadcast, then the 16 stores: that micro-kernel ran 13x slower for the process's life.)
        FloatVector floor = FloatVector.broadcast(S, relu ? 0f : Float.NEGATIVE_INFINITY);
        c00 = c00.max(floor);
        c01 = c01.max(floor);
        c10 = c10.max(floor);
        c11 = c11.max(floor);
        c20 = c20.max(floor);
        c21 = c21.max(floor);
        c30 = c30.max(floor);
        c31 = c31.max(floor);
        c40 = c40.max(floor);
        c41 = c41.max(floor);
        c50 = c50.max(floor);
        c51 = c51.max(floor);
        c60 = c60.max(floor);
        c61 = c61.max(floor);
        c70 = c70.max(floor);
        c71 = c71.max(floor);
        c00.intoArray(c, cOff + 0 * ldc);
        c01.intoArray(c, cOff + 0 * ldc + L);
        c10.intoArray(c, cOff + 1 * ldc);
        c11.intoArray(c, cOff + 1 * ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
    }

    /**
     * Four vector accumulators, so the FMAs do not wait on one another (one running sum waited 4 cycles an element:
     * ResNet-18's 512 -> 1000 head took 0.23-0.46 ms against ONNX Runtime's 0.08-0.09).
     */
    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 4 * L <= k; i += 4 * L) {
            s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
            s1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(S, a, aOff + i + 2 * L).fma(FloatVector.fromArray(S, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(S, a, aOff + i + 3 * L).fma(FloatVector.fromArray(S, b, bOff + i + 3 * L), s3);
        }
        for (; i + L <= k; i += L) {
            s0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), s0);
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < k; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }

    /** Pixels of a lane tile: 7 divides the widths of a 224-pixel network's maps (112, 56, 28, 14, 7). */
    private static final int LANE_PIXELS = 7;

    @Override
    public int laneChannels() {
        return NR;
    }

    @Override
    public int lanePixels() {
        return LANE_PIXELS;
    }

    /**
     * The lane micro-kernel: 7 pixels x NR channels in 14 vector registers; each step two weight vectors and seven
     * broadcast pixels, fourteen FMAs. Unrolled by hand like {@link #micro}.
     */
    @Override
    public void laneTile(int k, float[] packed, int pOff, float[] x, int[] taps, int q0, float[] t, int initOff, float[] out,
                         int outOff, int pixelStride, int secondOff, float[] add, boolean relu) {
        FloatVector c00 = FloatVector.fromArray(S, t, initOff), c01 = FloatVector.fromArray(S, t, initOff + L);
        FloatVector c10 = FloatVector.fromArray(S, t, initOff + NR), c11 = FloatVector.fromArray(S, t, initOff + NR + L);
        FloatVector c20 = FloatVector.fromArray(S, t, initOff + 2 * NR), c21 = FloatVector.fromArray(S, t, initOff + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(S, t, initOff + 3 * NR), c31 = FloatVector.fromArray(S, t, initOff + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(S, t, initOff + 4 * NR), c41 = FloatVector.fromArray(S, t, initOff + 4 * NR + L);
        FloatVector c50 = FloatVector.fromArray(S, t, initOff + 5 * NR), c51 = FloatVector.fromArray(S, t, initOff + 5 * NR + L);
        FloatVector c60 = FloatVector.fromArray(S, t, initOff + 6 * NR), c61 = FloatVector.fromArray(S, t, initOff + 6 * NR + L);
        for (int kk = 0, wi = pOff; kk < k; kk++, wi += NR) {
            FloatVector w0 = FloatVector.fromArray(S, packed, wi);
            FloatVector w1 = FloatVector.fromArray(S, packed, wi + L);
            int xi = taps[kk] + q0;
            FloatVector a = FloatVector.broadcast(S, x[xi]);
            c00 = a.fma(w0, c00);
            c01 = a.fma(w1, c01);
            a = FloatVector.broadcast(S, x[xi + LANE_BLOCK]);
            c10 = a.fma(w0, c10);
            c11 = a.fma(w1, c11);
            a = FloatVector.broadcast(S, x[xi + 2 * LANE_BLOCK]);
            c20 = a.fma(w0, c20);
            c21 = a.fma(w1, c21);
            a = FloatVector.broadcast(S, x[xi + 3 * LANE_BLOCK]);
            c30 = a.fma(w0, c30);
            c31 = a.fma(w1, c31);
            a = FloatVector.broadcast(S, x[xi + 4 * LANE_BLOCK]);
            c40 = a.fma(w0, c40);
            c41 = a.fma(w1, c41);
            a = FloatVector.broadcast(S, x[xi + 5 * LANE_BLOCK]);
            c50 = a.fma(w0, c50);
            c51 = a.fma(w1, c51);
            a = FloatVector.broadcast(S, x[xi + 6 * LANE_BLOCK]);
            c60 = a.fma(w0, c60);
            c61 = a.fma(w1, c61);
        }
        // The residual is added in a second pass over the stored tile, not to the registers here: with both ways in
        // this method C2 (JDK 17) gave up on the Vector API intrinsics of its last four stores once it had seen
        // residual and plain tiles, which then ran as boxed Java fallbacks (6-10 % of ResNet-18's samples).
        FloatVector floor = FloatVector.broadcast(S, relu && add == null ? 0f : Float.NEGATIVE_INFINITY); // no branch
        c00.max(floor).intoArray(out, outOff);
        c01.max(floor).intoArray(out, outOff + secondOff);
        c10.max(floor).intoArray(out, outOff + pixelStride);
        c11.max(floor).intoArray(out, outOff + pixelStride + secondOff);
        c20.max(floor).intoArray(out, outOff + 2 * pixelStride);
        c21.max(floor).intoArray(out, outOff + 2 * pixelStride + secondOff);
        c30.max(floor).intoArray(out, outOff + 3 * pixelStride);
        c31.max(floor).intoArray(out, outOff + 3 * pixelStride + secondOff);
        c40.max(floor).intoArray(out, outOff + 4 * pixelStride);
        c41.max(floor).intoArray(out, outOff + 4 * pixelStride + secondOff);
        c50.max(floor).intoArray(out, outOff + 5 * pixelStride);
        c51.max(floor).intoArray(out, outOff + 5 * pixelStride + secondOff);
        c60.max(floor).intoArray(out, outOff + 6 * pixelStride);
        c61.max(floor).intoArray(out, outOff + 6 * pixelStride + secondOff);
        if (add != null) {
            addResidual(out, outOff, pixelStride, secondOff, add, relu);
        }
    }

    /** The second pass of {@link #laneTile}: out = act(out + add) at the tile's 2 x 7 vector positions. */
    private static void addResidual(float[] out, int outOff, int pixelStride, int secondOff, float[] add, boolean relu) {
        FloatVector floor = FloatVector.broadcast(S, relu ? 0f : Float.NEGATIVE_INFINITY);
        for (int r = 0; r < LANE_PIXELS; r++) {
            for (int o = outOff + r * pixelStride, half = 0; half < 2; half++, o += secondOff) {
                FloatVector.fromArray(S, out, o).add(FloatVector.fromArray(S, add, o)).max(floor).intoArray(out, o);
            }
        }
    }

    @Override
    public void blockMax(float[] x, int xOff, int rowStride, int rows, int cols, float[] y, int yOff) {
        for (int j = 0; j < LANE_BLOCK; j += L) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < rows && cols > 0; r++) {   // the first column outside the loop: C2 then keeps acc in a register
                int in = xOff + r * rowStride + j;
                acc = acc.max(FloatVector.fromArray(S, x, in));
                for (int c = 1; c < cols; c++) {
                    acc = acc.max(FloatVector.fromArray(S, x, in + c * LANE_BLOCK));
                }
            }
            acc.intoArray(y, yOff + j);
        }
    }
}
