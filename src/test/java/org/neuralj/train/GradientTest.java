package org.neuralj.train;

import static org.neuralj.train.GradCheck.awayFromZero;
import static org.neuralj.train.GradCheck.distinct;
import static org.neuralj.train.GradCheck.random;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/** Every backward rule of the tape against finite differences, on every available backend. */
class GradientTest {
    private static final TrainBackends BACKENDS = new TrainBackends();

    static List<String> backends() {
        return TrainBackends.specs();
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.close();
    }

    private static Random rnd(long seed) {
        return new Random(seed);
    }

    // ---- activations (Backend#unaryBackward) --------------------------------------------------

    @ParameterizedTest
    @MethodSource("backends")
    void activations(String spec) {
        Backend b = BACKENDS.get(spec);
        Activation[] anywhere = {
            Activation.of(UnaryOp.RELU), new Activation(UnaryOp.LEAKY_RELU, 0.1f, 0), new Activation(UnaryOp.ELU, 1f, 0),
            new Activation(UnaryOp.SELU, 1.67f, 1.05f), Activation.of(UnaryOp.SIGMOID), Activation.of(UnaryOp.TANH),
            new Activation(UnaryOp.HARD_SIGMOID, 0.2f, 0.5f), Activation.of(UnaryOp.HARD_SWISH),
            new Activation(UnaryOp.CLIP, -0.5f, 0.5f), Activation.of(UnaryOp.EXP), Activation.of(UnaryOp.NEG),
            Activation.of(UnaryOp.ABS), Activation.of(UnaryOp.SOFTPLUS), Activation.of(UnaryOp.SOFTSIGN),
            Activation.of(UnaryOp.ERF), new Activation(UnaryOp.AFFINE, -1.5f, 0.25f), Activation.of(UnaryOp.IDENTITY),
            new Activation(UnaryOp.THRESHOLDED_RELU, 0.3f, 0), Activation.of(UnaryOp.FLOOR)};
        for (Activation f : anywhere) {
            float[] x = awayFromZero(rnd(3), 60, 2f, 0.1f);
            if (f.op() == UnaryOp.CLIP || f.op() == UnaryOp.THRESHOLDED_RELU || f.op() == UnaryOp.FLOOR) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.round(x[i] * 4) / 4f + 0.11f; // away from the kinks at multiples of 0.25 (and 0.3 +- eps)
                }
            }
            new GradCheck(b, f.op().name(), (t, in) -> t.activation(in.get(0), f)).input(x, 3, 20).run();
        }
        for (UnaryOp op : new UnaryOp[] {UnaryOp.SQRT, UnaryOp.LOG, UnaryOp.RECIPROCAL}) {
            float[] x = random(rnd(4), 40, 0.5f, 2f);
            new GradCheck(b, op.name(), (t, in) -> t.activation(in.get(0), Activation.of(op))).input(x, 40).run();
        }
    }

    // ---- convolution --------------------------------------------------------------------------

    private static void checkConv(Backend b, String what, int n, int c, int h, int w, int m, int kH, int kW,
                                  int s, int pT, int pL, int pB, int pR, int d, int g, boolean bias) {
        Init init = new Init(b, 11);
        Parameter wp = init.he(what + ".w", c / g * kH * kW, m, c / g, kH, kW);
        Parameter bp = bias ? init.xavier(what + ".b", 1, 1, m) : null;
        bp = bp == null ? null : new Parameter(what + ".b", Parameter.Kind.BIAS, bp.value());
        int oh = ConvSpec.convOut(h, kH, s, pT, pB, d);
        int ow = ConvSpec.convOut(w, kW, s, pL, pR, d);
        ConvSpec spec = new ConvSpec(s, s, pT, pL, pB, pR, d, d, g, oh, ow, Activation.NONE);
        Parameter bf = bp;
        try {
            new GradCheck(b, "conv2d " + what, (t, in) -> t.conv2d(in.get(0), t.param(wp), bf == null ? null : t.param(bf), spec))
                    .input(random(rnd(5), n * c * h * w, -1, 1), n, c, h, w)
                    .params(bf == null ? List.of(wp) : List.of(wp, bf)).run();
        } finally {
            wp.close();
            if (bf != null) {
                bf.close();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void conv2d(String spec) {
        Backend b = BACKENDS.get(spec);
        checkConv(b, "3x3 same", 2, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, true);
        checkConv(b, "3x3 stride 2", 2, 2, 7, 7, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1, true);
        checkConv(b, "2x2 stride 2 dropping a row", 1, 2, 7, 6, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false);
        checkConv(b, "dilation 2", 1, 2, 8, 8, 2, 3, 3, 1, 2, 2, 2, 2, 2, 1, true);
        checkConv(b, "groups 2", 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, true);
        checkConv(b, "depthwise", 2, 3, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, false);
        checkConv(b, "1x1", 2, 3, 4, 4, 2, 1, 1, 1, 0, 0, 0, 0, 1, 1, true);
        checkConv(b, "asymmetric pads 2x3 kernel", 1, 2, 6, 7, 2, 2, 3, 1, 0, 1, 1, 2, 1, 1, true);
    }

    private static void checkConvTranspose(Backend b, String what, int n, int c, int h, int w, int m, int k,
                                           int s, int p, int outPad, int d, int g) {
        Init init = new Init(b, 12);
        Parameter wp = init.he(what + ".w", c / g * k * k, c, m / g, k, k);
        Parameter bp = new Parameter(what + ".b", Parameter.Kind.BIAS, b.upload(random(rnd(6), m, -1, 1), m));
        int oh = (h - 1) * s - 2 * p + d * (k - 1) + 1 + outPad;
        int ow = (w - 1) * s - 2 * p + d * (k - 1) + 1 + outPad;
        ConvSpec spec = new ConvSpec(s, s, p, p, p, p, d, d, g, oh, ow, Activation.NONE);
        try {
            new GradCheck(b, "convTranspose2d " + what, (t, in) -> t.convTranspose2d(in.get(0), t.param(wp), t.param(bp), spec))
                    .input(random(rnd(7), n * c * h * w, -1, 1), n, c, h, w).params(List.of(wp, bp)).run();
        } finally {
            wp.close();
            bp.close();
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void convTranspose2d(String spec) {
        Backend b = BACKENDS.get(spec);
        checkConvTranspose(b, "2x2 stride 2", 2, 3, 4, 4, 2, 2, 2, 0, 0, 1, 1);
        checkConvTranspose(b, "3x3 stride 2 pad 1 output padding 1", 1, 2, 3, 4, 3, 3, 2, 1, 1, 1, 1);
        checkConvTranspose(b, "groups 2 dilation 2", 1, 4, 3, 3, 2, 3, 1, 1, 0, 2, 2);
    }

    // ---- pooling ------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("backends")
    void pooling(String spec) {
        Backend b = BACKENDS.get(spec);
        PoolSpec[] specs = {
            new PoolSpec(PoolSpec.Kind.MAX, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, 3, 3),
            new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, 4, 4),   // overlapping windows, padding
            new PoolSpec(PoolSpec.Kind.MAX, 2, 2, 1, 1, 0, 0, 0, 0, 2, 2, false, 5, 5),   // dilation
            new PoolSpec(PoolSpec.Kind.AVERAGE, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, 3, 3),
            new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, 4, 4),
            new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, 4, 4)};
        for (PoolSpec p : specs) {
            new GradCheck(b, "pool2d " + p, (t, in) -> t.pool2d(in.get(0), p))
                    .input(distinct(rnd(8), 2 * 2 * 7 * 7, 0.03f), 2, 2, 7, 7).eps(5e-3f).run();
        }
        new GradCheck(b, "globalAvgPool", (t, in) -> t.globalAvgPool(in.get(0)))
                .input(random(rnd(9), 2 * 3 * 4 * 5, -1, 1), 2, 3, 4, 5).run();
    }

    // ---- normalisation, dropout ---------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("backends")
    void batchNorm(String spec) {
        Backend b = BACKENDS.get(spec);
        for (Tape.Mode mode : Tape.Mode.values()) {
            try (BatchNorm2d bn = new BatchNorm2d(new Init(b, 1), "bn", 3)) {
                List<Parameter> ps = bn.parameters();
                ps.get(0).load(new float[] {1.5f, -0.7f, 0.9f});
                ps.get(1).load(new float[] {0.1f, 0.2f, -0.3f});
                ps.get(2).load(new float[] {0.2f, -0.1f, 0.05f});
                ps.get(3).load(new float[] {0.8f, 1.3f, 0.6f});
                new GradCheck(b, "batchNorm " + mode, (t, in) -> bn.forward(t, in.get(0)))
                        .input(random(rnd(10), 4 * 3 * 3 * 3, -2, 2), 4, 3, 3, 3).params(ps).mode(mode).run();
            }
        }
        // [N, C] input (after a dense layer)
        try (BatchNorm2d bn = new BatchNorm2d(new Init(b, 1), "bn1d", 4)) {
            new GradCheck(b, "batchNorm [N, C]", (t, in) -> bn.forward(t, in.get(0)))
                    .input(random(rnd(11), 6 * 4, -2, 2), 6, 4).params(bn.parameters()).run();
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dropout(String spec) {
        Backend b = BACKENDS.get(spec);
        new GradCheck(b, "dropout", (t, in) -> t.dropout(in.get(0), 0.3f)).input(random(rnd(12), 100, -1, 1), 4, 25).seed(99).run();
        new GradCheck(b, "dropout eval", (t, in) -> t.dropout(in.get(0), 0.3f)).input(random(rnd(12), 20, -1, 1), 20)
                .mode(Tape.Mode.EVAL).run();
    }

    // ---- element-wise, movement, dense --------------------------------------------------------

    @ParameterizedTest
    @MethodSource("backends")
    void binaryAndMovement(String spec) {
        Backend b = BACKENDS.get(spec);
        new GradCheck(b, "add (residual)", (t, in) -> t.add(in.get(0), in.get(1)))
                .input(random(rnd(13), 24, -1, 1), 2, 3, 4).input(random(rnd(14), 24, -1, 1), 2, 3, 4).run();
        new GradCheck(b, "sub broadcast", (t, in) -> t.sub(in.get(0), in.get(1)))
                .input(random(rnd(15), 24, -1, 1), 2, 3, 4).input(random(rnd(16), 3, -1, 1), 3, 1).run();
        new GradCheck(b, "mul broadcast", (t, in) -> t.mul(in.get(0), in.get(1)))
                .input(random(rnd(17), 24, -1, 1), 2, 3, 4).input(random(rnd(18), 4, -1, 1), 4).run();
        new GradCheck(b, "concat axis 1", (t, in) -> t.concat(List.of(in.get(0), in.get(1), in.get(0)), 1))
                .input(random(rnd(19), 2 * 2 * 3 * 3, -1, 1), 2, 2, 3, 3).input(random(rnd(20), 2 * 3 * 3 * 3, -1, 1), 2, 3, 3, 3).run();
        new GradCheck(b, "concat axis 3", (t, in) -> t.concat(List.of(in.get(0), in.get(1)), 3))
                .input(random(rnd(21), 2 * 2 * 3 * 3, -1, 1), 2, 2, 3, 3).input(random(rnd(22), 2 * 2 * 3 * 1, -1, 1), 2, 2, 3, 1).run();
        new GradCheck(b, "flatten + scale", (t, in) -> t.scale(t.flatten(in.get(0)), 2.5f, 1f))
                .input(random(rnd(23), 2 * 2 * 3 * 3, -1, 1), 2, 2, 3, 3).run();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void resize(String spec) {
        Backend b = BACKENDS.get(spec);
        ResizeSpec[] specs = {
            new ResizeSpec(8, 10, 2, 2, ResizeSpec.Mode.NEAREST, ResizeSpec.CoordinateMode.ASYMMETRIC, ResizeSpec.NearestMode.FLOOR, -0.75f, false),
            new ResizeSpec(8, 10, 2, 2, ResizeSpec.Mode.LINEAR, ResizeSpec.CoordinateMode.HALF_PIXEL, ResizeSpec.NearestMode.FLOOR, -0.75f, false),
            new ResizeSpec(7, 9, 7 / 4f, 9 / 5f, ResizeSpec.Mode.LINEAR, ResizeSpec.CoordinateMode.ALIGN_CORNERS, ResizeSpec.NearestMode.FLOOR, -0.75f, false),
            new ResizeSpec(12, 15, 3, 3, ResizeSpec.Mode.NEAREST, ResizeSpec.CoordinateMode.HALF_PIXEL, ResizeSpec.NearestMode.ROUND_PREFER_FLOOR, -0.75f, false)};
        for (ResizeSpec r : specs) {
            new GradCheck(b, "resize " + r, (t, in) -> t.resize(in.get(0), r))
                    .input(random(rnd(24), 2 * 2 * 4 * 5, -1, 1), 2, 2, 4, 5).run();
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dense(String spec) {
        Backend b = BACKENDS.get(spec);
        try (Dense d = new Dense(new Init(b, 2), "fc", 6, 4)) {
            List<Parameter> ps = d.parameters();
            ps.get(1).load(random(rnd(25), 4, -1, 1));
            new GradCheck(b, "dense", (t, in) -> d.forward(t, in.get(0))).input(random(rnd(26), 18, -1, 1), 3, 6).params(ps).run();
        }
    }

    // ---- losses -------------------------------------------------------------------------------

    private static float[] oneHot(Random r, int n, int k, int spatial) {
        float[] t = new float[n * k * spatial];
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < spatial; s++) {
                t[(i * k + r.nextInt(k)) * spatial + s] = 1f;
            }
        }
        return t;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void losses(String spec) {
        Backend b = BACKENDS.get(spec);
        try (Tensor t4 = b.upload(oneHot(rnd(27), 2, 3, 6), 2, 3, 2, 3);
             Tensor t2 = b.upload(oneHot(rnd(28), 5, 4, 1), 5, 4);
             Tensor bin = b.upload(oneHot(rnd(29), 1, 2, 12), 2, 1, 3, 4);
             Tensor soft = b.upload(random(rnd(30), 24, 0, 1), 2, 1, 3, 4)) {
            new GradCheck(b, "softmax cross-entropy [N, K, H, W]", (t, in) -> t.softmaxCrossEntropy(in.get(0), t4))
                    .input(random(rnd(31), 36, -2, 2), 2, 3, 2, 3).run();
            new GradCheck(b, "softmax cross-entropy [N, K]", (t, in) -> t.softmaxCrossEntropy(in.get(0), t2))
                    .input(random(rnd(32), 20, -2, 2), 5, 4).run();
            new GradCheck(b, "sigmoid BCE", (t, in) -> t.sigmoidBinaryCrossEntropy(in.get(0), bin))
                    .input(random(rnd(33), 24, -3, 3), 2, 1, 3, 4).run();
            new GradCheck(b, "sigmoid BCE soft target", (t, in) -> t.sigmoidBinaryCrossEntropy(in.get(0), soft))
                    .input(random(rnd(34), 24, -3, 3), 2, 1, 3, 4).run();
            new GradCheck(b, "dice of sigmoid", (t, in) -> t.diceLoss(t.activation(in.get(0), Activation.of(UnaryOp.SIGMOID)), bin, 1f))
                    .input(random(rnd(35), 24, -3, 3), 2, 1, 3, 4).run();
            new GradCheck(b, "mean + sum", (t, in) -> t.add(t.mean(in.get(0)), t.sum(in.get(0))))
                    .input(random(rnd(36), 12, -1, 1), 3, 4).run();
        }
    }

    // ---- a small network end to end ----------------------------------------------------------

    @ParameterizedTest
    @MethodSource("backends")
    void smallNetwork(String spec) {
        Backend b = BACKENDS.get(spec);
        Init init = new Init(b, 5);
        try (Sequential net = new Sequential(
                new Conv2d(init, "c1", 2, 4, 3), new BatchNorm2d(init, "bn1", 4), Act.tanh(),
                new Residual(new Sequential(new Conv2d(init, "c2", 4, 4, 3), Act.sigmoid()), null, null),
                Pool2d.average(2), Upsample.bilinear(2), new Conv2d(init, "c3", 4, 2, 1))) {
            new GradCheck(b, "conv-bn-tanh-residual-avgpool-upsample-conv", (t, in) -> net.forward(t, in.get(0)))
                    .input(random(rnd(37), 2 * 2 * 6 * 6, -1, 1), 2, 2, 6, 6).params(net.parameters()).samples(12).run();
        }
    }

    @org.junit.jupiter.api.Test
    void dropoutMaskIsTheSameOnEveryBackend() {
        float[] reference = null;
        for (String spec : TrainBackends.specs()) {
            Backend b = BACKENDS.get(spec);
            try (Tensor m = b.dropoutMask(0.25f, 0x123456789ABCDEFL, 50, 200)) {
                float[] v = b.download(m);
                int kept = 0;
                for (float f : v) {
                    org.junit.jupiter.api.Assertions.assertTrue(f == 0f || f == 1f / 0.75f, "mask value " + f);
                    kept += f != 0f ? 1 : 0;
                }
                org.junit.jupiter.api.Assertions.assertEquals(0.75, kept / 10000.0, 0.02, "kept fraction on " + b.name());
                if (reference == null) {
                    reference = v;
                } else {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(reference, v, "mask on " + b.name() + " vs the CPU");
                }
                try (Tensor other = b.dropoutMask(0.25f, 0x123456789ABCDEEL, 50, 200)) {
                    org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(v, b.download(other)), "another seed, another mask");
                }
            }
        }
    }
}
