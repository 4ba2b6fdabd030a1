package org.neuralj.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.conformance.Tolerances;
import org.neuralj.filter.GaussianKernels;

/**
 * The image-filter ops ({@link Backend#separable}, {@link Backend#filter2d}, {@link Backend#sobelMagnitude})
 * and the host transfers they are fed by ({@link Backend#view}, {@link Backend#download(Tensor, float[], int)})
 * on every backend, against plain references written from the ops' documentation: every pad mode, planes
 * from 1x1 up to sizes that span several work-groups of the tiled OpenCL kernels, kernels longer than the
 * image and longer than a local-memory tile, and pyramid steps (ImageJ's and an odd one).
 */
class FilterOpsTest {
    private static final Map<String, Backend> BACKENDS = new HashMap<>();
    private static final int[][] SIZES = {{1, 1}, {1, 9}, {6, 1}, {3, 2}, {23, 37}, {70, 600}, {150, 41}};

    /** Every backend; OpenCL devices twice, with each style of filter kernels (vector for CPU drivers, tiled for GPUs). */
    static Stream<String> backends() {
        return Backends.available().stream().flatMap(b -> b.startsWith("opencl") ? Stream.of(b + " vector", b + " tiled") : Stream.of(b));
    }

    /** The backend of a spec from {@link #backends}, its kernel style switched on. */
    static Backend backend(String spec) {
        String[] parts = spec.split(" ");
        if (parts.length > 1) {
            System.setProperty(STYLE, parts[1]);
        }
        return BACKENDS.computeIfAbsent(parts[0], Backends::select);
    }

    private static final String STYLE = "neuralj.opencl.filterKernels";

    @AfterEach
    void autoStyle() {
        System.clearProperty(STYLE);
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.values().forEach(Backend::close);
        BACKENDS.clear();
    }

    // ---- references (double precision, literally the documented formulas) ------------------------

    /** Position i of a line of n read by the pad mode: the index read, or -1 for CONSTANT's zero. */
    static int map(int i, int n, PadMode m) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (m) {
            case CONSTANT:
                return -1;
            case EDGE:
                return i < 0 ? 0 : n - 1;
            case WRAP:
                return Math.floorMod(i, n);
            default: {
                if (n == 1) {
                    return 0;
                }
                int p = 2 * (n - 1), j = Math.floorMod(i, p);
                return j < n ? j : p - j;
            }
        }
    }

    static double at(double[] line, int i, PadMode m) {
        int s = map(i, line.length, m);
        return s < 0 ? 0 : line[s];
    }

    static double[] correlate(double[] in, float[] k, PadMode m) {
        double[] out = new double[in.length];
        for (int i = 0; i < in.length; i++) {
            for (int t = 0; t < k.length; t++) {
                out[i] += k[t] * at(in, i + t - k.length / 2, m);
            }
        }
        return out;
    }

    static double[] line(double[] in, LineFilter f, PadMode m) {
        if (!f.resamples()) {
            return correlate(in, f.kernel(), m);
        }
        int r = f.factor(), mg = f.margin(), n = f.smallLength(in.length);
        float[] d = f.down(), u = f.up();
        double[] small = new double[n];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < d.length; t++) {
                small[i] += d[t] * at(in, (i - mg) * r + t - d.length / 2, m);
            }
        }
        double[] blurred = correlate(small, f.kernel(), m);
        double[] out = new double[in.length];
        for (int y = 0; y < in.length; y++) {
            for (int i = 0; i < n; i++) {
                int ui = y - (i - mg) * r + u.length / 2;
                if (ui >= 0 && ui < u.length) {
                    out[y] += blurred[i] * u[ui];
                }
            }
        }
        return out;
    }

    static float[] separableRef(float[] x, int planes, int h, int w, LineFilter fx, LineFilter fy, PadMode m) {
        double[] v = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            v[i] = x[i];
        }
        for (int p = 0; p < planes; p++) {
            int o = p * h * w;
            if (fx != null) {
                for (int yy = 0; yy < h; yy++) {
                    double[] row = new double[w];
                    System.arraycopy(v, o + yy * w, row, 0, w);
                    System.arraycopy(line(row, fx, m), 0, v, o + yy * w, w);
                }
            }
            if (fy != null) {
                for (int xx = 0; xx < w; xx++) {
                    double[] col = new double[h];
                    for (int yy = 0; yy < h; yy++) {
                        col[yy] = v[o + yy * w + xx];
                    }
                    double[] c = line(col, fy, m);
                    for (int yy = 0; yy < h; yy++) {
                        v[o + yy * w + xx] = c[yy];
                    }
                }
            }
        }
        return toFloat(v);
    }

    static double px(float[] x, int o, int h, int w, int yy, int xx, PadMode m) {
        int r = map(yy, h, m), c = map(xx, w, m);
        return r < 0 || c < 0 ? 0 : x[o + r * w + c];
    }

    static float[] filter2dRef(float[] x, int planes, int h, int w, float[] k, int kh, int kw, PadMode m) {
        double[] v = new double[x.length];
        for (int p = 0; p < planes; p++) {
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    double s = 0;
                    for (int a = 0; a < kh; a++) {
                        for (int b = 0; b < kw; b++) {
                            s += k[a * kw + b] * px(x, p * h * w, h, w, yy + a - kh / 2, xx + b - kw / 2, m);
                        }
                    }
                    v[p * h * w + yy * w + xx] = s;
                }
            }
        }
        return toFloat(v);
    }

    static float[] sobelRef(float[] x, int planes, int h, int w, PadMode m) {
        float[] gx = filter2dRef(x, planes, h, w, new float[] {-1, 0, 1, -2, 0, 2, -1, 0, 1}, 3, 3, m);
        float[] gy = filter2dRef(x, planes, h, w, new float[] {-1, -2, -1, 0, 0, 0, 1, 2, 1}, 3, 3, m);
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.sqrt((double) gx[i] * gx[i] + (double) gy[i] * gy[i]);
        }
        return out;
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** The op's output for x [planes, h, w] (as a tensor of rank 3), downloaded. */
    interface Op {
        Tensor run(Backend b, Tensor x);
    }

    static float[] run(Backend b, float[] x, int planes, int h, int w, Op op) {
        try (Tensor t = b.upload(x, planes, h, w); Tensor y = op.run(b, t)) {
            assertArrayEquals(new int[] {planes, h, w}, y.shape(), "output shape");
            return b.download(y);
        }
    }

    static void check(float[] expected, float[] actual, String what) {
        Tolerances.assertClose(expected, actual, 2e-5f, 1e-4f, what);
    }

    // ---- tests --------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void separableMatchesTheReferenceForEveryPadModeAndSize(String spec) {
        Backend b = backend(spec);
        LineFilter five = LineFilter.of(new float[] {0.1f, -0.3f, 0.5f, 0.25f, 0.05f});
        LineFilter three = LineFilter.of(new float[] {0.25f, 0.5f, 0.25f});
        LineFilter longer = LineFilter.of(random(3, 131));          // longer than small planes, and than OpenCL's column tile
        for (PadMode m : PadMode.values()) {
            for (int[] s : SIZES) {
                int h = s[0], w = s[1], planes = 2;
                float[] x = random(h * 1000L + w, planes * h * w);
                LineFilter[][] pairs = {{five, three}, {five, null}, {null, three}, {longer, longer}};
                for (LineFilter[] f : pairs) {
                    String what = "separable " + f[0] + " / " + f[1] + " " + m + " on " + planes + "x" + h + "x" + w + " (" + spec + ")";
                    check(separableRef(x, planes, h, w, f[0], f[1], m),
                            run(b, x, planes, h, w, (bb, t) -> bb.separable(t, f[0], f[1], m)), what);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pyramidStepsMatchTheReference(String spec) {
        Backend b = backend(spec);
        float[] odd = {0.05f, 0.2f, 0.5f, 0.2f, 0.05f, 0.1f, -0.1f};   // 7 taps, factor 3: not ImageJ's shapes
        LineFilter synthetic = LineFilter.pyramid(odd, 3, new float[] {0.2f, 0.6f, 0.2f}, random(9, 10), 2);
        for (PadMode m : PadMode.values()) {
            for (int[] s : SIZES) {
                int h = s[0], w = s[1], planes = 2;
                float[] x = random(h * 77L + w, planes * h * w);
                LineFilter gx = GaussianKernels.line(12, 0.0002, w), gy = GaussianKernels.line(17, 0.0002, h);
                check(separableRef(x, planes, h, w, gx, gy, m), run(b, x, planes, h, w, (bb, t) -> bb.separable(t, gx, gy, m)),
                        "ImageJ pyramid (sigma 12 / 17) " + m + " on " + planes + "x" + h + "x" + w + " (" + spec + ")");
                check(separableRef(x, planes, h, w, synthetic, synthetic, m),
                        run(b, x, planes, h, w, (bb, t) -> bb.separable(t, synthetic, synthetic, m)),
                        "pyramid factor 3 " + m + " on " + planes + "x" + h + "x" + w + " (" + spec + ")");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void filter2dAndSobelMatchTheReference(String spec) {
        Backend b = backend(spec);
        int[][] kernels = {{1, 1}, {3, 3}, {5, 3}, {1, 7}, {9, 9}};
        for (PadMode m : PadMode.values()) {
            for (int[] s : SIZES) {
                int h = s[0], w = s[1], planes = 2;
                float[] x = random(h * 31L + w, planes * h * w);
                for (int[] k : kernels) {
                    float[] kv = random(k[0] * 10L + k[1], k[0] * k[1]);
                    check(filter2dRef(x, planes, h, w, kv, k[0], k[1], m),
                            run(b, x, planes, h, w, (bb, t) -> bb.filter2d(t, kv, k[0], k[1], m)),
                            "filter2d " + k[0] + "x" + k[1] + " " + m + " on " + planes + "x" + h + "x" + w + " (" + spec + ")");
                }
                check(sobelRef(x, planes, h, w, m), run(b, x, planes, h, w, (bb, t) -> bb.sobelMagnitude(t, m)),
                        "sobelMagnitude " + m + " on " + planes + "x" + h + "x" + w + " (" + spec + ")");
            }
        }
    }

    /** Float planes filtered in place through {@link PlaneRows} (a write changes what a later read gives). */
    static final class InPlace implements PlaneRows {
        final float[][] planes;
        final int h, w;
        /** Whether the planes are offered as whole float arrays ({@link #floats}), as a 32-bit image's are. */
        final boolean direct;

        InPlace(float[][] planes, int h, int w, boolean direct) {
            this.planes = planes;
            this.h = h;
            this.w = w;
            this.direct = direct;
        }

        @Override
        public float[] floats(int p) {
            return direct ? planes[p] : null;
        }

        @Override
        public int planes() {
            return planes.length;
        }

        @Override
        public int height() {
            return h;
        }

        @Override
        public int width() {
            return w;
        }

        @Override
        public void read(int p, int y, float[] dst, int offset) {
            System.arraycopy(planes[p], y * w, dst, offset, w);
        }

        @Override
        public void write(int p, int y, float[] src, int offset) {
            System.arraycopy(src, offset, planes[p], y * w, w);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void filterRowsWritesTheOpsResultsInPlace(String spec) {
        Backend b = backend(spec);
        // tall enough that the CPU splits every plane into bands, whose borders the in-place writes cross
        int planes = 3, h = 150, w = 37;
        PlaneOp[] ops = {new PlaneOp.Separable(LineFilter.of(random(1, 9)), LineFilter.of(random(2, 5))),
            new PlaneOp.Separable(GaussianKernels.line(9, 0.0002, w), GaussianKernels.line(13, 0.0002, h)),
            new PlaneOp.Separable(null, LineFilter.pyramid(random(5, 4), 2, random(6, 3), random(8, 6), 1)),
            new PlaneOp.Separable(null, LineFilter.of(random(3, 7))), new PlaneOp.Dense(random(4, 15), 5, 3),
            new PlaneOp.SobelMagnitude()};
        for (PlaneOp op : ops) {
            for (PadMode m : PadMode.values()) {
                for (boolean direct : new boolean[] {false, true}) {
                    float[] x = random(7, planes * h * w);
                    float[] expected = run(b, x, planes, h, w, (bb, t) -> op.apply(bb, t, m));
                    float[][] split = new float[planes][];
                    for (int p = 0; p < planes; p++) {
                        split[p] = java.util.Arrays.copyOfRange(x, p * h * w, (p + 1) * h * w);
                    }
                    InPlace rows = new InPlace(split, h, w, direct);
                    java.util.List<Integer> done = new java.util.ArrayList<>();
                    b.filterRows(rows, op, m, done::add);
                    float[] actual = new float[x.length];
                    for (int p = 0; p < planes; p++) {
                        System.arraycopy(split[p], 0, actual, p * h * w, h * w);
                    }
                    String what = "filterRows " + op + " " + m + (direct ? " on whole float planes" : " row by row") + " (" + spec + ")";
                    check(expected, actual, what);
                    assertEquals(planes, (int) done.get(done.size() - 1), what + ": progress reaches every plane");
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void theCpuKernelsThisJvmShouldRun() {
        if (System.getProperty("neuralj.expectVector") != null) {   // set by the build: a Vector API run and a plain-Java run
            String kernels = org.neuralj.backend.cpu.CpuKernels.filters();
            assertEquals(Boolean.getBoolean("neuralj.expectVector"), kernels.contains("Vector API"), kernels);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void viewAndDownloadIntoAnArray(String spec) {
        Backend b = backend(spec);
        float[] data = random(5, 24);
        float[] into = new float[30];
        long up = b.transfers().uploadedBytes(), down = b.transfers().downloadedBytes();
        try (Tensor t = b.view(data, 2, 3, 4); Tensor y = b.sobelMagnitude(t, PadMode.EDGE)) {
            assertArrayEquals(data, b.download(t), "a view holds the data");
            b.download(y, into, 6);
            assertArrayEquals(b.download(y), java.util.Arrays.copyOfRange(into, 6, 30), "download into an array at an offset");
        }
        assertEquals(up + 96, b.transfers().uploadedBytes(), "a view counts as an upload");
        assertEquals(down + 3 * 96, b.transfers().downloadedBytes(), "downloads are counted");
        try (Tensor t = b.upload(data, 24)) {
            assertThrows(IllegalArgumentException.class, () -> b.download(t, new float[30], 7), "does not fit");
            assertThrows(ShapeMismatchException.class, () -> b.view(data, 5, 5), "wrong length");
            assertThrows(IllegalArgumentException.class, () -> b.filter2d(t.reshape(4, 6), new float[4], 2, 2, PadMode.EDGE),
                    "even kernel");
            assertThrows(ShapeMismatchException.class, () -> b.sobelMagnitude(t, PadMode.EDGE), "rank 1");
        }
    }
}
