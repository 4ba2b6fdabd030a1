package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.backend.cpu.Close.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;

class CpuMatmulTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(3);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    @Test
    void twoByTwoByHand() {
        try (Tensor a = cpu.upload(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = cpu.upload(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
             Tensor y = cpu.matmul(a, b)) {
            assertArrayEquals(new int[] {2, 2}, y.shape());
            assertArrayEquals(new float[] {58, 64, 139, 154}, cpu.download(y));
        }
    }

    @Test
    void batchDimensionsBroadcast() {
        Random r = new Random(9);
        int[] as = {2, 1, 3, 37, 19};
        int[] bs = {4, 1, 19, 300};
        float[] a = Close.random(r, 2 * 3 * 37 * 19);
        float[] b = Close.random(r, 4 * 19 * 300);
        float[] e = new float[2 * 4 * 3 * 37 * 300];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 3; k++) {
                    int ao = (i * 3 + k) * 37 * 19;
                    int bo = j * 19 * 300;
                    int yo = ((i * 4 + j) * 3 + k) * 37 * 300;
                    for (int m = 0; m < 37; m++) {
                        for (int n = 0; n < 300; n++) {
                            double s = 0;
                            for (int q = 0; q < 19; q++) {
                                s += a[ao + m * 19 + q] * b[bo + q * 300 + n];
                            }
                            e[yo + m * 300 + n] = (float) s;
                        }
                    }
                }
            }
        }
        try (Tensor ta = cpu.upload(a, as); Tensor tb = cpu.upload(b, bs); Tensor y = cpu.matmul(ta, tb)) {
            assertArrayEquals(new int[] {2, 4, 3, 37, 300}, y.shape());
            assertClose(e, cpu.download(y), 1e-5, 1e-5, "batched matmul");
        }
    }

    @ParameterizedTest(name = "k = {0}")
    @ValueSource(ints = {5, 70, 100, 517})
    void matrixTimesVectorWithBroadcastBatches(int depth) {
        // n == 1 takes the dot-product path; b broadcast over a's leading batch axis. The depths cover the vector dot's
        // four-vector steps, its one-vector steps and its scalar tail (16 lanes: 70 = 64 + 6, 100 = 64 + 2 x 16 + 4)
        Random r = new Random(12);
        float[] a = Close.random(r, 3 * 200 * depth);
        float[] b = Close.random(r, depth);
        float[] e = new float[3 * 200];
        for (int i = 0; i < 3 * 200; i++) {
            double s = 0;
            for (int k = 0; k < depth; k++) {
                s += a[i * depth + k] * b[k];
            }
            e[i] = (float) s;
        }
        try (Tensor ta = cpu.upload(a, 3, 200, depth); Tensor tb = cpu.upload(b, depth, 1); Tensor y = cpu.matmul(ta, tb)) {
            assertArrayEquals(new int[] {3, 200, 1}, y.shape());
            assertClose(e, cpu.download(y), 1e-5, 1e-5, "[3, 200, " + depth + "] x [" + depth + ", 1]");
        }
    }

    @Test
    void singleRowTimesWideMatrixSplitsColumns() {
        Random r = new Random(10);
        float[] a = Close.random(r, 700);
        float[] b = Close.random(r, 700 * 2000);
        float[] e = new float[2000];
        for (int n = 0; n < 2000; n++) {
            double s = 0;
            for (int k = 0; k < 700; k++) {
                s += a[k] * b[k * 2000 + n];
            }
            e[n] = (float) s;
        }
        try (Tensor ta = cpu.upload(a, 1, 700); Tensor tb = cpu.upload(b, 700, 2000); Tensor y = cpu.matmul(ta, tb)) {
            assertClose(e, cpu.download(y), 1e-4, 1e-4, "1 x 700 x 2000");
        }
    }

    @Test
    void mismatchedInnerDimensionsNameBothShapes() {
        try (Tensor a = cpu.allocate(2, 3); Tensor b = cpu.allocate(4, 2); Tensor v = cpu.allocate(3)) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cpu.matmul(a, b));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
            assertThrows(ShapeMismatchException.class, () -> cpu.matmul(a, v));
        }
    }
}
