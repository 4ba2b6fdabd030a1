package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.neuralj.backend.cpu.Close.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;

class CpuReduceTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void softmaxAlongEachAxis() {
        // [2, 3]: rows {1,2,3} and {1000, 1000, 1000} (stability); columns for axis 0
        float[] x = {1, 2, 3, 1000, 1000, 1000};
        double z = Math.exp(-2) + Math.exp(-1) + 1;
        float[] rows = {(float) (Math.exp(-2) / z), (float) (Math.exp(-1) / z), (float) (1 / z), 1 / 3f, 1 / 3f, 1 / 3f};
        try (Tensor t = cpu.upload(x, 2, 3)) {
            try (Tensor y = cpu.softmax(t, -1, false)) {
                assertClose(rows, cpu.download(y), 1e-7, 1e-6, "softmax axis -1");
            }
            try (Tensor y = cpu.softmax(t, 0, false)) {
                assertClose(new float[] {0, 0, 0, 1, 1, 1}, cpu.download(y), 1e-7, 0, "softmax axis 0");
            }
            try (Tensor y = cpu.softmax(t, 1, true)) {
                float[] e = new float[6];
                for (int i = 0; i < 6; i++) {
                    e[i] = (float) Math.log(rows[i]);
                }
                assertClose(e, cpu.download(y), 1e-6, 1e-6, "log-softmax");
            }
            assertThrows(ShapeMismatchException.class, () -> cpu.softmax(t, 2, false));
        }
    }

    @Test
    void softmaxMiddleAxisOfRank4() {
        Random r = new Random(4);
        float[] x = Close.random(r, 2 * 5 * 3 * 4);
        float[] e = new float[x.length];
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 12; k++) {
                double sum = 0;
                for (int c = 0; c < 5; c++) {
                    sum += Math.exp(x[(n * 5 + c) * 12 + k]);
                }
                for (int c = 0; c < 5; c++) {
                    e[(n * 5 + c) * 12 + k] = (float) (Math.exp(x[(n * 5 + c) * 12 + k]) / sum);
                }
            }
        }
        try (Tensor t = cpu.upload(x, 2, 5, 3, 4); Tensor y = cpu.softmax(t, 1, false)) {
            assertClose(e, cpu.download(y), 1e-6, 1e-5, "softmax over channels");
        }
    }

    private float[] reduce(float[] x, int[] shape, ReduceOp op, boolean[] mask, int[] expectShape) {
        try (Tensor t = cpu.upload(x, shape); Tensor y = cpu.reduce(t, op, mask)) {
            assertArrayEquals(expectShape, y.shape());
            return cpu.download(y);
        }
    }

    @Test
    void everyReduceOpKeepsTheRank() {
        // x [2, 3] = {{1, -2, 3}, {4, 5, -6}}
        float[] x = {1, -2, 3, 4, 5, -6};
        int[] s = {2, 3};
        boolean[] rows = {false, true};
        boolean[] cols = {true, false};
        boolean[] all = {true, true};
        assertArrayEquals(new float[] {2, 3}, reduce(x, s, ReduceOp.SUM, rows, new int[] {2, 1}));
        assertArrayEquals(new float[] {5, 3, -3}, reduce(x, s, ReduceOp.SUM, cols, new int[] {1, 3}));
        assertArrayEquals(new float[] {5}, reduce(x, s, ReduceOp.SUM, all, new int[] {1, 1}));
        assertClose(new float[] {2 / 3f, 1}, reduce(x, s, ReduceOp.MEAN, rows, new int[] {2, 1}), "mean");
        assertArrayEquals(new float[] {3, 5}, reduce(x, s, ReduceOp.MAX, rows, new int[] {2, 1}));
        assertArrayEquals(new float[] {1, -2, -6}, reduce(x, s, ReduceOp.MIN, cols, new int[] {1, 3}));
        assertArrayEquals(new float[] {14, 77}, reduce(x, s, ReduceOp.SUM_SQUARE, rows, new int[] {2, 1}));
        assertArrayEquals(new float[] {2, 1}, reduce(x, s, ReduceOp.ARGMAX, rows, new int[] {2, 1}));
        assertArrayEquals(new float[] {1, 2}, reduce(x, s, ReduceOp.ARGMIN, rows, new int[] {2, 1}));
        assertArrayEquals(new float[] {1, 1, 0}, reduce(x, s, ReduceOp.ARGMAX, cols, new int[] {1, 3}));
        // no axis reduced: a copy
        assertArrayEquals(x, reduce(x, s, ReduceOp.SUM, new boolean[] {false, false}, s));
    }

    /** Trailing axes (a global pool over H, W) take plain loops over runs: the same values as the definition. */
    @Test
    void aGlobalPoolOverTheLastAxesMatchesTheDefinition() {
        int[] shape = {2, 3, 4, 5};
        float[] x = new float[2 * 3 * 4 * 5];
        java.util.Random r = new java.util.Random(8);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        x[7] = Float.NaN;                                // in plane 0: its max and sums are NaN
        boolean[] hw = {false, false, true, true};
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX, ReduceOp.MIN}) {
            float[] got = reduce(x, shape, op, hw, new int[] {2, 3, 1, 1});
            for (int p = 0; p < 6; p++) {
                double sum = 0;
                float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
                for (int i = p * 20; i < p * 20 + 20; i++) {
                    sum += x[i];
                    max = Math.max(max, x[i]);
                    min = Math.min(min, x[i]);
                }
                float want = op == ReduceOp.SUM ? (float) sum : op == ReduceOp.MEAN ? (float) (sum / 20) : op == ReduceOp.MAX ? max : min;
                assertEquals(want, got[p], 0f, op + " of plane " + p);
            }
        }
    }

    @Test
    void argmaxTakesTheFirstOfEqualValues() {
        float[] x = {1, 7, 3, 7, 7};
        assertArrayEquals(new float[] {1}, reduce(x, new int[] {5}, ReduceOp.ARGMAX, new boolean[] {true}, new int[] {1}));
        assertArrayEquals(new float[] {0}, reduce(new float[] {-1, 2, -1}, new int[] {3}, ReduceOp.ARGMIN,
                new boolean[] {true}, new int[] {1}));
    }

    @Test
    void emptyAxisRules() {
        int[] s = {2, 0};
        boolean[] m = {false, true};
        int[] o = {2, 1};
        float[] none = new float[0];
        assertArrayEquals(new float[] {0, 0}, reduce(none, s, ReduceOp.SUM, m, o));
        assertArrayEquals(new float[] {0, 0}, reduce(none, s, ReduceOp.SUM_SQUARE, m, o));
        assertArrayEquals(new float[] {Float.NaN, Float.NaN}, reduce(none, s, ReduceOp.MEAN, m, o));
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, reduce(none, s, ReduceOp.MAX, m, o));
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY}, reduce(none, s, ReduceOp.MIN, m, o));
    }

    @Test
    void argmaxNeedsExactlyOneAxisAndAMaskPerAxis() {
        try (Tensor t = cpu.allocate(2, 3, 4)) {
            assertThrows(ShapeMismatchException.class, () -> cpu.reduce(t, ReduceOp.ARGMAX, new boolean[] {true, true, false}));
            assertThrows(ShapeMismatchException.class, () -> cpu.reduce(t, ReduceOp.SUM, new boolean[] {true, false}));
        }
    }

    @Test
    void nonAdjacentAxesMatchNaive() {
        Random r = new Random(8);
        int[] s = {3, 4, 5, 6};
        float[] x = Close.random(r, 360);
        boolean[] m = {true, false, true, false};
        float[] e = new float[4 * 6];
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 4; b++) {
                for (int c = 0; c < 5; c++) {
                    for (int d = 0; d < 6; d++) {
                        e[b * 6 + d] += x[((a * 4 + b) * 5 + c) * 6 + d];
                    }
                }
            }
        }
        assertClose(e, reduce(x, s, ReduceOp.SUM, m, new int[] {1, 4, 1, 6}), 1e-5, 1e-5, "sum over axes 0 and 2");
        for (int i = 0; i < e.length; i++) {
            e[i] /= 15;
        }
        assertClose(e, reduce(x, s, ReduceOp.MEAN, m, new int[] {1, 4, 1, 6}), 1e-6, 1e-5, "mean over axes 0 and 2");
    }
}
