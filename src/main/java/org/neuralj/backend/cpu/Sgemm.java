package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;

/**
 * Single-precision matrix multiply on row-major arrays with a fused epilogue:
 * <pre>
 *   C[i][j] = act(bias[i] + sum_k A[i][k] * B[k][j])     for i &lt; M, j &lt; N
 *   A[i][k] = a[aOff + i*lda + k],  B[k][j] = b[bOff + k*ldb + j],  C[i][j] = c[cOff + i*ldc + j]
 * </pre>
 * {@link #reference} is that formula as three loops; {@link #multiply} computes the same thing
 * cache-blocked: a KC x NC panel of B stays in L2 while every row of A sweeps over it, and the inner
 * loop is a contiguous {@code c[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]} that HotSpot
 * auto-vectorises (four k at a time so each C element is loaded and stored a quarter as often).
 * Single-threaded: callers split M or N into tasks.
 */
final class Sgemm {
    /** Rows of B per panel: 256 rows x NC columns of floats = 512 KiB, fits L2. */
    static final int KC = 256;
    /** Columns per panel: a C row segment of NC floats (2 KiB) stays in L1 across the k loop. */
    static final int NC = 512;

    private Sgemm() {
    }

    /**
     * C = act(A * B + bias) with bias indexed by row ({@code bias[biasOff + i]}); bias may be null
     * (zero) and act may be {@link Activation#NONE}.
     */
    static void multiply(int m, int n, int k,
                         float[] a, int aOff, int lda,
                         float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc,
                         float[] bias, int biasOff, Activation act) {
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = Math.min(NC, n - j0);
            // C[:, j0:j0+nb] starts at the bias (the epilogue's first half, fused into the init)
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc + j0;
                float init = bias == null ? 0f : bias[biasOff + i];
                java.util.Arrays.fill(c, ci, ci + nb, init);
            }
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kb = Math.min(KC, k - k0);
                for (int i = 0; i < m; i++) {
                    rowPanel(a, aOff + i * lda + k0, b, bOff + k0 * ldb + j0, ldb, c, cOff + i * ldc + j0, kb, nb);
                }
            }
            if (!act.isIdentity()) {
                // the epilogue's second half, while the C block is still in cache
                for (int i = 0; i < m; i++) {
                    int ci = cOff + i * ldc + j0;
                    CpuElementwise.apply(act, c, ci, c, ci, nb);
                }
            }
        }
    }

    /** c[0..nb) += sum_{k < kb} a[ai + k] * b[bi + k*ldb + 0..nb). */
    private static void rowPanel(float[] a, int ai, float[] b, int bi, int ldb, float[] c, int ci, int kb, int nb) {
        int kk = 0;
        for (; kk + 3 < kb; kk += 4) {
            float a0 = a[ai + kk];
            float a1 = a[ai + kk + 1];
            float a2 = a[ai + kk + 2];
            float a3 = a[ai + kk + 3];
            int b0 = bi + kk * ldb;
            int b1 = b0 + ldb;
            int b2 = b1 + ldb;
            int b3 = b2 + ldb;
            for (int j = 0; j < nb; j++) {
                c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
            }
        }
        for (; kk < kb; kk++) {
            float a0 = a[ai + kk];
            int b0 = bi + kk * ldb;
            for (int j = 0; j < nb; j++) {
                c[ci + j] += a0 * b[b0 + j];
            }
        }
    }

    /** The plain definition, kept as the reference the tests compare {@link #multiply} against. */
    static void reference(int m, int n, int k,
                          float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc,
                          float[] bias, int biasOff, Activation act) {
        for (int i = 0; i < m; i++) {             // C[i][j]
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias[biasOff + i];
                for (int kk = 0; kk < k; kk++) {
                    s += (double) a[aOff + i * lda + kk] * b[bOff + kk * ldb + j];
                }
                float[] one = {(float) s};
                CpuElementwise.apply(act, one, 0, one, 0, 1);
                c[cOff + i * ldc + j] = one[0];
            }
        }
    }
}
