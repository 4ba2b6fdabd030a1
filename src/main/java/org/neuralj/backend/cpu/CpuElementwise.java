package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.Tensor;

/**
 * Element-wise ops: {@link org.neuralj.backend.UnaryOp}s (also the fused conv/GEMM epilogue) and
 * {@link BinaryOp}s with numpy broadcasting. Formulas are exactly those in the enums' Javadoc.
 */
final class CpuElementwise {
    private static final int GRAIN = 1 << 14; // elements per task: below this, threads cost more than they save

    private CpuElementwise() {
    }

    /** y = f(x) into y (every element written; y may hold anything before). */
    static float[] unary(CpuThreads threads, float[] x, Activation f, float[] y) {
        threads.forRange(y.length, GRAIN, (from, to) -> apply(f, x, from, y, from, to - from));
        return y;
    }

    /**
     * y[yOff + i] = f(x[xOff + i]) for i &lt; n; x and y may be the same array (in place). The switch
     * sits outside the loops so each loop is a simple one HotSpot can compile well.
     */
    static void apply(Activation f, float[] x, int xOff, float[] y, int yOff, int n) {
        final float a = f.a();
        final float b = f.b();
        switch (f.op()) {
            case IDENTITY:
                if (x != y || xOff != yOff) {
                    System.arraycopy(x, xOff, y, yOff, n);
                }
                break;
            case RELU:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = Math.max(x[xOff + i], 0f);
                }
                break;
            case LEAKY_RELU:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v >= 0 ? v : a * v;
                }
                break;
            case ELU:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v > 0 ? v : a * ((float) Math.exp(v) - 1f);
                }
                break;
            case SELU:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = b * (v > 0 ? v : a * ((float) Math.exp(v) - 1f));
                }
                break;
            case SIGMOID:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = 1f / (1f + (float) Math.exp(-x[xOff + i]));
                }
                break;
            case HARD_SIGMOID:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = Math.max(0f, Math.min(1f, a * x[xOff + i] + b));
                }
                break;
            case HARD_SWISH:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v * Math.max(0f, Math.min(1f, v / 6f + 0.5f));
                }
                break;
            case TANH:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.tanh(x[xOff + i]);
                }
                break;
            case CLIP:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = Math.min(Math.max(x[xOff + i], a), b);
                }
                break;
            case SQRT:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.sqrt(x[xOff + i]);
                }
                break;
            case EXP:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.exp(x[xOff + i]);
                }
                break;
            case LOG:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.log(x[xOff + i]);
                }
                break;
            case NEG:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = -x[xOff + i];
                }
                break;
            case ABS:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = Math.abs(x[xOff + i]);
                }
                break;
            case SOFTPLUS:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v > 20f ? v : (float) Math.log1p(Math.exp(v));
                }
                break;
            case SOFTSIGN:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v / (1f + Math.abs(v));
                }
                break;
            case RECIPROCAL:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = 1f / x[xOff + i];
                }
                break;
            case THRESHOLDED_RELU:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = v > a ? v : 0f;
                }
                break;
            case ERF:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = erf(x[xOff + i]);
                }
                break;
            case FLOOR:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.floor(x[xOff + i]);
                }
                break;
            case CEIL:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.ceil(x[xOff + i]);
                }
                break;
            case ROUND:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = (float) Math.rint(x[xOff + i]); // ties to even
                }
                break;
            case TRUNC:
                for (int i = 0; i < n; i++) {
                    float v = x[xOff + i];
                    y[yOff + i] = (float) (v < 0 ? Math.ceil(v) : Math.floor(v));
                }
                break;
            case NOT_ZERO:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = x[xOff + i] != 0f ? 1f : 0f; // NaN != 0, as a cast to bool
                }
                break;
            case AFFINE:
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = x[xOff + i] * a + b;
                }
                break;
            default:
                throw new UnsupportedOperationException("unary op " + f.op() + " is not implemented on the CPU");
        }
    }

    // 2/sqrt(pi)
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /**
     * erf in float with an absolute error below 6e-8 (checked against a double series in the tests).
     * |x| &lt; 0.5: the Maclaurin series to x^15 (truncation below 1e-11, and relative accuracy for
     * tiny x); otherwise 1 - erfc(|x|) with the Chebyshev-fitted erfc of Numerical Recipes (fractional
     * error below 1.2e-7 of erfc, i.e. below 3e-8 absolute for |x| &gt;= 0.5), evaluated in double.
     */
    static float erf(float xf) {
        double x = xf;
        double z = Math.abs(x);
        if (z < 0.5) {
            double x2 = x * x;
            // sum_n (-1)^n x^(2n+1) / (n! (2n+1)), Horner in x^2
            double p = -1.0 / (5040 * 15);
            p = p * x2 + 1.0 / (720 * 13);
            p = p * x2 - 1.0 / (120 * 11);
            p = p * x2 + 1.0 / (24 * 9);
            p = p * x2 - 1.0 / (6 * 7);
            p = p * x2 + 1.0 / (2 * 5);
            p = p * x2 - 1.0 / 3;
            p = p * x2 + 1.0;
            return (float) (TWO_OVER_SQRT_PI * x * p);
        }
        if (z >= 6) {
            return xf > 0 ? 1f : -1f; // erfc(6) ~ 2e-17; also avoids exp underflow noise (and NaN stays NaN below)
        }
        double t = 1.0 / (1.0 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        double r = 1.0 - erfc;
        return (float) (x < 0 ? -r : r);
    }

    /** y = a op b with numpy broadcasting into y of the output shape {@code outShape} (every element written). */
    static float[] binary(CpuThreads threads, float[] a, int[] aShape, float[] b, int[] bShape, int[] outShape, BinaryOp op, float[] y) {
        int size = Tensor.elementCount(outShape);
        if (size == 0) {
            return y;
        }
        int rank = outShape.length;
        if (java.util.Arrays.equals(aShape, outShape) && java.util.Arrays.equals(bShape, outShape)) {
            // no broadcasting (a residual Add): one flat run in chunks, unit strides the JIT vectorises (the row
            // loop below, with its strides unknown at compile time, is scalar: 5x slower on ResNet's Adds)
            threads.forRange(size, GRAIN, (from, to) -> sameShape(op, a, b, y, from, to));
            return y;
        }
        int[] sa = Backend.broadcastStrides(aShape, outShape);
        int[] sb = Backend.broadcastStrides(bShape, outShape);
        // y viewed as [rows][inner] with inner = the last axis; each row has one a-offset and one b-offset
        int inner = rank == 0 ? 1 : outShape[rank - 1];
        int rows = size / inner;
        int ia = rank == 0 ? 0 : sa[rank - 1];
        int ib = rank == 0 ? 0 : sb[rank - 1];
        threads.forRange(rows, Math.max(1, GRAIN / inner), (from, to) -> {
            for (int r = from; r < to; r++) {
                // decompose row index r over axes 0..rank-2 into the two source offsets
                int rem = r;
                int oa = 0;
                int ob = 0;
                for (int ax = rank - 2; ax >= 0; ax--) {
                    int i = rem % outShape[ax];
                    rem /= outShape[ax];
                    oa += i * sa[ax];
                    ob += i * sb[ax];
                }
                row(op, a, oa, ia, b, ob, ib, y, r * inner, inner);
            }
        });
        return y;
    }

    /**
     * y = max(a + b, 0) for arrays of one length: a residual Add and the ReLU after it in one pass (ResNet-18 at batch 1:
     * the two passes at 56 x 56 x 64 took 0.19 + 0.18 ms; the Add's loop then ReLU in place over each chunk, 0.44).
     */
    static float[] addRelu(CpuThreads threads, float[] a, float[] b, float[] y, int size) {
        threads.forRange(size, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                y[i] = Math.max(a[i] + b[i], 0f);
            }
        });
        return y;
    }

    /** y[i] = a[i] op b[i] for from &lt;= i &lt; to. */
    private static void sameShape(BinaryOp op, float[] a, float[] b, float[] y, int from, int to) {
        switch (op) {
            case ADD:
                for (int i = from; i < to; i++) {
                    y[i] = a[i] + b[i];
                }
                break;
            case SUB:
                for (int i = from; i < to; i++) {
                    y[i] = a[i] - b[i];
                }
                break;
            case MUL:
                for (int i = from; i < to; i++) {
                    y[i] = a[i] * b[i];
                }
                break;
            default:
                row(op, a, from, 1, b, from, 1, y, from, to - from);
        }
    }

    /** y[yo + j] = a[ao + j*ia] op b[bo + j*ib] for j &lt; n (ia, ib are 0 or 1 after broadcasting). */
    private static void row(BinaryOp op, float[] a, int ao, int ia, float[] b, int bo, int ib, float[] y, int yo, int n) {
        switch (op) {
            case ADD:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = a[ao + j * ia] + b[bo + j * ib];
                }
                break;
            case SUB:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = a[ao + j * ia] - b[bo + j * ib];
                }
                break;
            case MUL:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = a[ao + j * ia] * b[bo + j * ib];
                }
                break;
            case DIV:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = a[ao + j * ia] / b[bo + j * ib];
                }
                break;
            case POW:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = (float) Math.pow(a[ao + j * ia], b[bo + j * ib]);
                }
                break;
            case MAX:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = Math.max(a[ao + j * ia], b[bo + j * ib]); // Math.max propagates NaN
                }
                break;
            case MIN:
                for (int j = 0; j < n; j++) {
                    y[yo + j] = Math.min(a[ao + j * ia], b[bo + j * ib]);
                }
                break;
            case PRELU:
                for (int j = 0; j < n; j++) {
                    float v = a[ao + j * ia];
                    y[yo + j] = v >= 0 ? v : v * b[bo + j * ib];
                }
                break;
            default:
                throw new UnsupportedOperationException("binary op " + op + " is not implemented on the CPU");
        }
    }
}
