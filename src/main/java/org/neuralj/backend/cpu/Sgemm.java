package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;

/**
 * Single-precision matrix multiply on row-major arrays with a fused epilogue:
 * <pre>
 *   C[i][j] = act(bias[i] + sum_k A[i][k] * B[k][j])     for i &lt; M, j &lt; N
 *   A[i][k] = a[aOff + i*lda + k],  B[k][j] = b[bOff + k*ldb + j]  (or bRows[k][j]),
 *   C[i][j] = c[cOff + i*ldc + j]
 * </pre>
 * {@link #reference} is that formula as three loops. {@link #multiply} computes the same thing
 * cache-blocked: B is cut into KC x NC panels copied into separate row arrays (they stay in L2 while
 * every row of A sweeps over them), and each row of C accumulates in a zero-offset scratch row with
 * {@code acc[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]}, a loop HotSpot auto-vectorises (four k
 * at a time so acc is loaded and stored a quarter as often; eight at a time measured 3x slower, as
 * HotSpot 17 then stops vectorising). Zero offsets matter too: see {@link Workspace}.
 * Single-threaded: callers split M or N into tasks.
 *
 * <p>When the JVM runs with {@code --add-modules jdk.incubator.vector}, {@link #multiply} hands the
 * work to {@code VectorSgemm} (packed panels, register-blocked FMA micro-kernel, near the machine's
 * peak); otherwise, or with {@code -Dneuralj.vector=false}, the plain-Java loops here run. The plain
 * path stays the tested fallback ({@link #multiplyPlain}).
 */
final class Sgemm {
    /** The Vector API kernel, or null when the module is absent or it is switched off. */
    private static final GemmKernel VECTOR = loadVector();

    /** Rows of B per panel: KC x NC floats = 512 KiB, fits L2. */
    static final int KC = 256;
    /** Columns per panel: one accumulator row of NC floats (2 KiB) stays in L1 across the k loop. */
    static final int NC = 512;

    private Sgemm() {
    }

    private static GemmKernel loadVector() {
        if (!Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"))
                || !ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            return null;
        }
        try {
            return (GemmKernel) Class.forName("org.neuralj.backend.cpu.VectorSgemm")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            System.getLogger("org.neuralj").log(System.Logger.Level.WARNING,
                    "Vector API present but its SGEMM failed to load; using the plain-Java SGEMM: " + e);
            return null;
        }
    }

    /** The fast kernel in use, or null when the plain-Java loops run. */
    static GemmKernel vector() {
        return VECTOR;
    }

    /** Which SGEMM runs, for logs and benchmark tables. */
    static String describe() {
        return VECTOR != null ? VECTOR.describe()
                : "plain Java (start the JVM with --add-modules jdk.incubator.vector for the vector SGEMM)";
    }

    /** C = act(A * B + bias) with B given row by row (e.g. im2col rows made on the fly). Needs {@link #vector()}. */
    static void multiply(int m, int n, int k, float[] a, int aOff, int lda, GemmKernel.BSource b,
                         float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        VECTOR.multiply(m, n, k, a, aOff, lda, b, c, cOff, ldc, bias, biasOff, act);
    }

    /** C = act(A * B + bias), A packed by {@link GemmKernel#pack}, B given row by row. Needs {@link #vector()}. */
    static void multiplyPacked(int m, int n, int k, float[] packed, int pOff, GemmKernel.BSource b,
                               float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        VECTOR.multiplyPacked(m, n, k, packed, pOff, b, c, cOff, ldc, bias, biasOff, act);
    }

    /** C = act(A * B + bias), A packed by {@link GemmKernel#pack}, B read in place (row kk at {@code b[bOff + bRows[kk]]}). Needs {@link #vector()}. */
    static void multiplyRows(int m, int n, int k, float[] packed, int pOff, float[] b, int bOff, int[] bRows,
                             float[] c, int cOff, int ldc, float[] bias, int biasOff, Activation act) {
        VECTOR.multiplyRows(m, n, k, packed, pOff, b, bOff, bRows, c, cOff, ldc, bias, biasOff, act);
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
        if (VECTOR != null) {
            VECTOR.multiply(m, n, k, a, aOff, lda, (kk, j0, nb, dst, dOff) ->
                    System.arraycopy(b, bOff + kk * ldb + j0, dst, dOff, nb), c, cOff, ldc, bias, biasOff, act);
            return;
        }
        multiplyPlain(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, bias, biasOff, act);
    }

    /** {@link #multiply} on the plain-Java loops, whatever the JVM offers. */
    static void multiplyPlain(int m, int n, int k,
                              float[] a, int aOff, int lda,
                              float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc,
                              float[] bias, int biasOff, Activation act) {
        Workspace ws = Workspace.get();
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = Math.min(NC, n - j0);
            int k0 = 0;
            do { // at least once, so K = 0 still writes act(bias)
                int kb = Math.min(KC, k - k0);
                float[][] panel = ws.panel(kb, nb);
                for (int kk = 0; kk < kb; kk++) {  // panel[kk][j] = B[k0 + kk][j0 + j]
                    System.arraycopy(b, bOff + (k0 + kk) * ldb + j0, panel[kk], 0, nb);
                }
                kernel(m, nb, kb, a, aOff + k0, lda, panel, 0, c, cOff + j0, ldc,
                        k0 == 0, k0 + KC >= k, bias, biasOff, act, ws.acc(nb));
                k0 += KC;
            } while (k0 < k);
        }
    }

    /** The same product with B given as rows: B[k][j] = bRows[k][j] for k &lt; K, j &lt; N. */
    static void multiply(int m, int n, int k,
                         float[] a, int aOff, int lda,
                         float[][] bRows,
                         float[] c, int cOff, int ldc,
                         float[] bias, int biasOff, Activation act) {
        if (VECTOR != null) {
            VECTOR.multiply(m, n, k, a, aOff, lda, (kk, j0, nb, dst, dOff) ->
                    System.arraycopy(bRows[kk], j0, dst, dOff, nb), c, cOff, ldc, bias, biasOff, act);
            return;
        }
        float[] acc = Workspace.get().acc(n);
        int k0 = 0;
        do {
            int kb = Math.min(KC, k - k0);
            kernel(m, n, kb, a, aOff + k0, lda, bRows, k0, c, cOff, ldc, k0 == 0, k0 + KC >= k, bias, biasOff, act, acc);
            k0 += KC;
        } while (k0 < k);
    }

    /**
     * C[i][0..n) (+)= sum_{kk &lt; kb} A[i][kk] * rows[r0 + kk][0..n) for every i &lt; m. On the first
     * k block C starts from the bias; on the last the activation is applied before the store.
     */
    private static void kernel(int m, int n, int kb, float[] a, int aOff, int lda, float[][] rows, int r0,
                               float[] c, int cOff, int ldc, boolean first, boolean last,
                               float[] bias, int biasOff, Activation act, float[] acc) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (first) {
                java.util.Arrays.fill(acc, 0, n, bias == null ? 0f : bias[biasOff + i]);
            } else {
                System.arraycopy(c, ci, acc, 0, n);
            }
            int ai = aOff + i * lda;
            int kk = 0;
            for (; kk + 3 < kb; kk += 4) {
                float a0 = a[ai + kk];
                float a1 = a[ai + kk + 1];
                float a2 = a[ai + kk + 2];
                float a3 = a[ai + kk + 3];
                float[] b0 = rows[r0 + kk];
                float[] b1 = rows[r0 + kk + 1];
                float[] b2 = rows[r0 + kk + 2];
                float[] b3 = rows[r0 + kk + 3];
                for (int j = 0; j < n; j++) {
                    acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                }
            }
            for (; kk < kb; kk++) {
                float a0 = a[ai + kk];
                float[] b0 = rows[r0 + kk];
                for (int j = 0; j < n; j++) {
                    acc[j] += a0 * b0[j];
                }
            }
            if (last && !act.isIdentity()) {
                CpuElementwise.apply(act, acc, 0, acc, 0, n); // the epilogue, while the row is in L1
            }
            System.arraycopy(acc, 0, c, ci, n);
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
