package org.neuralj.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jocl.CLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.DeviceInfo;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/** Every OpenCL op against hand-computed values or the naive references in {@link Ref}. */
class OpenClBackendTest {
    static OpenClBackend cl;

    @BeforeAll
    static void open() {
        try {
            List<DeviceInfo> devices = OpenClBackend.devices();
            cl = OpenClBackend.open(0);
        } catch (DeviceUnavailableException e) {
            Assumptions.abort("no OpenCL device here, OpenCL tests skipped: " + e.getMessage());
        }
    }

    @AfterAll
    static void close() {
        if (cl != null) cl.close();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    public static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    static int size(int... shape) {
        return Tensor.elementCount(shape);
    }

    /** Runs op on uploaded inputs and downloads the result, closing every tensor. */
    static float[] run(java.util.function.Function<Tensor[], Tensor> op, float[][] data, int[][] shapes, int[] expectShape) {
        Tensor[] in = new Tensor[data.length];
        try {
            for (int i = 0; i < data.length; i++) in[i] = cl.upload(data[i], shapes[i]);
            try (Tensor y = op.apply(in)) {
                if (expectShape != null) assertArrayEquals(expectShape, y.shape(), "output shape");
                return cl.download(y);
            }
        } finally {
            for (Tensor t : in) if (t != null) t.close();
        }
    }

    /** Relative + absolute tolerance; NaN must match NaN; infinities must match exactly. Reports the worst index. */
    static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(e) || Float.isNaN(a)) {
                if (Float.isNaN(e) != Float.isNaN(a)) fail(what + ": at " + i + " expected " + e + " got " + a);
                continue;
            }
            if (Float.isInfinite(e) || Float.isInfinite(a)) {
                if (e != a) fail(what + ": at " + i + " expected " + e + " got " + a);
                continue;
            }
            double err = Math.abs(e - a) / (1 + Math.abs(e));
            if (err > worstErr) {
                worstErr = err;
                worst = i;
            }
        }
        if (worstErr > tol) {
            fail(what + ": worst at index " + worst + ": expected " + expected[worst] + ", got " + actual[worst]
                    + " (error " + worstErr + " > " + tol + ")");
        }
    }

    // ---- devices, memory -------------------------------------------------------------------------

    @Test
    void listsDevicesAndNamesTheBackend() {
        List<DeviceInfo> devices = OpenClBackend.devices();
        assertFalse(devices.isEmpty());
        assertEquals(0, devices.get(0).index());
        assertTrue(devices.get(0).globalMemoryBytes() > 0);
        assertTrue(cl.name().startsWith("opencl:0 ("), cl.name());
        assertTrue(cl.name().contains(devices.get(0).name()), cl.name());
        assertThrows(DeviceUnavailableException.class, () -> OpenClBackend.open(devices.size()));
    }

    @Test
    void uploadDownloadRoundTripIsCounted() {
        long ups = cl.transfers().uploads(), downs = cl.transfers().downloads();
        long upBytes = cl.transfers().uploadedBytes();
        float[] data = random(1, 24);
        try (Tensor t = cl.upload(data, 2, 3, 4)) {
            assertArrayEquals(data, cl.download(t));
            try (Tensor r = t.reshape(4, 6)) {
                assertArrayEquals(data, cl.download(r));
            }
        }
        assertEquals(ups + 1, cl.transfers().uploads());
        assertEquals(upBytes + 96, cl.transfers().uploadedBytes());
        assertEquals(downs + 2, cl.transfers().downloads());
        assertThrows(ShapeMismatchException.class, () -> cl.upload(new float[5], 2, 3));
        try (Tensor s = cl.upload(new float[] {7f})) {
            assertArrayEquals(new float[] {7f}, cl.download(s));
        }
    }

    @Test
    void poolReusesClosedBuffers() {
        try (OpenClBackend b = OpenClBackend.open(0)) {
            Tensor t = b.allocate(3, 1000);
            long created = b.buffersCreated();
            long reused = b.buffersReused();
            t.close();
            try (Tensor again = b.allocate(1000, 3)) {   // same byte size, other shape
                assertEquals(created, b.buffersCreated(), "no new buffer for a size seen before");
                assertEquals(reused + 1, b.buffersReused());
                try (Tensor other = b.allocate(7)) {      // a new size needs a new buffer
                    assertEquals(created + 1, b.buffersCreated());
                }
            }
            // a loop over many "tiles" allocates nothing new after the first
            long before = b.buffersCreated();
            for (int i = 0; i < 20; i++) {
                try (Tensor x = b.upload(random(i, 64), 1, 1, 8, 8); Tensor y = b.unary(x, Activation.of(UnaryOp.RELU))) {
                    assertEquals(64, b.download(y).length);
                }
            }
            assertTrue(b.buffersCreated() <= before + 2, "buffers created in the loop: " + (b.buffersCreated() - before));
        }
    }

    @Test
    void programCacheCompilesOncePerFileAndDefines() {
        try (OpenClBackend b = OpenClBackend.open(0)) {
            ConvSpec s1 = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 16, 20, Activation.NONE);
            ConvSpec s2 = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 33, 41, Activation.NONE);
            ConvSpec relu = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 33, 41, Activation.of(UnaryOp.RELU));
            try (Tensor w = b.upload(random(2, 8 * 3 * 9), 8, 3, 3, 3)) {
                try (Tensor x = b.upload(random(3, 3 * 16 * 20), 1, 3, 16, 20); Tensor y = b.conv2d(x, w, null, s1)) {
                    b.download(y);
                }
                int afterFirst = b.programCompiles();
                assertTrue(afterFirst >= 1);
                try (Tensor x = b.upload(random(4, 2 * 3 * 33 * 41), 2, 3, 33, 41); Tensor y = b.conv2d(x, w, null, s2)) {
                    b.download(y);
                }
                assertEquals(afterFirst, b.programCompiles(), "a new image size must not recompile");
                // the vector kernel has its fused activation compiled in: one program more, once
                for (int i = 0; i < 2; i++) {
                    try (Tensor x = b.upload(random(4, 2 * 3 * 33 * 41), 2, 3, 33, 41); Tensor y = b.conv2d(x, w, null, relu)) {
                        b.download(y);
                    }
                }
                assertTrue(b.programCompiles() <= afterFirst + 1, "a new activation compiles at most once");
            }
            // a new op family compiles its own file once
            try (Tensor x = b.upload(random(5, 10), 10); Tensor y = b.softmax(x, 0, false); Tensor z = b.softmax(y, 0, true)) {
                b.download(z);
            }
            int withSoftmax = b.programCompiles();
            try (Tensor x = b.upload(random(6, 30), 3, 10); Tensor y = b.softmax(x, 1, false)) {
                b.download(y);
            }
            assertEquals(withSoftmax, b.programCompiles());
        }
    }

    @Test
    void errorsAreTranslatedInOnePlace() {
        NeuralJException oom = ClErrors.translate(new CLException("x", -4), "allocating a buffer", "opencl:0 (gpu)",
                123456, 1L << 30);
        assertTrue(oom instanceof DeviceOutOfMemoryException);
        assertTrue(oom.getMessage().contains("opencl:0 (gpu)") && oom.getMessage().contains("123456")
                && oom.getMessage().contains(String.valueOf(1L << 30)), oom.getMessage());
        assertTrue(ClErrors.translate(new CLException("x", -5), "k", "d", 1, 1) instanceof DeviceOutOfMemoryException);
        assertTrue(ClErrors.translate(new CLException("x", -61), "k", "d", 1, 1) instanceof DeviceOutOfMemoryException);
        NeuralJException other = ClErrors.translate(new CLException("x", -52), "kernel conv2d_tiled of conv.cl", "d", 0, 1);
        assertFalse(other instanceof DeviceOutOfMemoryException);
        assertTrue(other.getMessage().contains("CL_INVALID_KERNEL_ARGS") && other.getMessage().contains("conv2d_tiled"),
                other.getMessage());
        // a buffer above the device's largest allocation fails before the driver is asked
        long maxAlloc = cl.device().maxAllocationBytes();
        if (maxAlloc / 4 + 1 < Integer.MAX_VALUE - 8) {
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class,
                    () -> cl.allocate((int) (maxAlloc / 4 + 1)));
            assertTrue(e.getMessage().contains(cl.name()), e.getMessage());
        }
    }

    @Test
    void shapeErrorsNameTheShapes() {
        try (Tensor a = cl.upload(random(1, 6), 2, 3); Tensor b = cl.upload(random(2, 8), 2, 4)) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cl.binary(a, b, BinaryOp.ADD));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[2, 4]"), e.getMessage());
            assertThrows(ShapeMismatchException.class, () -> cl.matmul(a, a));
            assertThrows(ShapeMismatchException.class, () -> cl.strided(a, 4, new int[] {1}, new int[] {3}));
        }
    }

    // ---- element-wise ----------------------------------------------------------------------------

    @Test
    void everyUnaryOpMatchesItsFormula() {
        float[] x = {-25f, -3.7f, -2.5f, -1.5f, -1f, -0.5f, -0.25f, -0f, 0f, 0.1f, 0.5f, 0.7f, 1f, 1.5f, 2.5f, 3.49f,
                5.5f, 6.1f, 21f, 80f, Float.NaN};
        for (UnaryOp op : UnaryOp.values()) {
            Activation f;
            switch (op) {
                case CLIP: f = new Activation(op, -0.6f, 2f); break;
                case HARD_SIGMOID: f = new Activation(op, 0.2f, 0.5f); break;
                case SELU: f = new Activation(op, 1.6732632f, 1.050701f); break;
                case THRESHOLDED_RELU: f = new Activation(op, 1f, 0f); break;
                default: f = new Activation(op, 0.3f, 0.7f);
            }
            float[] expected = new float[x.length];
            for (int i = 0; i < x.length; i++) expected[i] = Ref.act(f, x[i]);
            float[] got = run(t -> cl.unary(t[0], f), new float[][] {x}, new int[][] {{3, 7}}, new int[] {3, 7});
            assertClose(expected, got, 2e-6f, op.toString());
        }
        // ROUND ties to even, exactly
        float[] r = run(t -> cl.unary(t[0], Activation.of(UnaryOp.ROUND)),
                new float[][] {{0.5f, 1.5f, 2.5f, -0.5f, -1.5f}}, new int[][] {{5}}, null);
        assertArrayEquals(new float[] {0f, 2f, 2f, -0f, -2f}, r);
    }

    static float binRef(BinaryOp op, float a, float b) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case POW: return (float) Math.pow(a, b);
            case MAX: return Math.max(a, b);
            case MIN: return Math.min(a, b);
            case PRELU: return a >= 0 ? a : a * b;
            default: throw new IllegalArgumentException();
        }
    }

    /** numpy broadcasting by the definition: index each operand with its own coordinates. */
    static float[] binaryRef(float[] a, int[] as, float[] b, int[] bs, BinaryOp op) {
        int[] out = Backend.broadcastShape(as, bs);
        float[] y = new float[size(out)];
        int[] c = new int[out.length];
        for (int i = 0; i < y.length; i++) {
            int r = i;
            for (int k = out.length - 1; k >= 0; k--) {
                c[k] = r % out[k];
                r /= out[k];
            }
            y[i] = binRef(op, a[flat(c, as)], b[flat(c, bs)]);
        }
        return y;
    }

    static int flat(int[] c, int[] shape) {
        int off = 0, shift = c.length - shape.length;
        for (int k = 0; k < shape.length; k++) off = off * shape[k] + (shape[k] == 1 ? 0 : c[k + shift]);
        return off;
    }

    /** An activation after a binary op: in one kernel for same shapes, two ops when broadcasting. */
    @Test
    void binaryWithAnActivationAfterIt() {
        float[] a = random(31, 2 * 3 * 5), b = random(32, 2 * 3 * 5), row = random(33, 5);
        Activation[] afters = {Activation.of(UnaryOp.RELU), new Activation(UnaryOp.LEAKY_RELU, 0.1f, 0), Activation.of(UnaryOp.SIGMOID)};
        for (Activation after : afters) {
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MUL}) {
                float[] same = run(t -> cl.binary(t[0], t[1], op, after), new float[][] {a, b}, new int[][] {{2, 3, 5}, {2, 3, 5}},
                        new int[] {2, 3, 5});
                float[] bcast = run(t -> cl.binary(t[0], t[1], op, after), new float[][] {a, row}, new int[][] {{2, 3, 5}, {5}},
                        new int[] {2, 3, 5});
                for (int i = 0; i < a.length; i++) {
                    float[] v = {op == BinaryOp.ADD ? a[i] + b[i] : a[i] * b[i], op == BinaryOp.ADD ? a[i] + row[i % 5] : a[i] * row[i % 5]};
                    for (int j = 0; j < 2; j++) {
                        v[j] = switch (after.op()) {
                            case RELU -> Math.max(0f, v[j]);
                            case LEAKY_RELU -> v[j] < 0 ? 0.1f * v[j] : v[j];
                            default -> (float) (1 / (1 + Math.exp(-v[j])));
                        };
                    }
                    assertEquals(v[0], same[i], 1e-6f, op + " then " + after.op() + " at " + i);
                    assertEquals(v[1], bcast[i], 1e-6f, op + " broadcast then " + after.op() + " at " + i);
                }
            }
        }
    }

    @Test
    void binaryOpsBroadcastLikeNumpy() {
        int[][][] pairs = {
            {{2, 3, 4, 5}, {2, 3, 4, 5}},
            {{2, 3, 4, 5}, {3, 1, 5}},
            {{2, 1, 4, 1}, {5}},
            {{1}, {2, 3}},
            {{4, 1, 3}, {1, 2, 1}},
            {{1, 64, 6, 7}, {1, 64, 1, 1}},
            {{2, 1, 2, 1, 2, 3}, {2, 1, 1, 3}},
            {{}, {3, 2}},
        };
        int seed = 10;
        for (int[][] p : pairs) {
            for (BinaryOp op : BinaryOp.values()) {
                float[] a = random(seed++, size(p[0])), b = random(seed++, size(p[1]));
                if (op == BinaryOp.POW) {
                    for (int i = 0; i < a.length; i++) a[i] = Math.abs(a[i]) + 0.1f;
                    for (int i = 0; i < b.length; i++) b[i] *= 3;
                }
                float[] expected = binaryRef(a, p[0], b, p[1], op);
                float[] got = run(t -> cl.binary(t[0], t[1], op), new float[][] {a, b}, p, Backend.broadcastShape(p[0], p[1]));
                assertClose(expected, got, 1e-6f, op + " " + Arrays.toString(p[0]) + " with " + Arrays.toString(p[1]));
            }
        }
        // NaN handling of MAX / MIN, pow of a negative base with an integer exponent
        float[] nan = run(t -> cl.binary(t[0], t[1], BinaryOp.MAX), new float[][] {{Float.NaN, 1f}, {0f, Float.NaN}},
                new int[][] {{2}, {2}}, null);
        assertTrue(Float.isNaN(nan[0]) && Float.isNaN(nan[1]));
        float[] pw = run(t -> cl.binary(t[0], t[1], BinaryOp.POW), new float[][] {{-2f, -3f}, {3f, 2f}},
                new int[][] {{2}, {2}}, null);
        assertArrayEquals(new float[] {-8f, 9f}, pw);
    }

    // ---- convolution -----------------------------------------------------------------------------

    record ConvCase(int n, int c, int h, int w, int m, int kh, int kw, int groups, int sh, int sw,
                    int pt, int pl, int pb, int pr, int dh, int dw, boolean bias, Activation act) {
        ConvSpec spec() {
            int oh = ConvSpec.convOut(h, kh, sh, pt, pb, dh), ow = ConvSpec.convOut(w, kw, sw, pl, pr, dw);
            return new ConvSpec(sh, sw, pt, pl, pb, pr, dh, dw, groups, oh, ow, act);
        }
    }

    static final ConvCase[] CONV_CASES = {
        new ConvCase(1, 3, 9, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.NONE),
        new ConvCase(2, 4, 13, 37, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false, Activation.of(UnaryOp.RELU)),
        new ConvCase(1, 6, 17, 19, 9, 3, 5, 3, 2, 1, 2, 0, 1, 3, 1, 2, true, new Activation(UnaryOp.LEAKY_RELU, 0.1f, 0)),
        new ConvCase(2, 8, 12, 40, 8, 3, 3, 8, 1, 2, 1, 1, 1, 1, 2, 2, true, Activation.of(UnaryOp.SIGMOID)),   // depthwise
        new ConvCase(1, 5, 20, 33, 17, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, true, Activation.NONE),                  // 1x1
        new ConvCase(1, 4, 10, 18, 6, 2, 4, 2, 3, 3, 0, 2, 3, 1, 1, 1, false, new Activation(UnaryOp.CLIP, 0f, 0.3f)),
        new ConvCase(1, 2, 7, 5, 3, 7, 5, 1, 1, 1, 3, 2, 3, 2, 1, 1, true, Activation.NONE),                     // kernel = image
        new ConvCase(3, 16, 8, 70, 20, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.of(UnaryOp.TANH)),
        // vector kernel: 16 + 8 output channels, 19 x-vectors in work-groups of 16 (the global size rounded up)
        new ConvCase(1, 4, 6, 300, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.of(UnaryOp.RELU)),
        // narrow and deep, which a CPU driver runs with the output channels in the lanes (conv2d_lanes)
        new ConvCase(1, 32, 7, 7, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.of(UnaryOp.RELU)),     // 3 tiles, the last 8 of 16
        new ConvCase(2, 24, 14, 13, 32, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1, false, Activation.NONE),              // stride 2, a batch
        new ConvCase(1, 64, 14, 14, 32, 1, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, true, Activation.NONE),               // a ResNet 1x1 / 2 shortcut
        new ConvCase(1, 36, 9, 9, 32, 3, 3, 2, 1, 1, 2, 1, 0, 2, 2, 1, true, new Activation(UnaryOp.LEAKY_RELU, 0.2f, 0)), // 10 wide: 8 + 2, groups
    };

    @Test
    void conv2dMatchesReferenceWithBothKernels() {
        int seed = 100;
        for (ConvCase k : CONV_CASES) {
            ConvSpec s = k.spec();
            int[] xs = {k.n(), k.c(), k.h(), k.w()}, ws = {k.m(), k.c() / k.groups(), k.kh(), k.kw()};
            float[] x = random(seed++, size(xs)), w = random(seed++, size(ws)), b = random(seed++, k.m());
            float[] expected = Ref.conv(x, xs, w, ws, k.bias() ? b : null, s);
            for (OpenClBackend.ConvKernel kernel : OpenClBackend.ConvKernel.values()) {
                cl.setConvKernel(kernel);
                try {
                    float[] got = run(t -> cl.conv2d(t[0], t[1], k.bias() ? t[2] : null, s), new float[][] {x, w, b},
                            new int[][] {xs, ws, {k.m()}}, new int[] {k.n(), k.m(), s.outH(), s.outW()});
                    assertClose(expected, got, 1e-5f, kernel + " " + k);
                } finally {
                    cl.setConvKernel(OpenClBackend.ConvKernel.AUTO);
                }
            }
        }
        try (Tensor x = cl.upload(random(1, 2 * 3 * 5 * 5), 2, 3, 5, 5); Tensor w = cl.upload(random(2, 4 * 2 * 9), 4, 2, 3, 3)) {
            ConvSpec s = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, 3, 3, Activation.NONE);
            assertThrows(ShapeMismatchException.class, () -> cl.conv2d(x, w, null, s));
        }
    }

    /**
     * A residual added before the activation (a ResNet block's Add folded into its convolution): every kernel, the
     * depthwise one through the default two passes, gives exactly what the convolution and then the Add give.
     */
    @Test
    void conv2dAddsAResidualBeforeTheActivation() {
        int seed = 300;
        for (ConvCase k : CONV_CASES) {
            ConvSpec s = k.spec().withActivation(k.act().isIdentity() ? Activation.of(UnaryOp.RELU) : k.act());
            int[] xs = {k.n(), k.c(), k.h(), k.w()}, ws = {k.m(), k.c() / k.groups(), k.kh(), k.kw()};
            int[] ys = {k.n(), k.m(), s.outH(), s.outW()};
            for (OpenClBackend.ConvKernel kernel : OpenClBackend.ConvKernel.values()) {
                cl.setConvKernel(kernel);
                try (Tensor x = cl.upload(random(seed, size(xs)), xs); Tensor w = cl.upload(random(seed + 1, size(ws)), ws);
                     Tensor b = cl.upload(random(seed + 2, k.m()), k.m()); Tensor r = cl.upload(random(seed + 3, size(ys)), ys);
                     Tensor fused = cl.conv2d(x, w, k.bias() ? b : null, s, r);
                     Tensor conv = cl.conv2d(x, w, k.bias() ? b : null, s.withActivation(Activation.NONE));
                     Tensor added = cl.binary(conv, r, BinaryOp.ADD, s.activation())) {
                    assertArrayEquals(cl.download(added), cl.download(fused), kernel + " " + k);
                } finally {
                    cl.setConvKernel(OpenClBackend.ConvKernel.AUTO);
                }
            }
            seed += 4;
        }
        try (Tensor x = cl.upload(random(1, 3 * 5 * 5), 1, 3, 5, 5); Tensor w = cl.upload(random(2, 4 * 3 * 9), 4, 3, 3, 3);
             Tensor r = cl.upload(random(3, 4 * 4), 1, 4, 2, 2)) {
            ConvSpec s = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, 3, 3, Activation.NONE);
            assertThrows(ShapeMismatchException.class, () -> cl.conv2d(x, w, null, s, r), "a residual not of the output's shape");
        }
    }

    /**
     * Tuned work-group shapes give the built-in shapes' results bit for bit (each output's sums are the same), for every
     * kernel the tuner times; the choices land in the tuner's file and a second tuner on that file times nothing.
     */
    @Test
    void tunedWorkGroupShapesGiveTheSameOutputs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path file = dir.resolve("device.properties");
        ConvCase[] cases = {CONV_CASES[1], CONV_CASES[8], CONV_CASES[9], CONV_CASES[10]};
        OpenClBackend.ConvKernel[] kernels = {OpenClBackend.ConvKernel.TILED, OpenClBackend.ConvKernel.VEC, OpenClBackend.ConvKernel.LANES};
        int seed = 500;
        try {
            for (int pass = 0; pass < 2; pass++) {
                LaunchTuner tuner = new LaunchTuner(file);
                for (ConvCase k : cases) {
                    ConvSpec s = k.spec();
                    int[] xs = {k.n(), k.c(), k.h(), k.w()}, ws = {k.m(), k.c() / k.groups(), k.kh(), k.kw()};
                    for (OpenClBackend.ConvKernel kernel : kernels) {
                        cl.setConvKernel(kernel);
                        try (Tensor x = cl.upload(random(seed, size(xs)), xs); Tensor w = cl.upload(random(seed + 1, size(ws)), ws);
                             Tensor b = cl.upload(random(seed + 2, k.m()), k.m())) {
                            cl.tuneWith(null);
                            float[] builtIn;
                            try (Tensor y = cl.conv2d(x, w, b, s)) {
                                builtIn = cl.download(y);
                            }
                            cl.tuneWith(tuner);
                            try (Tensor y = cl.conv2d(x, w, b, s)) {
                                assertArrayEquals(builtIn, cl.download(y), kernel + " " + k);
                            }
                        }
                    }
                    seed += 3;
                }
                if (pass == 0) {
                    assertTrue(tuner.tunedCount() > 0, "the first pass times the kernels");
                } else {
                    assertEquals(0, tuner.tunedCount(), "the second pass reads every choice from " + file);
                }
                seed = 500;
            }
        } finally {
            cl.tuneWith(null);
            cl.setConvKernel(OpenClBackend.ConvKernel.AUTO);
        }
        assertTrue(java.nio.file.Files.exists(file), "the tuning file");
    }

    /** The vector kernel's packed weights are made once per weight tensor and freed with it. */
    @Test
    void packedConvWeightsLiveAsLongAsTheirWeights() {
        cl.setConvKernel(OpenClBackend.ConvKernel.VEC);
        ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 40, Activation.NONE);
        try (Tensor x = cl.upload(random(7, 4 * 8 * 40), 1, 4, 8, 40)) {
            int before = cl.liveBuffers();
            Tensor w = cl.upload(random(8, 24 * 4 * 9), 24, 4, 3, 3);
            float[] first;
            try (Tensor y = cl.conv2d(x, w, null, s)) {
                first = cl.download(y);
            }
            assertEquals(before + 2, cl.liveBuffers(), "the weights and their packed form");
            try (Tensor y = cl.conv2d(x, w, null, s)) {
                assertArrayEquals(first, cl.download(y));
            }
            assertEquals(before + 2, cl.liveBuffers(), "packed once");
            w.close();
            assertEquals(before, cl.liveBuffers(), "packed form freed with the weights");
        } finally {
            cl.setConvKernel(OpenClBackend.ConvKernel.AUTO);
        }
    }

    @Test
    void conv2dHandComputed() {
        // 1x1x3x3 image, 3x3 box kernel, pad 1: every output sums its 3x3 neighbourhood (+1 bias)
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = new float[9];
        Arrays.fill(w, 1f);
        ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, Activation.NONE);
        float[] got = run(t -> cl.conv2d(t[0], t[1], t[2], s), new float[][] {x, w, {1f}},
                new int[][] {{1, 1, 3, 3}, {1, 1, 3, 3}, {1}}, null);
        assertArrayEquals(new float[] {13, 22, 17, 28, 46, 34, 25, 40, 29}, got);
    }

    @Test
    void convTranspose2dMatchesScatterReference() {
        record Case(int n, int c, int h, int w, int mg, int kh, int kw, int groups, int sh, int sw,
                    int pt, int pl, int dh, int dw, int oh, int ow, boolean bias, Activation act) {
        }
        Case[] cases = {
            new Case(1, 2, 4, 5, 3, 3, 3, 1, 2, 2, 1, 1, 1, 1, 7, 9, true, Activation.NONE),   // (in-1)*2 - 2 + 3
            new Case(2, 4, 3, 6, 2, 4, 4, 2, 2, 2, 1, 1, 1, 1, 6, 12, false, Activation.of(UnaryOp.RELU)),
            new Case(1, 3, 5, 4, 2, 3, 2, 1, 3, 1, 0, 1, 2, 1, 17, 4, true, Activation.NONE),  // with output padding
            new Case(1, 6, 4, 4, 1, 2, 2, 6, 2, 2, 0, 0, 1, 1, 8, 8, true, Activation.NONE),   // depthwise up-sampling
            // stride = kernel, no padding: each input pixel owns a block of the output (conv_transpose2d_blocks)
            new Case(2, 5, 3, 4, 11, 2, 2, 1, 2, 2, 0, 0, 1, 1, 6, 8, true, Activation.of(UnaryOp.RELU)),  // 11 = 8 + 3 channels
            new Case(1, 4, 3, 3, 2, 3, 2, 2, 3, 2, 0, 0, 1, 1, 9, 6, false, Activation.NONE),             // 3 x 2 blocks, groups
            new Case(1, 4, 3, 3, 2, 2, 2, 1, 2, 2, 0, 0, 1, 1, 7, 7, true, Activation.NONE),              // output padding: general kernel
        };
        int seed = 300;
        for (Case k : cases) {
            ConvSpec s = new ConvSpec(k.sh(), k.sw(), k.pt(), k.pl(), k.pt(), k.pl(), k.dh(), k.dw(), k.groups(),
                    k.oh(), k.ow(), k.act());
            int m = k.mg() * k.groups();
            int[] xs = {k.n(), k.c(), k.h(), k.w()}, ws = {k.c(), k.mg(), k.kh(), k.kw()};
            float[] x = random(seed++, size(xs)), w = random(seed++, size(ws)), b = random(seed++, m);
            float[] expected = Ref.convTranspose(x, xs, w, ws, k.bias() ? b : null, s);
            float[] got = run(t -> cl.convTranspose2d(t[0], t[1], k.bias() ? t[2] : null, s), new float[][] {x, w, b},
                    new int[][] {xs, ws, {m}}, new int[] {k.n(), m, k.oh(), k.ow()});
            assertClose(expected, got, 1e-5f, k.toString());
        }
    }

    // ---- pooling ---------------------------------------------------------------------------------

    @Test
    void poolingHandComputed() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}; // 4x4
        PoolSpec max = new PoolSpec(PoolSpec.Kind.MAX, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, 2, 2);
        assertArrayEquals(new float[] {6, 8, 14, 16},
                run(t -> cl.pool2d(t[0], max), new float[][] {x}, new int[][] {{1, 1, 4, 4}}, new int[] {1, 1, 2, 2}));
        // 3x3 average, stride 2, pad 1: corner window holds 4 inputs of 9 positions
        PoolSpec incl = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 2, 2);
        PoolSpec excl = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, 2, 2);
        assertArrayEquals(new float[] {14 / 9f, 30 / 9f, 57 / 9f, 99 / 9f},
                run(t -> cl.pool2d(t[0], incl), new float[][] {x}, new int[][] {{1, 1, 4, 4}}, null), 1e-6f);
        assertArrayEquals(new float[] {14 / 4f, 30 / 6f, 57 / 6f, 99 / 9f},
                run(t -> cl.pool2d(t[0], excl), new float[][] {x}, new int[][] {{1, 1, 4, 4}}, null), 1e-6f);
    }

    @Test
    void poolingMatchesReference() {
        int seed = 400;
        // kind, k, stride, pads, dilation, countIncludePad, ceil-mode extra output
        for (PoolSpec.Kind kind : PoolSpec.Kind.values()) {
            for (boolean include : new boolean[] {false, true}) {
                int[][] geo = { // kH kW sH sW pt pl pb pr dH dW extraH extraW
                    {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},   // max_pool3x3s2 (max only)
                    {3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1},   // the same unpadded in ceil mode: last windows cut
                    {2, 3, 2, 1, 0, 1, 1, 0, 1, 1, 1, 0},   // ceil mode: last window partly outside the padded box
                    {3, 2, 1, 2, 2, 0, 0, 1, 2, 1, 0, 1},
                    {5, 5, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1},
                    {2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0},   // max_pool2x2 (max only)
                    {2, 2, 2, 2, 0, 0, 1, 1, 1, 1, 0, 0},   // the same in ceil mode: last row and column windows cut
                };
                for (int[] g : geo) {
                    int H = 11, W = 13;
                    if (g[0] == 2 && g[1] == 2 || g[0] == 3 && g[1] == 3) {
                        H = 9;   // 2 x 2 or 3 x 3 / 2: a row of 20 or 21 outputs (two vectors of 8 and a tail), odd height
                        W = 41;
                    }
                    int oh = ConvSpec.convOut(H, g[0], g[2], g[4], g[6], g[8]) + g[10];
                    int ow = ConvSpec.convOut(W, g[1], g[3], g[5], g[7], g[9]) + g[11];
                    PoolSpec s = new PoolSpec(kind, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], include, oh, ow);
                    int[] xs = {2, 3, H, W};
                    float[] x = random(seed++, size(xs));
                    x[W + 5] = Float.NaN;   // a NaN wins its window (in the vector part of a 2 x 2 row)
                    x[2 * W + 20] = Float.NaN; // ... and in the vector part of a 3 x 3 / 2 row
                    assertClose(Ref.pool(x, xs, s), run(t -> cl.pool2d(t[0], s), new float[][] {x}, new int[][] {xs},
                            new int[] {2, 3, oh, ow}), 1e-6f, s.toString());
                }
            }
        }
    }

    // ---- softmax and reduce ----------------------------------------------------------------------

    @Test
    void softmaxIsStableAndNormalised() {
        int[] xs = {2, 3, 4};
        float[] x = random(500, 24);
        x[0] = 1000f;   // exp overflows unless the maximum is subtracted
        x[4] = 999f;
        for (int axis : new int[] {0, 1, 2, -1}) {
            int a = axis < 0 ? axis + 3 : axis;
            int outer = 1, inner = 1;
            for (int i = 0; i < a; i++) outer *= xs[i];
            for (int i = a + 1; i < 3; i++) inner *= xs[i];
            int n = xs[a];
            float[] soft = new float[24], logSoft = new float[24];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < inner; k++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int i = 0; i < n; i++) max = Math.max(max, x[(o * n + i) * inner + k]);
                    for (int i = 0; i < n; i++) sum += Math.exp(x[(o * n + i) * inner + k] - max);
                    for (int i = 0; i < n; i++) {
                        int j = (o * n + i) * inner + k;
                        soft[j] = (float) (Math.exp(x[j] - max) / sum);
                        logSoft[j] = (float) (x[j] - max - Math.log(sum));
                    }
                }
            assertClose(soft, run(t -> cl.softmax(t[0], axis, false), new float[][] {x}, new int[][] {xs}, xs), 1e-6f, "softmax " + axis);
            assertClose(logSoft, run(t -> cl.softmax(t[0], axis, true), new float[][] {x}, new int[][] {xs}, xs), 1e-6f, "log-softmax " + axis);
        }
    }

    static float[] reduceRef(float[] x, int[] xs, ReduceOp op, boolean[] red) {
        int[] out = xs.clone();
        for (int i = 0; i < xs.length; i++) if (red[i]) out[i] = 1;
        int n = size(out);
        double[] acc = new double[n];
        int[] count = new int[n], best = new int[n];
        float[] bestV = new float[n];
        Arrays.fill(bestV, Float.NaN);
        double init = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0;
        Arrays.fill(acc, init);
        int[] c = new int[xs.length];
        for (int i = 0; i < x.length; i++) {
            int r = i;
            for (int k = xs.length - 1; k >= 0; k--) {
                c[k] = r % xs[k];
                r /= xs[k];
            }
            int o = 0;
            for (int k = 0; k < xs.length; k++) o = o * out[k] + (red[k] ? 0 : c[k]);
            int along = 0;
            for (int k = 0; k < xs.length; k++) if (red[k]) along = c[k];
            float v = x[i];
            switch (op) {
                case SUM: case MEAN: acc[o] += v; break;
                case SUM_SQUARE: acc[o] += v * v; break;
                case MAX: acc[o] = Math.max(acc[o], v); break;
                case MIN: acc[o] = Math.min(acc[o], v); break;
                case ARGMAX: if (count[o] == 0 || v > bestV[o]) { bestV[o] = v; best[o] = along; } break;
                case ARGMIN: if (count[o] == 0 || v < bestV[o]) { bestV[o] = v; best[o] = along; } break;
            }
            count[o]++;
        }
        float[] y = new float[n];
        for (int o = 0; o < n; o++) {
            y[o] = op == ReduceOp.MEAN ? (float) (acc[o] / count[o])
                    : (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) ? best[o] : (float) acc[o];
        }
        return y;
    }

    @Test
    void reduceOverAnyAxesKeepsRank() {
        int[] xs = {2, 3, 4, 5};
        float[] x = random(600, size(xs));
        x[7] = x[8];  // a tie: ARG* must pick the first
        boolean[][] sets = {
            {false, true, false, false}, {false, false, true, true}, {true, false, true, false},
            {true, true, true, true}, {false, false, false, false}, {false, false, false, true}, {true, false, false, false},
        };
        for (ReduceOp op : ReduceOp.values()) {
            for (boolean[] red : sets) {
                int count = 0;
                for (boolean b : red) if (b) count++;
                if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) && count != 1) continue;
                int[] out = xs.clone();
                for (int i = 0; i < 4; i++) if (red[i]) out[i] = 1;
                float[] expected = reduceRef(x, xs, op, red);
                assertClose(expected, run(t -> cl.reduce(t[0], op, red), new float[][] {x}, new int[][] {xs}, out),
                        2e-6f, op + " " + Arrays.toString(red));
            }
        }
        // ties: the first index wins
        float[] arg = run(t -> cl.reduce(t[0], ReduceOp.ARGMAX, new boolean[] {false, true}),
                new float[][] {{1, 5, 5, 2, 7, 7, 7, 0}}, new int[][] {{2, 4}}, new int[] {2, 1});
        assertArrayEquals(new float[] {1, 0}, arg);
        assertThrows(ShapeMismatchException.class, () -> {
            try (Tensor t = cl.upload(x, xs)) {
                cl.reduce(t, ReduceOp.ARGMAX, new boolean[] {true, true, false, false});
            }
        });
    }

    @Test
    void reduceOfEmptyAxisFollowsTheRules() {
        int[] xs = {2, 0, 3};
        boolean[] red = {false, true, false};
        float[][] expected = {
            {0, 0, 0, 0, 0, 0},
            {Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN, Float.NaN},
            {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY},
            {Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY,
                Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY},
            {0, 0, 0, 0, 0, 0},
        };
        ReduceOp[] ops = {ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.SUM_SQUARE};
        for (int i = 0; i < ops.length; i++) {
            ReduceOp op = ops[i];
            assertClose(expected[i], run(t -> cl.reduce(t[0], op, red), new float[][] {{}}, new int[][] {xs},
                    new int[] {2, 1, 3}), 0, op.toString());
        }
    }

    // ---- matmul ----------------------------------------------------------------------------------

    static float[] matmulRef(float[] a, int[] as, float[] b, int[] bs) {
        int M = as[as.length - 2], K = as[as.length - 1], N = bs[bs.length - 1];
        int[] ab = Arrays.copyOf(as, as.length - 2), bb = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = Backend.broadcastShape(ab, bb);
        int nb = size(batch);
        float[] y = new float[nb * M * N];
        int[] c = new int[batch.length];
        for (int z = 0; z < nb; z++) {
            int r = z;
            for (int k = batch.length - 1; k >= 0; k--) {
                c[k] = r % batch[k];
                r /= batch[k];
            }
            int ao = flat(c, ab) * M * K, bo = flat(c, bb) * K * N;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
                    y[(z * M + i) * N + j] = (float) s;
                }
        }
        return y;
    }

    @Test
    void matmulBroadcastsBatches() {
        int[][][] pairs = {
            {{3, 4}, {4, 5}},
            {{37, 50}, {50, 29}},
            {{2, 1, 3, 4}, {5, 4, 6}},
            {{4, 17, 33}, {33, 18}},
            {{1, 2, 1, 2, 3, 4}, {2, 1, 2, 4, 3}},
            {{5, 0}, {0, 3}},
            {{40, 37}, {37, 1}},      // matrix x vector (matvec): 2 vectors of 16 + a tail of 5
            {{3, 0}, {0, 1}},         // matvec with nothing to sum
        };
        int seed = 700;
        for (int[][] p : pairs) {
            float[] a = random(seed++, size(p[0])), b = random(seed++, size(p[1]));
            float[] expected = matmulRef(a, p[0], b, p[1]);
            int[] batch = Backend.broadcastShape(Arrays.copyOf(p[0], p[0].length - 2), Arrays.copyOf(p[1], p[1].length - 2));
            int[] out = Arrays.copyOf(batch, batch.length + 2);
            out[batch.length] = p[0][p[0].length - 2];
            out[batch.length + 1] = p[1][p[1].length - 1];
            assertClose(expected, run(t -> cl.matmul(t[0], t[1]), new float[][] {a, b}, p, out), 1e-5f,
                    Arrays.toString(p[0]) + " x " + Arrays.toString(p[1]));
        }
        // vectors (numpy promotion): [3] x [3, 2] -> [2]
        float[] v = run(t -> cl.matmul(t[0], t[1]), new float[][] {{1, 2, 3}, {1, 0, 0, 1, 1, 1}},
                new int[][] {{3}, {3, 2}}, new int[] {2});
        assertArrayEquals(new float[] {4, 5}, v);
    }

    // ---- data movement ---------------------------------------------------------------------------

    @Test
    void stridedViews() {
        float[] x = new float[24];
        for (int i = 0; i < 24; i++) x[i] = i;
        int[] xs = {2, 3, 4};
        // transpose [2,3,4] -> [4,3,2]
        float[] tr = run(t -> cl.strided(t[0], 0, new int[] {1, 4, 12}, new int[] {4, 3, 2}), new float[][] {x},
                new int[][] {xs}, new int[] {4, 3, 2});
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 2; k++) assertEquals(x[k * 12 + j * 4 + i], tr[(i * 3 + j) * 2 + k]);
        // reversed last axis (negative stride) with a slice of the middle axis
        float[] rev = run(t -> cl.strided(t[0], 3 + 4, new int[] {12, 4, -1}, new int[] {2, 2, 4}), new float[][] {x},
                new int[][] {xs}, null);
        assertArrayEquals(new float[] {7, 6, 5, 4, 11, 10, 9, 8, 19, 18, 17, 16, 23, 22, 21, 20}, rev);
        // expand with 0 strides, rank 6
        float[] ex = run(t -> cl.strided(t[0], 1, new int[] {0, 0, 1, 0, 0, 0}, new int[] {2, 1, 3, 1, 2, 1}),
                new float[][] {x}, new int[][] {xs}, new int[] {2, 1, 3, 1, 2, 1});
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, ex);
        // every element stepping by 2 from offset 1, and an empty view
        float[] step = run(t -> cl.strided(t[0], 1, new int[] {2}, new int[] {12}), new float[][] {x}, new int[][] {xs}, null);
        for (int i = 0; i < 12; i++) assertEquals(1 + 2 * i, step[i]);
        assertEquals(0, run(t -> cl.strided(t[0], 0, new int[] {1, 1}, new int[] {0, 5}), new float[][] {x},
                new int[][] {xs}, new int[] {0, 5}).length);
    }

    @Test
    void concatAlongEveryAxis() {
        int[][] shapes = {{2, 3, 20}, {2, 3, 20}, {2, 3, 20}};
        for (int axis = -1; axis < 3; axis++) {
            int a = axis < 0 ? axis + 3 : axis;
            List<float[]> parts = new ArrayList<>();
            int[][] ss = new int[3][];
            for (int i = 0; i < 3; i++) {
                ss[i] = shapes[i].clone();
                ss[i][a] = i + 1;   // 1, 2, 3 along the axis
                parts.add(random(800 + i, size(ss[i])));
            }
            int[] out = shapes[0].clone();
            out[a] = 6;
            float[] expected = new float[size(out)];
            int outer = 1, inner = 1;
            for (int i = 0; i < a; i++) outer *= out[i];
            for (int i = a + 1; i < 3; i++) inner *= out[i];
            int at = 0;
            for (int p = 0; p < 3; p++) {
                int len = ss[p][a] * inner;
                for (int o = 0; o < outer; o++) System.arraycopy(parts.get(p), o * len, expected, o * 6 * inner + at, len);
                at += len;
            }
            final int ax = axis;
            float[] got = run(t -> cl.concat(List.of(t[0], t[1], t[2]), ax), parts.toArray(new float[0][]), ss, out);
            assertArrayEquals(expected, got, "axis " + axis);
        }
    }

    static float[] padRef(float[] x, int[] xs, int[] before, int[] after, PadMode mode, float value) {
        int r = xs.length;
        int[] out = new int[r];
        for (int i = 0; i < r; i++) out[i] = xs[i] + before[i] + after[i];
        float[] y = new float[size(out)];
        int[] c = new int[r];
        for (int i = 0; i < y.length; i++) {
            int rest = i;
            for (int k = r - 1; k >= 0; k--) {
                c[k] = rest % out[k];
                rest /= out[k];
            }
            int off = 0;
            boolean outside = false;
            for (int k = 0; k < r; k++) {
                int s = c[k] - before[k], n = xs[k];
                if (s < 0 || s >= n) {
                    switch (mode) {
                        case CONSTANT: outside = true; break;
                        case EDGE: s = Math.max(0, Math.min(n - 1, s)); break;
                        case WRAP: s = Math.floorMod(s, n); break;
                        default: // reflect by walking back and forth
                            while (s < 0 || s >= n) {
                                if (n == 1) { s = 0; break; }
                                s = s < 0 ? -s : 2 * (n - 1) - s;
                            }
                    }
                }
                off = off * n + s;
            }
            y[i] = outside ? value : x[off];
        }
        return y;
    }

    @Test
    void padEveryModeAndCrop() {
        // hand-computed 1-D rows
        float[] row = {0, 1, 2};
        assertArrayEquals(new float[] {9, 9, 0, 1, 2, 9},
                run(t -> cl.pad(t[0], new int[] {2}, new int[] {1}, PadMode.CONSTANT, 9), new float[][] {row}, new int[][] {{3}}, null));
        assertArrayEquals(new float[] {2, 1, 0, 1, 2, 1},
                run(t -> cl.pad(t[0], new int[] {2}, new int[] {1}, PadMode.REFLECT, 0), new float[][] {row}, new int[][] {{3}}, null));
        assertArrayEquals(new float[] {0, 0, 0, 1, 2, 2},
                run(t -> cl.pad(t[0], new int[] {2}, new int[] {1}, PadMode.EDGE, 0), new float[][] {row}, new int[][] {{3}}, null));
        assertArrayEquals(new float[] {1, 2, 0, 1, 2, 0},
                run(t -> cl.pad(t[0], new int[] {2}, new int[] {1}, PadMode.WRAP, 0), new float[][] {row}, new int[][] {{3}}, null));
        assertArrayEquals(new float[] {1},
                run(t -> cl.pad(t[0], new int[] {-1}, new int[] {-1}, PadMode.CONSTANT, 0), new float[][] {row}, new int[][] {{3}}, null));
        int[] xs = {2, 3, 4, 5};
        float[] x = random(900, size(xs));
        int[][][] pads = {
            {{0, 1, 2, 3}, {1, 0, 3, 2}},
            {{0, -1, 1, -2}, {0, 2, -1, 1}},   // crops and pads
            {{0, 0, 7, 9}, {0, 0, 8, 11}},     // larger than the axis: reflect / wrap repeat
            {{0, 0, 0, 3}, {0, 0, 0, 20}},     // the last axis only (constant: the row-copy kernel), rows of 28
        };
        for (PadMode mode : PadMode.values()) {
            for (int[][] p : pads) {
                if (mode == PadMode.REFLECT && p[0][3] > 4) {
                    // ONNX reflect is defined by repeated mirroring; our reference walks it
                }
                int[] out = new int[4];
                for (int i = 0; i < 4; i++) out[i] = xs[i] + p[0][i] + p[1][i];
                assertClose(padRef(x, xs, p[0], p[1], mode, -3.5f),
                        run(t -> cl.pad(t[0], p[0], p[1], mode, -3.5f), new float[][] {x}, new int[][] {xs}, out),
                        0, mode + " " + Arrays.deepToString(p));
            }
        }
    }

    @Test
    void gatherWithNegativeAndOutOfRangeIndices() {
        float[] x = new float[24];
        for (int i = 0; i < 24; i++) x[i] = i;
        // axis 1 of [2, 3, 4], indices [2, 2] = {{0, -1}, {5, 1}}: output [2, 2, 2, 4]
        float[] got = run(t -> cl.gather(t[0], t[1], 1), new float[][] {x, {0, -1, 5, 1}}, new int[][] {{2, 3, 4}, {2, 2}},
                new int[] {2, 2, 2, 4});
        float[] expected = new float[32];
        int[] idx = {0, 2, -1, 1};
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < 4; k++)
                for (int i = 0; i < 4; i++) expected[(o * 4 + k) * 4 + i] = idx[k] < 0 ? 0 : x[(o * 3 + idx[k]) * 4 + i];
        assertArrayEquals(expected, got);
        // axis 0 with a scalar index removes the axis
        float[] row = run(t -> cl.gather(t[0], t[1], 0), new float[][] {x, {-1}}, new int[][] {{2, 3, 4}, {}}, new int[] {3, 4});
        assertArrayEquals(Arrays.copyOfRange(x, 12, 24), row);
        // last axis
        float[] last = run(t -> cl.gather(t[0], t[1], -1), new float[][] {x, {3, 0}}, new int[][] {{2, 3, 4}, {2}},
                new int[] {2, 3, 2});
        assertArrayEquals(new float[] {3, 0, 7, 4, 11, 8, 15, 12, 19, 16, 23, 20}, last);
    }

    // ---- resize ----------------------------------------------------------------------------------

    @Test
    void resizeHandComputedOnnxExamples() {
        // ONNX resize_upsample_scales_linear (half_pixel): [[1,2],[3,4]] x2
        ResizeSpec lin = new ResizeSpec(4, 4, 2, 2, ResizeSpec.Mode.LINEAR, ResizeSpec.CoordinateMode.HALF_PIXEL,
                ResizeSpec.NearestMode.ROUND_PREFER_FLOOR, -0.75f, false);
        assertArrayEquals(new float[] {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4},
                run(t -> cl.resize(t[0], lin), new float[][] {{1, 2, 3, 4}}, new int[][] {{1, 1, 2, 2}}, new int[] {1, 1, 4, 4}), 1e-6f);
        // nearest x2 asymmetric floor: every pixel doubled
        ResizeSpec near = new ResizeSpec(4, 4, 2, 2, ResizeSpec.Mode.NEAREST, ResizeSpec.CoordinateMode.ASYMMETRIC,
                ResizeSpec.NearestMode.FLOOR, -0.75f, false);
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4},
                run(t -> cl.resize(t[0], near), new float[][] {{1, 2, 3, 4}}, new int[][] {{1, 1, 2, 2}}, null));
    }

    @Test
    void resizeEveryModeMatchesReference() {
        int[] xs = {1, 2, 5, 7};
        float[] x = random(1000, size(xs));
        int[][] outs = {{10, 14}, {3, 4}, {1, 1}, {9, 7}, {15, 7}};
        int seed = 0;
        for (ResizeSpec.Mode mode : ResizeSpec.Mode.values()) {
            for (ResizeSpec.CoordinateMode cm : ResizeSpec.CoordinateMode.values()) {
                for (ResizeSpec.NearestMode nm : ResizeSpec.NearestMode.values()) {
                    if (mode != ResizeSpec.Mode.NEAREST && nm != ResizeSpec.NearestMode.ROUND_PREFER_FLOOR) continue;
                    for (boolean exclude : new boolean[] {false, true}) {
                        if (mode != ResizeSpec.Mode.CUBIC && exclude) continue;
                        // nearest takes every size (whole-factor repeats take their own kernel where the mode allows)
                        int[][] sizes = mode == ResizeSpec.Mode.NEAREST ? outs : new int[][] {outs[seed++ % outs.length]};
                        for (int[] o : sizes) {
                            float a = exclude ? -0.5f : -0.75f;
                            ResizeSpec s = new ResizeSpec(o[0], o[1], o[0] / (float) xs[2], o[1] / (float) xs[3], mode, cm, nm, a, exclude);
                            assertClose(Ref.resize(x, xs, s), run(t -> cl.resize(t[0], s), new float[][] {x}, new int[][] {xs},
                                    new int[] {1, 2, o[0], o[1]}), 2e-6f, s.toString());
                        }
                    }
                }
            }
        }
    }
}
