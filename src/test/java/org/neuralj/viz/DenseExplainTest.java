package org.neuralj.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.image.ReceptiveField;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.ValueInfo;
import org.neuralj.train.Tape;

/**
 * Gradient explanations of dense (segmentation) ONNX models read back as tape ops: the input gradient
 * of one output channel summed over a region is checked against finite differences of the engine's
 * own forward pass (the {@link Session}, an independent implementation) on a small U-Net-like graph
 * with every op a U-Net needs (ConvTranspose, Resize nearest and linear with sizes from a Shape
 * sub-graph, Upsample, Concat, Sigmoid, BatchNormalization), and on the shipped blob detector and
 * nuclei U-Net: the tape's forward equals the engine's, the gradient matches finite differences and is
 * exactly zero outside the region grown by the network's receptive field. On every backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DenseExplainTest {
    private final Map<String, Backend> backends = new LinkedHashMap<>();

    static List<String> backends() {
        return Backends.available();
    }

    Backend backend(String spec) {
        return backends.computeIfAbsent(spec, Backends::select);
    }

    @AfterAll
    void close() {
        backends.values().forEach(Backend::close);
    }

    // ---- a small U-Net-like graph with smooth activations (finite differences need no kinks) -----

    static final int H = 8;

    /**
     * x [1,2,8,8] -> Conv 3x3 -> Tanh (a1) -> BatchNorm -> AveragePool 2 -> Conv 3x3 -> Sigmoid (s2, 4x4)
     * -> { Resize nearest x2 (scales), ConvTranspose 2x2 stride 2, Resize linear to Shape(a1) (a
     * folded shape sub-graph) } -> Concat with a1 -> Conv 1x1 -> logits [1,3,8,8].
     */
    static OnnxModel uNetLike(long seed) {
        Random r = new Random(seed);
        List<OnnxTensor> w = new ArrayList<>();
        w.add(tensor(r, "w1", 0.4f, 4, 2, 3, 3));
        w.add(tensor(r, "b1", 0.2f, 4));
        w.add(OnnxTensor.ofFloats("gamma", new long[] {4}, new float[] {1.2f, 0.8f, 1f, 1.5f}));
        w.add(OnnxTensor.ofFloats("beta", new long[] {4}, new float[] {0.1f, -0.2f, 0f, 0.3f}));
        w.add(OnnxTensor.ofFloats("mean", new long[] {4}, new float[] {0.05f, -0.1f, 0.2f, 0f}));
        w.add(OnnxTensor.ofFloats("var", new long[] {4}, new float[] {0.5f, 1.5f, 0.8f, 1.1f}));
        w.add(tensor(r, "w2", 0.3f, 4, 4, 3, 3));
        w.add(tensor(r, "wt", 0.5f, 4, 3, 2, 2));
        w.add(tensor(r, "bt", 0.2f, 3));
        w.add(OnnxTensor.ofFloats("scales", new long[] {4}, new float[] {1, 1, 2, 2}));
        w.add(tensor(r, "w3", 0.4f, 3, 4 + 4 + 3 + 4, 1, 1));
        w.add(tensor(r, "b3", 0.2f, 3));
        List<OnnxNode> n = List.of(
                OnnxNode.of("Conv", List.of("x", "w1", "b1"), List.of("c1"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)),
                OnnxNode.of("Tanh", List.of("c1"), List.of("a1")),
                OnnxNode.of("BatchNormalization", List.of("a1", "gamma", "beta", "mean", "var"), List.of("bn")),
                OnnxNode.of("AveragePool", List.of("bn"), List.of("p1"), OnnxAttribute.ofInts("kernel_shape", 2, 2),
                        OnnxAttribute.ofInts("strides", 2, 2)),
                OnnxNode.of("Conv", List.of("p1", "w2"), List.of("c2"), OnnxAttribute.of("auto_pad", "SAME_UPPER")),
                OnnxNode.of("Sigmoid", List.of("c2"), List.of("s2")),
                OnnxNode.of("Resize", List.of("s2", "", "scales"), List.of("up_nearest"), OnnxAttribute.of("mode", "nearest"),
                        OnnxAttribute.of("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.of("nearest_mode", "floor")),
                OnnxNode.of("ConvTranspose", List.of("s2", "wt", "bt"), List.of("up_transposed"), OnnxAttribute.ofInts("strides", 2, 2)),
                OnnxNode.of("Shape", List.of("a1"), List.of("a1_shape")),
                OnnxNode.of("Resize", List.of("s2", "", "", "a1_shape"), List.of("up_linear"), OnnxAttribute.of("mode", "linear"),
                        OnnxAttribute.of("coordinate_transformation_mode", "half_pixel")),
                OnnxNode.of("Concat", List.of("a1", "up_nearest", "up_transposed", "up_linear"), List.of("cat"),
                        OnnxAttribute.of("axis", 1L)),
                OnnxNode.of("Conv", List.of("cat", "w3", "b3"), List.of("logits")));
        OnnxGraph g = OnnxGraph.of("unet-like", n, w, List.of(ValueInfo.floatTensor("x", 1, 2, H, H)),
                List.of(ValueInfo.floatTensor("logits", 1, 3, H, H)));
        return OnnxModel.of(g, 13);
    }

    /** Opset 9: Conv -> Upsample (nearest x2) -> Conv -> Sigmoid output (left out: its logit is explained). */
    static OnnxModel upsampleNet(long seed) {
        Random r = new Random(seed);
        List<OnnxTensor> w = List.of(tensor(r, "w1", 0.5f, 3, 1, 3, 3), tensor(r, "w2", 0.5f, 1, 3, 3, 3),
                OnnxTensor.ofFloats("scales", new long[] {4}, new float[] {1, 1, 2, 2}));
        List<OnnxNode> n = List.of(
                OnnxNode.of("Conv", List.of("x", "w1"), List.of("c1"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1),
                        OnnxAttribute.ofInts("strides", 2, 2)),
                OnnxNode.of("Softplus", List.of("c1"), List.of("a1")),
                OnnxNode.of("Upsample", List.of("a1", "scales"), List.of("up"), OnnxAttribute.of("mode", "nearest")),
                OnnxNode.of("Conv", List.of("up", "w2"), List.of("c2"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)),
                OnnxNode.of("Sigmoid", List.of("c2"), List.of("prob")));
        OnnxGraph g = OnnxGraph.of("upsample", n, w, List.of(ValueInfo.floatTensor("x", 1, 1, H, H)),
                List.of(ValueInfo.floatTensor("prob", 1, 1, H, H)));
        return OnnxModel.of(g, 9);
    }

    static OnnxTensor tensor(Random r, String name, float scale, int... shape) {
        float[] v = new float[Tensor.elementCount(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = scale * (float) r.nextGaussian();
        }
        return OnnxTensor.ofFloats(name, shape, v);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void uNetOpsMatchFiniteDifferencesOfTheEngine(String spec) {
        Backend b = backend(spec);
        Model model = Model.fromOnnx(uNetLike(3), "unet-like.onnx");
        float[] x = random(new Random(7), 2 * H * H, 1f);
        Explain.Region region = new Explain.Region(2, 3, 4, 3);
        try (OnnxTapeNet net = new OnnxTapeNet(model, b); Session session = new Session(model, b)) {
            for (Explain.Target target : Explain.Target.values()) {
                Explain.Score score = new Explain.Score(1, target, region);
                checkAgainstEngine(net, session, x, new int[] {1, 2, H, H}, score, false, 1e-2f, 60);
                checkAgainstEngine(net, session, x, new int[] {1, 2, H, H}, new Explain.Score(2, target, null), false, 1e-2f, 60);
            }
            // every node output is a point, the Shape sub-graph too (folded by the plan)
            assertTrue(net.points().containsAll(List.of("c1", "a1", "s2", "up_nearest", "up_transposed", "up_linear", "cat", "logits")));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void upsampleAndAFinalSigmoidMatchFiniteDifferences(String spec) {
        Backend b = backend(spec);
        Model model = Model.fromOnnx(upsampleNet(4), "upsample.onnx");
        float[] x = random(new Random(8), H * H, 1f);
        try (OnnxTapeNet net = new OnnxTapeNet(model, b); Session session = new Session(model, b)) {
            checkAgainstEngine(net, session, x, new int[] {1, 1, H, H}, Explain.Score.of(0).in(new Explain.Region(0, 0, 5, 4)),
                    true, 1e-2f, 64);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void blobDetectorSaliencyIsLocalAndMatchesFiniteDifferences(String spec) {
        Backend b = backend(spec);
        Model model = Model.load(Path.of("sample-data/models/blob-detector.onnx"));
        int size = 64;
        float[] x = spots(size, 11);
        int[] shape = {1, 1, size, size};
        Explain.Region region = new Explain.Region(36, 20, 10, 8);
        try (OnnxTapeNet net = new OnnxTapeNet(model, b); Session session = new Session(model, b)) {
            Explain.Gradient g = checkAgainstEngine(net, session, x, shape, Explain.Score.of(0).in(region), true, 3e-2f, 24);
            checkLocal(g, region, ReceptiveField.of(model, 1, size).radius(), size);
            denseMapsHaveTheImageSize(net, b, x, shape, region);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void nucleiUNetSaliencyIsLocalAndMatchesFiniteDifferences(String spec) {
        Backend b = backend(spec);
        Model model = Model.load(Path.of("sample-data/models/nuclei.onnx"));
        int size = 128;
        float[] x = spots(size, 12);
        int[] shape = {1, 1, size, size};
        Explain.Region region = new Explain.Region(6, 10, 12, 10);
        try (OnnxTapeNet net = new OnnxTapeNet(model, b); Session session = new Session(model, b)) {
            Explain.Gradient g = checkAgainstEngine(net, session, x, shape, new Explain.Score(0, Explain.Target.LOGIT, region),
                    false, 1e-3f, 6);
            checkLocal(g, region, ReceptiveField.of(model, 1, size).radius(), size);
            Explain.GradCam cam = Explain.gradCam(net, upload(b, x, shape), Explain.Score.of(0).in(region), null);
            assertEquals(16, cam.map().width(), "Grad-CAM's default layer of a U-Net is its bottleneck (1/8 of 128), got " + cam.layer());
            assertEquals(size, cam.atInput().width());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void anOpWithoutAGradientRuleIsNamed(String spec) {
        Backend b = backend(spec);
        OnnxGraph g = OnnxGraph.of("bad", List.of(OnnxNode.of("Abs", List.of("x"), List.of("y")).withName("the_abs")), List.of(),
                List.of(ValueInfo.floatTensor("x", 1, 1, 4, 4)), List.of(ValueInfo.floatTensor("y", 1, 1, 4, 4)));
        Model model = Model.fromOnnx(OnnxModel.of(g, 13), "bad.onnx");
        var e = assertThrows(UnsupportedOperatorException.class, () -> new OnnxTapeNet(model, b).close());
        assertTrue(e.getMessage().contains("the_abs") && e.getMessage().contains("Abs") && e.getMessage().contains("bad.onnx"),
                e.getMessage());
    }

    // ---- checks ---------------------------------------------------------------------------------

    /**
     * The tape's input gradient of {@code score} against central differences of the same score
     * computed on the host (in double) from the engine's output; the tape's forward must equal the
     * engine's too. {@code finalSigmoid}: the model ends in a Sigmoid, which the tape leaves out.
     */
    Explain.Gradient checkAgainstEngine(OnnxTapeNet net, Session session, float[] x, int[] shape, Explain.Score score,
                                        boolean finalSigmoid, float eps, int samples) {
        Backend b = net.backend();
        Explain.Gradient g;
        float[] tapeOut;
        try (Tensor xt = upload(b, x, shape)) {
            g = Explain.gradient(net, xt, score, Tape.ReluBackward.EXACT);
            tapeOut = Explain.scores(net, xt);
        }
        float[] engineOut = engine(session, x, shape);
        if (finalSigmoid) {
            for (int i = 0; i < tapeOut.length; i++) {
                tapeOut[i] = (float) (1 / (1 + Math.exp(-tapeOut[i])));
            }
        }
        assertArrayEquals(engineOut, tapeOut, 2e-4f, "tape forward vs engine on " + b.name());
        double s0 = hostScore(session, x, shape, score, finalSigmoid);
        assertEquals(s0, g.score(), 1e-3 * Math.max(1, Math.abs(s0)), "score on " + b.name());
        double scale = 0;
        for (float v : g.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, "the gradient is not all zero");
        int[] idx = samples(g, samples);
        for (int j : idx) {
            float keep = x[j];
            x[j] = keep + eps;
            double plus = hostScore(session, x, shape, score, finalSigmoid);
            x[j] = keep - eps;
            double minus = hostScore(session, x, shape, score, finalSigmoid);
            x[j] = keep;
            double numeric = (plus - minus) / (2.0 * eps);
            double a = g.data()[j];
            // a ReLU or max-pool switching between x - eps and x + eps makes the central difference the mean of two
            // slopes (piecewise-linear nets): then the tape's gradient must be the slope on one side
            double left = (s0 - minus) / eps, right = (plus - s0) / eps;
            boolean kink = !close(left, right, scale);
            if (!(close(a, numeric, scale) || kink && (close(a, left, scale) || close(a, right, scale)))) {
                fail(session.model().source() + " on " + b.name() + ", " + score + ": d score / d x[" + j + "] tape " + a
                        + " vs finite differences " + numeric + " (central), " + left + " / " + right + " (one-sided; gradient scale "
                        + scale + ")");
            }
        }
        return g;
    }

    /** A gradient and a finite difference agree: within 2 % of the larger, 0.5 % of the gradient's scale. */
    private static boolean close(double tape, double numeric, double scale) {
        return Math.abs(tape - numeric) <= 2e-2 * Math.max(Math.abs(tape), Math.abs(numeric)) + 5e-3 * scale + 1e-4;
    }

    /** Indices to probe: the largest gradients (where errors show) and some random ones. */
    static int[] samples(Explain.Gradient g, int n) {
        float[] d = g.data();
        if (d.length <= n) {
            int[] all = new int[d.length];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        Integer[] order = new Integer[d.length];
        for (int i = 0; i < d.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (p, q) -> Float.compare(Math.abs(d[q]), Math.abs(d[p])));
        java.util.Set<Integer> picked = new java.util.LinkedHashSet<>();
        for (int i = 0; i < n / 2; i++) {
            picked.add(order[i]);
        }
        Random r = new Random(d.length);
        while (picked.size() < n) {
            picked.add(r.nextInt(d.length));
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The score from the engine's output, on the host in double. */
    static double hostScore(Session session, float[] x, int[] shape, Explain.Score score, boolean finalSigmoid) {
        float[] z = engine(session, x, shape);
        int k = z.length / (shape[2] * shape[3]);
        int plane = shape[2] * shape[3];
        Explain.Region r = score.region() != null ? score.region() : new Explain.Region(0, 0, shape[3], shape[2]);
        double s = 0;
        for (int y = r.y(); y < r.y() + r.height(); y++) {
            for (int i = r.x(); i < r.x() + r.width(); i++) {
                int at = y * shape[3] + i;
                double[] logit = new double[k];
                for (int c = 0; c < k; c++) {
                    double v = z[c * plane + at];
                    logit[c] = finalSigmoid ? Math.log(v / (1 - v)) : v;
                }
                if (score.target() == Explain.Target.LOGIT || k == 1) {
                    s += logit[score.channel()];
                } else {
                    double max = java.util.Arrays.stream(logit).max().orElseThrow(), sum = 0;
                    for (double v : logit) {
                        sum += Math.exp(v - max);
                    }
                    s += logit[score.channel()] - max - Math.log(sum);
                }
            }
        }
        return s;
    }

    static float[] engine(Session session, float[] x, int[] shape) {
        String in = session.model().inputs().get(0).name();
        try (Tensor xt = upload(session.backend(), x, shape)) {
            Map<String, Tensor> out = session.run(Map.of(in, xt));
            try {
                return session.backend().download(out.get(session.model().outputNames().get(0)));
            } finally {
                out.values().forEach(Tensor::close);
            }
        }
    }

    /** Zero outside the region grown by the receptive field's radius, not zero inside the region. */
    static void checkLocal(Explain.Gradient g, Explain.Region r, int radius, int size) {
        double inside = 0;
        int farPixels = 0;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                float v = g.data()[y * size + x];
                boolean far = x < r.x() - radius || x >= r.x() + r.width() + radius || y < r.y() - radius
                        || y >= r.y() + r.height() + radius;
                farPixels += far ? 1 : 0;
                if (far && v != 0f) {
                    fail("gradient " + v + " at (" + x + ", " + y + "), outside the region " + r + " grown by the receptive field radius "
                            + radius);
                }
                if (x >= r.x() && x < r.x() + r.width() && y >= r.y() && y < r.y() + r.height()) {
                    inside += Math.abs(v);
                }
            }
        }
        assertTrue(inside > 0, "no gradient inside the region");
        assertTrue(farPixels > size * size / 4, "the locality check needs pixels beyond the receptive field (radius " + radius
                + "): only " + farPixels);
    }

    /** Saliency, SmoothGrad, guided backprop and Grad-CAM of a region run on a dense model and give image-sized maps. */
    static void denseMapsHaveTheImageSize(OnnxTapeNet net, Backend b, float[] x, int[] shape, Explain.Region region) {
        try (Tensor xt = upload(b, x, shape)) {
            Explain.Score s = Explain.Score.of(Explain.predictedClass(net, xt, region)).in(region);
            for (Heatmap h : List.of(Explain.saliency(net, xt, s), Explain.smoothGrad(net, xt, s, 2, 0.1f, 1),
                    Explain.guidedBackprop(net, xt, s).magnitude(), Explain.gradCam(net, xt, s, null).atInput(),
                    Explain.guidedGradCam(net, xt, s, null))) {
                assertEquals(shape[3], h.width());
                assertEquals(shape[2], h.height());
                for (float v : h.values()) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }

    /** Bright Gaussian spots on a noisy background, z-scored (the models' normalisation). */
    static float[] spots(int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[size * size];
        double[][] centres = {{0.25, 0.3}, {0.65, 0.35}, {0.45, 0.7}, {0.8, 0.8}};
        for (int y = 0; y < size; y++) {
            for (int i = 0; i < size; i++) {
                double v = 0.1 * r.nextGaussian();
                for (double[] c : centres) {
                    double dx = i - c[0] * size, dy = y - c[1] * size;
                    v += Math.exp(-(dx * dx + dy * dy) / (2 * Math.pow(size / 16.0, 2)));
                }
                x[y * size + i] = (float) v;
            }
        }
        return org.neuralj.image.Normalization.ZSCORE.apply(x);
    }

    static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * (float) r.nextGaussian();
        }
        return v;
    }

    static Tensor upload(Backend b, float[] x, int[] shape) {
        return b.upload(x, shape);
    }
}
