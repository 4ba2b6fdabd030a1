package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.backend.cpu.Close.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

class CpuConvTest {
    static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend(4);
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    // ---- SGEMM ------------------------------------------------------------------------------

    @Test
    void sgemmMatchesItsReferenceOnAwkwardSizes() {
        Random r = new Random(3);
        // awkward for both kernels: edge tiles in M (MR = 8) and N (NR = 32), K past one block (256),
        // N past one panel (1024), K = 0
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {17, 600, 300}, {5, 1030, 513}, {64, 37, 4}, {2, 3, 0},
            {16, 64, 288}, {9, 2100, 40}};
        for (int[] s : sizes) {
            int m = s[0], n = s[1], k = s[2];
            int lda = k + 2, ldb = n + 3, ldc = n + 1;   // non-tight leading dimensions and offsets
            float[] a = Close.random(r, 1 + m * lda);
            float[] b = Close.random(r, 2 + Math.max(1, k) * ldb);
            float[] bias = Close.random(r, m + 1);
            float[] c1 = new float[m * ldc + 1];
            float[] c2 = new float[m * ldc + 1];
            Activation act = new Activation(UnaryOp.LEAKY_RELU, 0.1f, 0);
            float[] c3 = new float[m * ldc + 1];
            Sgemm.multiply(m, n, k, a, 1, lda, b, 2, ldb, c1, 1, ldc, bias, 1, act);
            Sgemm.reference(m, n, k, a, 1, lda, b, 2, ldb, c2, 1, ldc, bias, 1, act);
            Sgemm.multiplyPlain(m, n, k, a, 1, lda, b, 2, ldb, c3, 1, ldc, bias, 1, act);
            assertClose(c2, c1, 1e-4, 1e-4, "sgemm (" + Sgemm.describe() + ") " + m + "x" + n + "x" + k);
            assertClose(c2, c3, 1e-4, 1e-4, "plain sgemm " + m + "x" + n + "x" + k);
            for (int i = 0; i < m; i++) {                  // the gap column between rows of C stays untouched
                assertEquals(0f, c1[1 + i * ldc + n], "sgemm wrote outside C at row " + i);
            }
            assertEquals(0f, c1[0], "sgemm wrote before C");
        }
    }

    /**
     * Under Maven the default test run starts the JVM with {@code --add-modules jdk.incubator.vector}
     * and the "plain-java" run with {@code -Dneuralj.vector=false}: each must get the SGEMM it asked
     * for, or the other path would go untested without anyone noticing.
     */
    @Test
    void theSgemmInUseIsTheOneTheJvmAskedFor() {
        boolean moduleThere = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean wanted = moduleThere && Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"));
        assertEquals(wanted, Sgemm.vector() != null, Sgemm.describe());
        if (System.getProperty("neuralj.expectVector") != null) {
            assertEquals(Boolean.getBoolean("neuralj.expectVector"), Sgemm.vector() != null, Sgemm.describe());
        }
    }

    // ---- convolution --------------------------------------------------------------------------

    /** The definition in ConvSpec's Javadoc, as seven loops in double. */
    static float[] naiveConv(float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s) {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], m = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        int mg = m / s.groups();
        float[] y = new float[n * m * s.outH() * s.outW()];
        for (int in = 0; in < n; in++) {
            for (int om = 0; om < m; om++) {
                int g = om / mg;
                for (int oy = 0; oy < s.outH(); oy++) {
                    for (int ox = 0; ox < s.outW(); ox++) {
                        double acc = bias == null ? 0 : bias[om];
                        for (int ic = 0; ic < cg; ic++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                                    int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        acc += x[((in * c + g * cg + ic) * h + iy) * wd + ix]
                                                * w[((om * cg + ic) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        float[] v = {(float) acc};
                        CpuElementwise.apply(s.activation(), v, 0, v, 0, 1);
                        y[((in * m + om) * s.outH() + oy) * s.outW() + ox] = v[0];
                    }
                }
            }
        }
        return y;
    }

    private static float[] conv(CpuBackend be, float[] x, int[] xs, float[] w, int[] ws, float[] b, ConvSpec s) {
        try (Tensor tx = be.upload(x, xs); Tensor tw = be.upload(w, ws);
             Tensor tb = b == null ? null : be.upload(b, ws[0]);
             Tensor y = be.conv2d(tx, tw, tb, s)) {
            assertArrayEquals(new int[] {xs[0], ws[0], s.outH(), s.outW()}, y.shape());
            return be.download(y);
        }
    }

    @Test
    void tinyConvByHand() {
        // x = 1..9 in 3x3, w = [[1,0],[0,-1]], bias 0.5, no pad: y = x[i][j] - x[i+1][j+1] + 0.5 = -4 + 0.5
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {1, 0, 0, -1};
        ConvSpec s = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, 2, 2, Activation.NONE);
        assertArrayEquals(new float[] {-3.5f, -3.5f, -3.5f, -3.5f}, conv(cpu, x, new int[] {1, 1, 3, 3}, w,
                new int[] {1, 1, 2, 2}, new float[] {0.5f}, s));
        // same-padded 3x3 box sum, fused ReLU after bias -20: sums 12 21 16 / 27 45 33 / 24 39 28
        float[] box = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        ConvSpec same = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, Activation.of(UnaryOp.RELU));
        assertArrayEquals(new float[] {0, 1, 0, 7, 25, 13, 4, 19, 8}, conv(cpu, x, new int[] {1, 1, 3, 3}, box,
                new int[] {1, 1, 3, 3}, new float[] {-20f}, same));
    }

    @Test
    void gemmConvMatchesNaiveConvOnRandomGeometry() {
        Random r = new Random(11);
        // n, c, h, w, m, kh, kw, stride h/w, pads t/l/b/r, dilation h/w, groups
        int[][] cases = {
            {1, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
            {2, 4, 10, 7, 6, 3, 2, 2, 1, 0, 2, 1, 0, 1, 2, 2},     // groups 2, asymmetric pads, stride 2x1
            {1, 6, 12, 12, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6},     // depthwise, dilation 2
            {3, 8, 5, 6, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},      // 1x1 direct path
            {1, 8, 5, 6, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 2},       // 1x1 strided, groups: one phase of four
            {1, 2, 40, 37, 5, 5, 5, 3, 2, 2, 1, 3, 0, 1, 1, 1},      // stride 3x2, big kernel
            {2, 3, 9, 13, 5, 3, 3, 2, 3, 1, 2, 1, 0, 1, 2, 1},      // column stride 3 with dilation 2 and a left pad: phase-split rows
            {1, 64, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     // K = 576 > Sgemm.KC
            {1, 1, 4, 4, 1, 3, 3, 1, 1, 3, 3, 3, 3, 1, 1, 1},        // pads bigger than the kernel reach
            // stride 1 runs as an implicit GEMM on the padded input (vector GEMM only)
            {2, 4, 9, 13, 10, 3, 2, 1, 1, 2, 0, 1, 1, 2, 1, 2},     // groups 2, asymmetric pads, dilation 2x1, batch 2
            {1, 3, 5, 600, 9, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1, 1},     // rows wider than a task's tile
            {1, 2, 6, 6, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},       // no padding: output smaller than input
            {1, 20, 23, 31, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // M and N not multiples of the register tile
            {1, 8, 6, 64, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     // rows whole register tiles wide: written straight into y
            {1, 130, 4, 32, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    // K = 1170
            {1, 520, 4, 16, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // K = 4680: two K blocks of the in-place GEMM
            {1, 32, 7, 7, 44, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},     // 4 x 4 output pixels: output channels split across tasks
            {2, 16, 7, 7, 36, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2},     // the same with groups and a batch
            // one small image, weight panel past the implicit GEMM's: still implicit, the whole image as one run of
            // columns and the output channels split among the tasks (fewer output channels than a lane strip)
            {1, 64, 9, 9, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     // 30 channels: a partial block of output channels
            {1, 128, 9, 11, 600, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 2},  // with groups and dilation
            // a batch of small images: one run of GEMM columns across the images (groups keep it off the lanes)
            {5, 64, 7, 7, 300, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},    // weight panel past the implicit GEMM's: im2col, 245 columns
            {4, 16, 14, 14, 32, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},   // ResNet's 1x1 / 2 shortcut, K = 16: not on the lanes
            // strided: the implicit GEMM over the input's stride phases (CpuConv.PhasePlanes)
            {1, 3, 30, 29, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1},     // a ResNet stem: 7x7 / 2, four phases, odd width
            {2, 5, 50, 64, 9, 3, 3, 2, 3, 0, 2, 1, 0, 2, 1, 1},     // stride 2x3, dilation 2 rows (one row phase), asymmetric pads, a batch
            {1, 64, 14, 14, 30, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},   // big weight panel, one small image: the whole image shared
            {3, 64, 14, 14, 30, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},   // the same as a batch: im2col, phase-split rows
            // output channels in vector lanes (CpuConv.channelLanes, see lanesTakeSmallDeepMaps)
            {1, 64, 7, 7, 300, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    // 300 channels: the last lane strip partial
            {1, 40, 7, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     // 9 wide: a row's second tile 2 pixels, reading past the row
            {2, 36, 13, 15, 33, 3, 3, 2, 2, 1, 2, 1, 0, 2, 1, 1},   // batch, stride 2 (phases), dilation 2 rows, asymmetric pads, 33 channels
            {1, 256, 14, 14, 64, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},  // ResNet's 1x1 / 2 shortcut into 7 x 7: one phase of four
            {3, 16, 10, 12, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // a batch of 120-pixel outputs, K = 144
            {1, 4, 11, 12, 8, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1},     // stride past the kernel: phases (0..1, 0..1) of 3 x 3
            {1, 20, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  // 20 channels: a partial block of 16 (LANE_BLOCK)
            {2, 48, 36, 36, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},   // a batch, stride 2 (phases), three whole blocks
            {1, 3, 30, 29, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1},    // a stem on the lanes: 3 channels of a block, four phases
            // strips too many to share L2 (CpuConv.LANES_OWN_ROWS_FLOATS): the input padded once for all tasks
            {1, 64, 15, 15, 320, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  // stride 2, ten strips
            // 1x1 into fewer channels than a register tile's rows: sums of scaled planes (a U-Net's output layer)
            {1, 16, 70, 90, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},    // 6300 pixels: two chunks, the second partial
            {3, 5, 9, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},       // a batch, 7 channels
        };
        for (int[] t : cases) {
            int[] xs = {t[0], t[1], t[2], t[3]};
            int g = t[15];
            int[] ws = {t[4], t[1] / g, t[5], t[6]};
            int oh = ConvSpec.convOut(t[2], t[5], t[7], t[9], t[11], t[13]);
            int ow = ConvSpec.convOut(t[3], t[6], t[8], t[10], t[12], t[14]);
            for (Activation act : new Activation[] {Activation.NONE, new Activation(UnaryOp.CLIP, 0f, 6f), Activation.of(UnaryOp.RELU)}) {
                ConvSpec s = new ConvSpec(t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], g, oh, ow, act);
                float[] x = Close.random(r, xs[0] * xs[1] * xs[2] * xs[3]);
                float[] w = Close.random(r, ws[0] * ws[1] * ws[2] * ws[3]);
                float[] b = Close.random(r, ws[0]);
                String what = "conv " + java.util.Arrays.toString(t) + " " + act.op();
                assertClose(naiveConv(x, xs, w, ws, b, s), conv(cpu, x, xs, w, ws, b, s), 1e-4, 1e-4, what);
                assertClose(naiveConv(x, xs, w, ws, null, s), conv(cpu, x, xs, w, ws, null, s), 1e-4, 1e-4, what);
            }
        }
    }

    /** The rule by which CpuBackend sends a convolution to the lanes, so the cases above that claim them do take them. */
    @Test
    void lanesTakeSmallDeepMaps() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sgemm.vector() != null, "the lanes need the vector GEMM");
        ConvSpec same7 = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, Activation.NONE);
        assertTrue(CpuConv.usesLanes(new int[] {1, 64, 7, 7}, new int[] {300, 64, 3, 3}, same7));
        assertTrue(CpuConv.usesLanes(new int[] {1, 256, 14, 14}, new int[] {64, 256, 1, 1},
                new ConvSpec(2, 2, 0, 0, 0, 0, 1, 1, 1, 7, 7, Activation.NONE)));
        assertTrue(!CpuConv.usesLanes(new int[] {1, 64, 7, 7}, new int[] {30, 64, 3, 3}, same7), "fewer channels than a strip");
        assertTrue(!CpuConv.usesLanes(new int[] {4, 16, 14, 14}, new int[] {32, 16, 1, 1},
                new ConvSpec(2, 2, 0, 0, 0, 0, 1, 1, 1, 7, 7, Activation.NONE)), "K below LANES_MIN_K_BLOCKED");
        assertTrue(!CpuConv.usesLanes(new int[] {1, 64, 7, 7}, new int[] {300, 32, 3, 3},
                new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 2, 7, 7, Activation.NONE)), "groups");
        assertTrue(CpuConv.usesLanes(new int[] {1, 64, 56, 56}, new int[] {64, 64, 3, 3},
                new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 56, 56, Activation.NONE)), "56 x 56");
        assertTrue(!CpuConv.usesLanes(new int[] {1, 64, 60, 60}, new int[] {64, 64, 3, 3},
                new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 60, 60, Activation.NONE)), "3600 pixels");
        assertTrue(CpuConv.usesLanes(new int[] {1, 3, 224, 224}, new int[] {64, 3, 7, 7},
                new ConvSpec(2, 2, 3, 3, 3, 3, 1, 1, 1, 112, 112, Activation.NONE)), "a ResNet stem: stride 2 into whole blocks");
        assertTrue(!CpuConv.usesLanes(new int[] {1, 3, 224, 224}, new int[] {40, 3, 7, 7},
                new ConvSpec(2, 2, 3, 3, 3, 3, 1, 1, 1, 112, 112, Activation.NONE)), "112² into a partial block");
        assertTrue(!CpuConv.usesLanes(new int[] {1, 16, 112, 112}, new int[] {64, 16, 3, 3},
                new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 112, 112, Activation.NONE)), "112² at stride 1");
    }

    /** A batch whose padded input passes CpuConv.lanesMaxPadded goes through the lanes in chunks of images. */
    @Test
    void lanesTakeALargeBatchInChunks() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sgemm.vector() != null, "the lanes need the vector GEMM");
        Random r = new Random(13);
        // 300 output channels over K = 576: too many strips to share L2, so the input is padded first, in chunks
        int[] xs = {5, 64, 9, 8}, ws = {300, 64, 3, 3};
        ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 8, Activation.of(UnaryOp.RELU));
        float[] x = Close.random(r, 5 * 64 * 9 * 8), w = Close.random(r, 300 * 64 * 9), b = Close.random(r, 300);
        long was = CpuConv.lanesMaxPadded;
        CpuConv.lanesMaxPadded = 2 * 64 * 11 * 10 + 5;   // two padded images (11 x 10 planes) a chunk: 2 + 2 + 1
        try {
            assertClose(naiveConv(x, xs, w, ws, b, s), conv(cpu, x, xs, w, ws, b, s), 1e-4, 1e-4, "5 images in chunks of 2");
        } finally {
            CpuConv.lanesMaxPadded = was;
        }
    }

    /**
     * A residual added before the activation (a ResNet block's Add folded into its convolution by the graph optimiser):
     * the same values as the convolution, then the Add with the activation after it (which the CPU still does for other
     * activations than a ReLU; on the lanes a ReLU's Add goes with the tiles as they are written out).
     */
    @Test
    void conv2dAddsAResidualBeforeTheActivation() {
        Random r = new Random(17);
        ConvSpec relu = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 7, Activation.of(UnaryOp.RELU));
        int[] xs = {2, 32, 7, 7}, ws = {40, 32, 3, 3}, ys = {2, 40, 7, 7};
        for (ConvSpec s : new ConvSpec[] {relu, relu.withActivation(Activation.of(UnaryOp.TANH))}) {
            try (Tensor x = cpu.upload(Close.random(r, 2 * 32 * 49), xs); Tensor w = cpu.upload(Close.random(r, 40 * 32 * 9), ws);
                 Tensor b = cpu.upload(Close.random(r, 40), 40); Tensor res = cpu.upload(Close.random(r, 2 * 40 * 49), ys);
                 Tensor fused = cpu.conv2d(x, w, b, s, res);
                 Tensor conv = cpu.conv2d(x, w, b, s.withActivation(Activation.NONE));
                 Tensor added = cpu.binary(conv, res, org.neuralj.backend.BinaryOp.ADD, s.activation())) {
                assertArrayEquals(cpu.download(added), cpu.download(fused), s.activation().op().toString());
            }
        }
        try (Tensor x = cpu.upload(new float[2 * 32 * 49], xs); Tensor w = cpu.upload(new float[40 * 32 * 9], ws);
             Tensor res = cpu.upload(new float[40 * 49], 1, 40, 7, 7)) {
            assertThrows(ShapeMismatchException.class, () -> cpu.conv2d(x, w, null, relu, res), "one image's residual for two");
        }
    }

    /**
     * Convolutions on the lanes hand their outputs on in channel blocks (ChannelBlocks): the next one reads them as they
     * are (stride 1, padding 1), copies whole pixels from them (stride 2; padding 2), adds them as a residual, and any
     * other op (a reshape, a download, an activation) sees planes. Each case makes its input and residual fresh (a
     * download turns blocks into planes for good), checks they are held in blocks, runs the convolution, then compares
     * it with the naive convolution of the downloaded values.
     */
    @Test
    void channelBlocksFlowBetweenLaneConvolutions() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sgemm.vector() != null, "the lanes need the vector GEMM");
        Random r = new Random(23);
        Activation relu = Activation.of(UnaryOp.RELU);
        // 10 wide: each row a whole lane tile of 7 and a partial one of 3, the last reading past its row
        try (Tensor x = cpu.upload(Close.random(r, 2 * 32 * 100), 2, 32, 10, 10)) {
            // 48 channels: a strip of two whole blocks and a strip of one (its tiles written through the scratch tile)
            checkStep(r, x, 48, 3, 1, 1, 1, relu, null, false, "32 -> 48, planes in, blocks out");
            try (Tensor in = blocked(r, x, 48)) {
                checkStep(r, in, 32, 3, 1, 1, 1, relu, x, true, "48 -> 32 on blocks as they are, a residual in planes");
            }
            for (Activation act : new Activation[] {Activation.NONE, relu}) {
                try (Tensor in = blocked(r, x, 32); Tensor res = blocked(r, x, 32)) {
                    checkStep(r, in, 32, 3, 1, 1, 1, act, res, true, "32 -> 32 in place, a residual in blocks, " + act.op());
                }
            }
            try (Tensor in = blocked(r, x, 32)) {
                checkStep(r, in, 64, 3, 2, 1, 1, relu, null, true, "stride 2: whole pixels copied into phase planes");
            }
            try (Tensor in = blocked(r, x, 32)) {
                checkStep(r, in, 64, 3, 1, 2, 2, relu, null, true, "padding 2 past the border, dilation 2");
            }
            try (Tensor in = blocked(r, x, 64)) {
                assertTrue(CpuConv.usesLanes(in.shape(), new int[] {64, 64, 1, 1},
                        new ConvSpec(2, 2, 0, 0, 0, 0, 1, 1, 1, 5, 5, Activation.NONE)), "K = 64 into whole blocks: lanes");
                checkStep(r, in, 64, 1, 2, 0, 1, Activation.NONE, null, true, "1x1 / 2 on the lanes, K = 64");
            }
            try (Tensor in = blocked(r, x, 32)) {
                checkStep(r, in, 64, 1, 2, 0, 1, Activation.NONE, null, true, "1x1 / 2, K = 32: off the lanes, reads planes");
            }
            try (Tensor y = blocked(r, x, 32); Tensor view = y.reshape(2, 32, 4, 25)) {
                checkStep(r, view, 32, 3, 1, 1, 1, relu, null, false, "a reshaped view of blocks reads planes");
            }
            // a global average pool of blocks: the planes' sums in the same order
            try (Tensor y = blocked(r, x, 32); Tensor mean = cpu.reduce(y, org.neuralj.backend.ReduceOp.MEAN,
                    new boolean[] {false, false, true, true})) {
                float[] got = cpu.download(mean);
                try (Tensor planes = cpu.upload(cpu.download(y), y.shape());
                     Tensor expected = cpu.reduce(planes, org.neuralj.backend.ReduceOp.MEAN, new boolean[] {false, false, true, true})) {
                    assertArrayEquals(cpu.download(expected), got, "global mean of blocks");
                }
            }
            // downloaded straight from the blocks (at an offset), each element where ChannelBlocks.at says it is held
            try (Tensor y = blocked(r, x, 48)) {
                CpuStorage s = (CpuStorage) y.storage();
                ChannelBlocks layout = s.blocks(y.shape());
                float[] held = s.held(), into = new float[y.size() + 7];
                cpu.download(y, into, 5);
                for (int img = 0, i = 5; img < 2; img++) {
                    for (int c = 0; c < 48; c++) {
                        for (int yy = 0; yy < 10; yy++) {
                            for (int xx = 0; xx < 10; xx++, i++) {
                                assertEquals(held[layout.at(img, c, yy, xx)], into[i], "downloaded element " + i);
                            }
                        }
                    }
                }
                assertEquals(0f, into[4], "nothing written before the offset");
                assertTrue(s.blocks(y.shape()) != null, "a download leaves the tensor in blocks");
            }
            Tensor closed = blocked(r, x, 48);
            closed.close();
            IllegalStateException used = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> cpu.download(closed));
            assertTrue(used.getMessage().contains("used after close"), used.getMessage());
            IllegalArgumentException none = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> cpu.download(null));
            assertTrue(none.getMessage().contains("t must not be null"), none.getMessage());
            IllegalArgumentException noInput = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> cpu.conv2dPool(null, x, null, null, null));
            assertTrue(noInput.getMessage().contains("x must not be null"), noInput.getMessage());
            try (Tensor y = blocked(r, x, 32); Tensor act = cpu.unary(y, Activation.of(UnaryOp.TANH))) {
                float[] tanh = cpu.download(act), yv = cpu.download(y);
                for (int i = 0; i < yv.length; i++) {
                    assertEquals((float) Math.tanh(yv[i]), tanh[i], 1e-6f, "tanh of blocks at " + i);
                }
            }
        }
    }

    /**
     * A max-pool fused into a lane convolution (CpuConv.lanesThenMaxPool): exactly the values of the convolution and the
     * pooling one after the other (the same sums, a max is exact), held in channel blocks, over windows that overlap,
     * leave gaps, run past the edge (ceil_mode) and bands of several steps.
     */
    @Test
    void maxPoolFusedIntoTheLanes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Sgemm.vector() != null, "the lanes need the vector GEMM");
        Random r = new Random(29);
        Activation relu = Activation.of(UnaryOp.RELU), tanh = Activation.of(UnaryOp.TANH);
        try (Tensor stem = cpu.upload(Close.random(r, 3 * 44 * 36), 1, 3, 44, 36);
             Tensor batch = cpu.upload(Close.random(r, 3 * 16 * 22 * 13), 3, 16, 22, 13);
             Tensor tall = cpu.upload(Close.random(r, 2 * 32 * 60 * 12), 2, 32, 60, 12);
             Tensor tallBlocks = blocked(r, tall, 32)) {
            checkPooled(r, stem, 64, 7, 2, 3, relu, new int[] {3, 2, 1, 0}, "a ResNet stem: 7x7/2, then 3x3/2 pad 1");
            checkPooled(r, batch, 48, 3, 1, 1, Activation.NONE, new int[] {2, 2, 0, 0}, "3 images, 48 channels, no activation");
            checkPooled(r, batch, 32, 3, 1, 1, tanh, new int[] {2, 2, 0, 1}, "ceil_mode: 22 x 13 into 11 x 7");
            checkPooled(r, tall, 32, 3, 1, 1, relu, new int[] {3, 1, 1, 0}, "3x3 / 1: windows overlapping, many steps");
            checkPooled(r, tallBlocks, 64, 3, 1, 1, Activation.NONE, new int[] {2, 3, 0, 0}, "2x2 / 3 on blocks: gaps");
        }
    }

    /**
     * One case of {@link #maxPoolFusedIntoTheLanes}: x convolved into m channels (k x k, stride, padding, act), then
     * max-pooled by pool = {kernel, stride, padding, ceil_mode}.
     */
    private static void checkPooled(Random r, Tensor x, int m, int k, int stride, int pad, Activation act, int[] pool, String what) {
        int[] xs = x.shape(), ws = {m, xs[1], k, k};
        int oh = ConvSpec.convOut(xs[2], k, stride, pad, pad, 1), ow = ConvSpec.convOut(xs[3], k, stride, pad, pad, 1);
        ConvSpec s = new ConvSpec(stride, stride, pad, pad, pad, pad, 1, 1, 1, oh, ow, act);
        int pk = pool[0], ps = pool[1], pp = pool[2];
        int ph = (oh + 2 * pp - pk + (pool[3] == 1 ? ps - 1 : 0)) / ps + 1, pw = (ow + 2 * pp - pk + (pool[3] == 1 ? ps - 1 : 0)) / ps + 1;
        org.neuralj.backend.PoolSpec p = new org.neuralj.backend.PoolSpec(org.neuralj.backend.PoolSpec.Kind.MAX, pk, pk, ps, ps,
                pp, pp, pp, pp, 1, 1, false, ph, pw);
        assertTrue(CpuConv.fusesMaxPool(xs, ws, s, p), what + ": fused");
        float[] w = Close.random(r, m * xs[1] * k * k), b = Close.random(r, m);
        try (Tensor tw = cpu.upload(w, ws); Tensor tb = cpu.upload(b, m); Tensor fused = cpu.conv2dPool(x, tw, tb, s, p);
             Tensor y = cpu.conv2d(x, tw, tb, s); Tensor pooled = cpu.pool2d(y, p)) {
            assertTrue(((CpuStorage) fused.storage()).blocks(fused.shape()) != null, what + ": output held in blocks");
            assertArrayEquals(new int[] {xs[0], m, ph, pw}, fused.shape(), what);
            assertArrayEquals(cpu.download(pooled), cpu.download(fused), what);
        }
    }

    /** A lane convolution of x into m channels, 3 x 3, padding 1: its output held in channel blocks. */
    private static Tensor blocked(Random r, Tensor x, int m) {
        int c = x.shape()[1];
        ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, x.shape()[2], x.shape()[3], Activation.NONE);
        float[] w = Close.random(r, m * c * 9);
        for (int i = 0; i < w.length; i++) {
            w[i] /= (float) Math.sqrt(c * 9);
        }
        try (Tensor tw = cpu.upload(w, m, c, 3, 3)) {
            Tensor y = cpu.conv2d(x, tw, null, s);
            assertTrue(((CpuStorage) y.storage()).blocks(y.shape()) != null, "a lane convolution's output in blocks");
            return y;
        }
    }

    /**
     * One case of {@link #channelBlocksFlowBetweenLaneConvolutions} (m output channels, k x k, stride, padding,
     * dilation, residual or null; {@code fromBlocks}: x is held in blocks), checked against the naive convolution.
     */
    private static void checkStep(Random r, Tensor x, int m, int k, int stride, int pad, int dilation, Activation act,
                                  Tensor residual, boolean fromBlocks, String what) {
        int[] xs = x.shape(), ws = {m, xs[1], k, k};
        assertEquals(fromBlocks, ((CpuStorage) x.storage()).blocks(xs) != null, what + ": input held in blocks");
        int oh = ConvSpec.convOut(xs[2], k, stride, pad, pad, dilation), ow = ConvSpec.convOut(xs[3], k, stride, pad, pad, dilation);
        ConvSpec s = new ConvSpec(stride, stride, pad, pad, pad, pad, dilation, dilation, 1, oh, ow, act);
        float[] w = Close.random(r, m * xs[1] * k * k), b = Close.random(r, m);
        for (int i = 0; i < w.length; i++) {         // values of about one at every step, so 1e-4 stays a fair tolerance
            w[i] /= (float) Math.sqrt(xs[1] * k * k);
        }
        try (Tensor tw = cpu.upload(w, ws); Tensor tb = cpu.upload(b, m); Tensor y = cpu.conv2d(x, tw, tb, s, residual)) {
            float[] expected = naiveConv(cpu.download(x), xs, w, ws, b, s.withActivation(Activation.NONE));
            if (residual != null) {
                float[] res = cpu.download(residual);
                for (int i = 0; i < expected.length; i++) {
                    expected[i] += res[i];
                }
            }
            for (int i = 0; i < expected.length; i++) {
                expected[i] = act.op() == UnaryOp.RELU ? Math.max(expected[i], 0f) : expected[i];
            }
            assertClose(expected, cpu.download(y), 1e-4, 1e-4, what);
        }
    }

    @Test
    void oneThreadAndManyThreadsAgree() {
        Random r = new Random(5);
        int[] xs = {2, 16, 33, 29};
        int[] ws = {24, 16, 3, 3};
        float[] x = Close.random(r, 2 * 16 * 33 * 29);
        float[] w = Close.random(r, 24 * 16 * 9);
        ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, 33, 29, Activation.NONE);
        try (CpuBackend one = new CpuBackend(1)) {
            assertClose(conv(one, x, xs, w, ws, null, s), conv(cpu, x, xs, w, ws, null, s), 1e-6, 1e-6, "threads");
        }
    }

    @Test
    void convShapeErrorsNameTheShapes() {
        try (Tensor x = cpu.allocate(1, 3, 8, 8); Tensor w = cpu.allocate(4, 2, 3, 3); Tensor b = cpu.allocate(5)) {
            ConvSpec s = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, 6, 6, Activation.NONE);
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> cpu.conv2d(x, w, null, s));
            assertTrue(e.getMessage().contains("[1, 3, 8, 8]") && e.getMessage().contains("[4, 2, 3, 3]"), e.getMessage());
            try (Tensor w3 = cpu.allocate(4, 3, 3, 3)) {
                e = assertThrows(ShapeMismatchException.class, () -> cpu.conv2d(x, w3, b, s));
                assertTrue(e.getMessage().contains("bias [5]"), e.getMessage());
            }
            try (Tensor x3 = cpu.allocate(3, 8, 8)) {
                assertThrows(ShapeMismatchException.class, () -> cpu.conv2d(x3, w, null, s));
            }
        }
    }

    // ---- transposed convolution -----------------------------------------------------------

    /** ConvSpec's Javadoc definition: every input pixel scatters x * w into y. */
    static float[] naiveConvTranspose(float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s) {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], mg = ws[1], kh = ws[2], kw = ws[3];
        int groups = s.groups(), cg = c / groups, m = mg * groups, oh = s.outH(), ow = s.outW();
        double[] acc = new double[n * m * oh * ow];
        for (int in = 0; in < n; in++) {
            for (int ic = 0; ic < c; ic++) {
                int g = ic / cg;
                for (int iy = 0; iy < h; iy++) {
                    for (int ix = 0; ix < wd; ix++) {
                        for (int om = 0; om < mg; om++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int oy = iy * s.strideH() - s.padTop() + ky * s.dilationH();
                                    int ox = ix * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) {
                                        acc[((in * m + g * mg + om) * oh + oy) * ow + ox] +=
                                                x[((in * c + ic) * h + iy) * wd + ix] * w[((ic * mg + om) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] y = new float[acc.length];
        for (int i = 0; i < y.length; i++) {
            int ch = (i / (oh * ow)) % m;
            float[] v = {(float) (acc[i] + (bias == null ? 0 : bias[ch]))};
            CpuElementwise.apply(s.activation(), v, 0, v, 0, 1);
            y[i] = v[0];
        }
        return y;
    }

    @Test
    void tinyTransposedConvByHand() {
        // ONNX ConvTranspose example: x 3x3 of 0..8, w ones [1,2,3,3] -> y [1,2,5,5]
        float[] x = Close.iota(9);
        float[] w = new float[18];
        java.util.Arrays.fill(w, 1f);
        ConvSpec s = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, 5, 5, Activation.NONE);
        float[] plane = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
        float[] e = new float[50];
        System.arraycopy(plane, 0, e, 0, 25);
        System.arraycopy(plane, 0, e, 25, 25);
        try (Tensor tx = cpu.upload(x, 1, 1, 3, 3); Tensor tw = cpu.upload(w, 1, 2, 3, 3);
             Tensor y = cpu.convTranspose2d(tx, tw, null, s)) {
            assertArrayEquals(new int[] {1, 2, 5, 5}, y.shape());
            assertArrayEquals(e, cpu.download(y));
        }
    }

    @Test
    void transposedConvMatchesNaiveOnRandomGeometry() {
        Random r = new Random(13);
        // n, c, h, w, m/groups, kh, kw, stride h/w, pads t/l/b/r, dilation h/w, groups, output padding h/w
        int[][] cases = {
            {1, 4, 5, 6, 3, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0},    // the U-Net up-sampling 2x2 stride 2
            {2, 4, 4, 3, 2, 3, 3, 2, 1, 1, 0, 1, 2, 1, 2, 2, 1, 0},    // groups, pads, dilation, output padding
            {1, 3, 7, 7, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 3, 2, 1},    // depthwise-like
            {1, 64, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},   // K = 64
        };
        for (int[] t : cases) {
            int[] xs = {t[0], t[1], t[2], t[3]};
            int g = t[15];
            int[] ws = {t[1], t[4], t[5], t[6]};
            // ONNX: out = stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads
            int oh = t[7] * (t[2] - 1) + t[16] + (t[5] - 1) * t[13] + 1 - t[9] - t[11];
            int ow = t[8] * (t[3] - 1) + t[17] + (t[6] - 1) * t[14] + 1 - t[10] - t[12];
            ConvSpec s = new ConvSpec(t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], g, oh, ow,
                    Activation.of(UnaryOp.TANH));
            float[] x = Close.random(r, xs[0] * xs[1] * xs[2] * xs[3]);
            float[] w = Close.random(r, ws[0] * ws[1] * ws[2] * ws[3]);
            float[] b = Close.random(r, ws[1] * g);
            float[] expected = naiveConvTranspose(x, xs, w, ws, b, s);
            try (Tensor tx = cpu.upload(x, xs); Tensor tw = cpu.upload(w, ws); Tensor tb = cpu.upload(b, b.length);
                 Tensor y = cpu.convTranspose2d(tx, tw, tb, s)) {
                assertArrayEquals(new int[] {xs[0], ws[1] * g, oh, ow}, y.shape());
                assertClose(expected, cpu.download(y), 1e-5, 1e-5, "convTranspose " + java.util.Arrays.toString(t));
            }
        }
    }
}
