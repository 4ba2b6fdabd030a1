package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.backend.cpu.Close.assertClose;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Activation;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

class CpuElementwiseTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(3);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private static final float[] XS = {-25f, -3.5f, -2.5f, -1f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 1.5f, 2.5f, 3f, 7f, 30f};

    private float[] run(Activation f, float[] x) {
        try (Tensor t = cpu.upload(x, x.length); Tensor y = cpu.unary(t, f)) {
            return cpu.download(y);
        }
    }

    private void check(UnaryOp op, float a, float b, DoubleUnaryOperator ref) {
        float[] y = run(new Activation(op, a, b), XS);
        float[] e = new float[XS.length];
        for (int i = 0; i < XS.length; i++) {
            e[i] = (float) ref.applyAsDouble(XS[i]);
        }
        assertClose(e, y, 1e-6, 1e-6, op.toString());
    }

    @Test
    void everyUnaryOpMatchesItsFormula() {
        check(UnaryOp.IDENTITY, 0, 0, x -> x);
        check(UnaryOp.RELU, 0, 0, x -> x > 0 ? x : 0);
        check(UnaryOp.LEAKY_RELU, 0.1f, 0, x -> x >= 0 ? x : 0.1f * x);
        check(UnaryOp.ELU, 1.5f, 0, x -> x > 0 ? x : 1.5f * (Math.exp(x) - 1));
        check(UnaryOp.SELU, 1.6732632f, 1.050701f, x -> 1.050701f * (x > 0 ? x : 1.6732632f * (Math.exp(x) - 1)));
        check(UnaryOp.SIGMOID, 0, 0, x -> 1 / (1 + Math.exp(-x)));
        check(UnaryOp.HARD_SIGMOID, 0.2f, 0.5f, x -> Math.max(0, Math.min(1, 0.2f * x + 0.5f)));
        check(UnaryOp.HARD_SWISH, 0, 0, x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)));
        check(UnaryOp.TANH, 0, 0, Math::tanh);
        check(UnaryOp.CLIP, -1, 2, x -> Math.min(Math.max(x, -1), 2));
        check(UnaryOp.EXP, 0, 0, Math::exp);
        check(UnaryOp.NEG, 0, 0, x -> -x);
        check(UnaryOp.ABS, 0, 0, Math::abs);
        check(UnaryOp.SOFTPLUS, 0, 0, x -> Math.log(1 + Math.exp(x)));
        check(UnaryOp.SOFTSIGN, 0, 0, x -> x / (1 + Math.abs(x)));
        check(UnaryOp.RECIPROCAL, 0, 0, x -> 1 / x);
        check(UnaryOp.THRESHOLDED_RELU, 1f, 0, x -> x > 1 ? x : 0);
        check(UnaryOp.FLOOR, 0, 0, Math::floor);
        check(UnaryOp.CEIL, 0, 0, Math::ceil);
        check(UnaryOp.TRUNC, 0, 0, x -> x < 0 ? Math.ceil(x) : Math.floor(x));
        check(UnaryOp.NOT_ZERO, 0, 0, x -> x != 0 ? 1 : 0);
        check(UnaryOp.AFFINE, 2f, -1f, x -> 2 * x - 1);
    }

    @Test
    void sqrtAndLogOfNegativeGiveNaN() {
        float[] y = run(Activation.of(UnaryOp.SQRT), new float[] {4f, 2f, -1f});
        assertArrayEquals(new float[] {2f, (float) Math.sqrt(2), Float.NaN}, y);
        y = run(Activation.of(UnaryOp.LOG), new float[] {1f, (float) Math.E, 0f, -1f});
        assertClose(new float[] {0f, 1f, Float.NEGATIVE_INFINITY, Float.NaN}, y, "log");
    }

    @Test
    void roundIsTiesToEven() {
        float[] y = run(Activation.of(UnaryOp.ROUND), new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, -2.4f});
        assertArrayEquals(new float[] {-2f, -2f, -0f, 0f, 2f, 2f, 3f, -2f}, y);
    }

    /** erf by its everywhere-convergent series erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (2n+1)!! in double. */
    static double erfSeries(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 400; n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (Math.abs(term) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    @Test
    void erfIsAccurateToAFewUlp() {
        int n = 20001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -5f + 10f * i / (n - 1);
        }
        float[] y = run(Activation.of(UnaryOp.ERF), x);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(y[i] - erfSeries(x[i])));
        }
        assertTrue(worst < 1.2e-7, "erf worst absolute error " + worst);
        // relative accuracy near 0, and the limits
        float[] small = run(Activation.of(UnaryOp.ERF), new float[] {1e-6f, -3e-4f, 0f, 10f, -10f,
                Float.POSITIVE_INFINITY, Float.NaN});
        assertEquals(erfSeries(1e-6f), small[0], 1e-6 * 1e-6);
        assertEquals(erfSeries(-3e-4f), small[1], 3e-4 * 1e-6);
        assertArrayEquals(new float[] {0f, 1f, -1f, 1f, Float.NaN}, java.util.Arrays.copyOfRange(small, 2, 7));
        assertEquals(0.8427007929497149, CpuElementwise.erf(1f), 1e-7);
    }

    private float[] binary(float[] a, int[] as, float[] b, int[] bs, BinaryOp op, int[] expectShape) {
        try (Tensor ta = cpu.upload(a, as); Tensor tb = cpu.upload(b, bs); Tensor y = cpu.binary(ta, tb, op)) {
            assertArrayEquals(expectShape, y.shape());
            return cpu.download(y);
        }
    }

    @Test
    void binaryBroadcastsLikeNumpy() {
        // [2,1,3] + [4,1] -> [2,4,3]
        float[] a = Close.iota(6);
        float[] b = {10, 20, 30, 40};
        float[] y = binary(a, new int[] {2, 1, 3}, b, new int[] {4, 1}, BinaryOp.ADD, new int[] {2, 4, 3});
        float[] e = new float[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 3; k++) {
                    e[(i * 4 + j) * 3 + k] = a[i * 3 + k] + b[j];
                }
            }
        }
        assertArrayEquals(e, y);
        // scalar (rank 0) on the right
        y = binary(new float[] {1, 2, 3}, new int[] {3}, new float[] {2}, new int[] {}, BinaryOp.POW, new int[] {3});
        assertArrayEquals(new float[] {1, 4, 9}, y);
        // per-channel [C,1,1] against [1,C,H,W]
        Random r = new Random(1);
        float[] x = Close.random(r, 2 * 3 * 4);
        float[] s = {0.5f, -1f, 2f};
        y = binary(x, new int[] {1, 2, 3, 4}, s, new int[] {3, 1}, BinaryOp.MUL, new int[] {1, 2, 3, 4});
        for (int c = 0; c < 2; c++) {
            for (int h = 0; h < 3; h++) {
                for (int w = 0; w < 4; w++) {
                    int i = (c * 3 + h) * 4 + w;
                    assertEquals(x[i] * s[h], y[i], 0f);
                }
            }
        }
    }

    @Test
    void everyBinaryOp() {
        float[] a = {-2f, -0.5f, 0f, 3f, Float.NaN, 1f};
        float[] b = {4f, 2f, 5f, -2f, 1f, Float.NaN};
        int[] s = {6};
        assertArrayEquals(new float[] {2f, 1.5f, 5f, 1f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.ADD, s));
        assertArrayEquals(new float[] {-6f, -2.5f, -5f, 5f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.SUB, s));
        assertArrayEquals(new float[] {-8f, -1f, 0f, -6f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.MUL, s));
        assertArrayEquals(new float[] {-0.5f, -0.25f, 0f, -1.5f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.DIV, s));
        assertArrayEquals(new float[] {16f, 0.25f, 0f, 1f / 9f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.POW, s));
        assertArrayEquals(new float[] {4f, 2f, 5f, 3f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.MAX, s));
        assertArrayEquals(new float[] {-2f, -0.5f, 0f, -2f, Float.NaN, Float.NaN}, binary(a, s, b, s, BinaryOp.MIN, s));
        assertArrayEquals(new float[] {-8f, -1f, 0f, 3f, Float.NaN, 1f}, binary(a, s, b, s, BinaryOp.PRELU, s));
    }

    @Test
    void sameShapeOperandsGiveEveryOpsFormulaAcrossThreadChunks() {
        // same shapes take a flat path split in chunks across threads; 100k elements span several chunks
        Random r = new Random(11);
        int[] s = {1, 7, 120, 119};
        int n = 7 * 120 * 119;
        float[] a = Close.random(r, n);
        float[] b = Close.random(r, n);
        for (BinaryOp op : BinaryOp.values()) {
            float[] y;
            try {
                y = binary(a, s, b, s, op, s);
            } catch (UnsupportedOperationException e) {
                continue; // ops the CPU does not have are tested elsewhere
            }
            // the same op through the broadcasting path: b as [7, 120, 119] under a's leading axis
            float[] viaBroadcast = binary(a, s, b, new int[] {7, 120, 119}, op, s);
            for (int i = 0; i < n; i++) {
                if (Float.compare(viaBroadcast[i], y[i]) != 0) {
                    assertEquals(viaBroadcast[i], y[i], 0f, op + " at " + i);
                }
            }
        }
    }

    @Test
    void largeBroadcastAgreesWithNaiveAcrossThreads() {
        Random r = new Random(7);
        int[] as = {2, 3, 1, 70, 33};
        int[] bs = {3, 50, 1, 33};
        float[] a = Close.random(r, 2 * 3 * 70 * 33);
        float[] b = Close.random(r, 3 * 50 * 33);
        int[] out = {2, 3, 50, 70, 33};
        float[] y = binary(a, as, b, bs, BinaryOp.SUB, out);
        int i = 0;
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 50; p++) {
                    for (int q = 0; q < 70; q++) {
                        for (int k = 0; k < 33; k++, i++) {
                            float e = a[(((n * 3 + c) * 1) * 70 + q) * 33 + k] - b[(c * 50 + p) * 33 + k];
                            if (e != y[i]) {
                                assertEquals(e, y[i], 0f, "index " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void incompatibleShapesNameBoth() {
        try (Tensor a = cpu.allocate(2, 3); Tensor b = cpu.allocate(4)) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cpu.binary(a, b, BinaryOp.ADD));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
        }
    }

    @Test
    void memoryTransfersAreCountedAndTensorsChecked() {
        try (CpuBackend own = new CpuBackend(1)) {
            assertEquals("cpu (1 thread)", own.name());
            float[] host = {1, 2, 3, 4, 5, 6};
            Tensor t = own.upload(host, 2, 3);
            host[0] = 99; // upload copied
            float[] back = own.download(t);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, back);
            assertEquals(1, own.transfers().uploads());
            assertEquals(24, own.transfers().uploadedBytes());
            assertEquals(1, own.transfers().downloads());
            assertEquals(24, own.transfers().downloadedBytes());
            Tensor view = t.reshape(3, 2);
            t.close();
            assertArrayEquals(back, own.download(view), "a reshaped view keeps the storage alive");
            view.close();
            assertThrows(IllegalStateException.class, () -> own.unary(view, Activation.NONE));
            // a tensor of another backend is refused, naming the parameter
            try (Tensor foreign = cpu.upload(new float[] {1}, 1)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> own.unary(foreign, Activation.NONE));
                assertTrue(e.getMessage().startsWith("x "), e.getMessage());
            }
            assertThrows(ShapeMismatchException.class, () -> own.upload(new float[5], 2, 3));
            try (Tensor z = own.allocate(0, 3)) {
                assertEquals(0, own.download(z).length);
            }
        }
    }
}
