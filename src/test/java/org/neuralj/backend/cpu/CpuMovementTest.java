package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;

class CpuMovementTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    private float[] strided(float[] x, int[] xs, int offset, int[] strides, int[] out) {
        try (Tensor t = cpu.upload(x, xs); Tensor y = cpu.strided(t, offset, strides, out)) {
            assertArrayEquals(out, y.shape());
            return cpu.download(y);
        }
    }

    @Test
    void stridedTransposeSliceReverseAndExpand() {
        float[] x = Close.iota(6); // [[0 1 2] [3 4 5]]
        int[] s = {2, 3};
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, strided(x, s, 0, new int[] {1, 3}, new int[] {3, 2}), "transpose");
        assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, strided(x, s, 5, new int[] {-3, -1}, s), "reverse both axes");
        assertArrayEquals(new float[] {1, 2, 4, 5}, strided(x, s, 1, new int[] {3, 1}, new int[] {2, 2}), "slice");
        assertArrayEquals(new float[] {3, 4, 5, 3, 4, 5}, strided(x, s, 3, new int[] {0, 1}, s), "expand row 1");
        assertArrayEquals(new float[] {2, 0}, strided(x, s, 2, new int[] {-2}, new int[] {2}), "step -2");
        assertArrayEquals(new float[] {4}, strided(x, s, 4, new int[] {}, new int[] {}), "scalar");
        assertArrayEquals(new float[0], strided(x, s, 0, new int[] {1, 1}, new int[] {0, 4}), "empty");
        try (Tensor t = cpu.upload(x, s)) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> cpu.strided(t, 1, new int[] {-3, 1}, new int[] {2, 2}));
            assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
            assertThrows(ShapeMismatchException.class, () -> cpu.strided(t, 0, new int[] {3, 1}, new int[] {3, 1}));
        }
    }

    @Test
    void concatAlongEachAxis() {
        try (Tensor a = cpu.upload(Close.iota(4), 2, 2); Tensor b = cpu.upload(new float[] {10, 11}, 2, 1);
             Tensor c = cpu.upload(new float[] {20, 21}, 1, 2)) {
            try (Tensor y = cpu.concat(List.of(a, b), 1)) {
                assertArrayEquals(new int[] {2, 3}, y.shape());
                assertArrayEquals(new float[] {0, 1, 10, 2, 3, 11}, cpu.download(y));
            }
            try (Tensor y = cpu.concat(List.of(c, a, c), -2)) {
                assertArrayEquals(new int[] {4, 2}, y.shape());
                assertArrayEquals(new float[] {20, 21, 0, 1, 2, 3, 20, 21}, cpu.download(y));
            }
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cpu.concat(List.of(a, c), 1));
            assertTrue(e.getMessage().contains("[1, 2]") && e.getMessage().contains("[2, 2]"), e.getMessage());
        }
    }

    private float[] pad(float[] x, int[] s, int[] before, int[] after, PadMode mode, float value, int[] out) {
        try (Tensor t = cpu.upload(x, s); Tensor y = cpu.pad(t, before, after, mode, value)) {
            assertArrayEquals(out, y.shape());
            return cpu.download(y);
        }
    }

    @Test
    void padModesAsNumpy() {
        // numpy.pad([0, 1, 2], (3, 4), mode) — the expected rows are numpy's output
        float[] x = {0, 1, 2};
        int[] s = {3};
        int[] b = {3};
        int[] a = {4};
        int[] o = {10};
        assertArrayEquals(new float[] {9, 9, 9, 0, 1, 2, 9, 9, 9, 9}, pad(x, s, b, a, PadMode.CONSTANT, 9, o));
        assertArrayEquals(new float[] {1, 2, 1, 0, 1, 2, 1, 0, 1, 2}, pad(x, s, b, a, PadMode.REFLECT, 0, o));
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 2, 2, 2, 2}, pad(x, s, b, a, PadMode.EDGE, 0, o));
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, pad(x, s, b, a, PadMode.WRAP, 0, o));
    }

    @Test
    void pad2dAndNegativeCrop() {
        // ONNX Pad reflect example: [[1, 1.2], [2.3, 3.4], [4.5, 5.7]], pads [0, 2, 0, 0]
        float[] x = {1f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
        assertArrayEquals(new float[] {1f, 1.2f, 1f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f},
                pad(x, new int[] {3, 2}, new int[] {0, 2}, new int[] {0, 0}, PadMode.REFLECT, 0, new int[] {3, 4}));
        // crop one row at the top and pad one constant column on the right
        assertArrayEquals(new float[] {2.3f, 3.4f, -1f, 4.5f, 5.7f, -1f},
                pad(x, new int[] {3, 2}, new int[] {-1, 0}, new int[] {0, 1}, PadMode.CONSTANT, -1f, new int[] {2, 3}));
        // edge padding on both axes of a 4-D tensor
        float[] e = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4};
        assertArrayEquals(e, pad(new float[] {1, 2, 3, 4}, new int[] {1, 1, 2, 2}, new int[] {0, 0, 1, 1},
                new int[] {0, 0, 0, 1}, PadMode.EDGE, 0, new int[] {1, 1, 3, 4}));
        try (Tensor t = cpu.upload(x, 3, 2)) {
            assertThrows(ShapeMismatchException.class, () -> cpu.pad(t, new int[] {-2, 0}, new int[] {-2, 0}, PadMode.CONSTANT, 0));
            assertThrows(ShapeMismatchException.class, () -> cpu.pad(t, new int[] {1}, new int[] {1}, PadMode.CONSTANT, 0));
        }
    }

    @Test
    void gatherWithNegativeAndMultiDimensionalIndices() {
        float[] x = Close.iota(12); // [3, 4]
        try (Tensor t = cpu.upload(x, 3, 4)) {
            try (Tensor idx = cpu.upload(new float[] {0, -1, 1, 0}, 2, 2); Tensor y = cpu.gather(t, idx, 0)) {
                assertArrayEquals(new int[] {2, 2, 4}, y.shape());
                assertArrayEquals(new float[] {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3}, cpu.download(y));
            }
            try (Tensor idx = cpu.upload(new float[] {3, -4}, 2); Tensor y = cpu.gather(t, idx, 1)) {
                assertArrayEquals(new int[] {3, 2}, y.shape());
                assertArrayEquals(new float[] {3, 0, 7, 4, 11, 8}, cpu.download(y));
            }
            try (Tensor idx = cpu.upload(new float[] {2}); Tensor y = cpu.gather(t, idx, -2)) {
                assertArrayEquals(new int[] {4}, y.shape(), "a scalar index drops the axis");
                assertArrayEquals(new float[] {8, 9, 10, 11}, cpu.download(y));
            }
            try (Tensor idx = cpu.upload(new float[] {1, 4}, 2)) {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.gather(t, idx, 1));
                assertTrue(e.getMessage().contains("index 4") && e.getMessage().contains("size 4"), e.getMessage());
            }
            try (Tensor idx = cpu.upload(new float[] {-4}, 1)) {
                assertThrows(IndexOutOfBoundsException.class, () -> cpu.gather(t, idx, 0));
            }
        }
    }
}
