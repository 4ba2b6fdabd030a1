package org.neuralj.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.ValueInfo;
import org.neuralj.train.Act;
import org.neuralj.train.Conv2d;
import org.neuralj.train.Dense;
import org.neuralj.train.Flatten;
import org.neuralj.train.GlobalAvgPool;
import org.neuralj.train.Init;
import org.neuralj.train.LrSchedule;
import org.neuralj.train.OnnxExport;
import org.neuralj.train.Optimizer;
import org.neuralj.train.Pool2d;
import org.neuralj.train.Sequential;
import org.neuralj.train.Tape;

/**
 * Explanations that can fail: a small classifier is trained here to tell images with a bright square
 * from images without; its Grad-CAM, saliency and occlusion maps must put their strongest pixels on
 * the square, and those of the same network trained on shuffled labels must not. Guided backprop is
 * checked against a hand-computed case, activation maximisation must raise its channel, and feature
 * maps must equal the engine's own intermediate tensors. On every backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExplainTest {
    static final int S = SquareData.SIZE;
    /** The square counts with a margin of this many pixels (gradients are strongest at its edges). */
    static final int MARGIN = 1;
    /**
     * The map's 64 strongest pixels overlap the 6x6 square grown by {@link #MARGIN} (8x8) with IoU at
     * least this, on average over 6 test images (a map that ignores the square scores about 0.06).
     */
    static final double CAM_IOU = 0.35;
    static final double SALIENCY_IOU = 0.15;
    static final double OCCLUSION_IOU = 0.35;
    /** ... and the shuffled-label model's maps stay below this. */
    static final double SHUFFLED_IOU = 0.15;
    /** Activation maximisation raises the channel's mean activation at least this many times. */
    static final double DREAM_FACTOR = 3;

    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final Map<String, Sequential> trained = new LinkedHashMap<>();
    private final Map<String, Sequential> shuffled = new LinkedHashMap<>();

    static List<String> backends() {
        return Backends.available();
    }

    Backend backend(String spec) {
        return backends.computeIfAbsent(spec, Backends::select);
    }

    @AfterAll
    void close() {
        trained.values().forEach(Sequential::close);
        shuffled.values().forEach(Sequential::close);
        backends.values().forEach(Backend::close);
    }

    static Sequential newNet(Backend b, long seed) {
        Init init = new Init(b, seed);
        return new Sequential(new Conv2d(init, "c1", 1, 8, 3), Act.relu(), Pool2d.max(2),
                new Conv2d(init, "c2", 8, 16, 3), Act.relu(), new GlobalAvgPool(), new Flatten(), new Dense(init, "fc", 16, 2));
    }

    /** Index of the ReLU after c2 (Grad-CAM's layer, 12x12). */
    static final String CAM_LAYER = "4";

    Sequential train(String spec, boolean shuffle) {
        Map<String, Sequential> cache = shuffle ? shuffled : trained;
        return cache.computeIfAbsent(spec, k -> {
            Backend b = backend(spec);
            Sequential net = newNet(b, 5);
            long start = System.nanoTime();
            SquareData data = new SquareData(new Random(11), 256, false);
            if (shuffle) {
                // a shuffle whose labels agree with the truth about half the time (no chance correlation to learn)
                for (long seed = 12; ; seed++) {
                    data.shuffleLabels(new Random(seed));
                    int agree = 0;
                    for (int i = 0; i < 256; i++) {
                        agree += data.labels[i] == (data.boxes[i] != null ? 1 : 0) ? 1 : 0;
                    }
                    if (Math.abs(agree - 128) <= 4) {
                        break;
                    }
                }
            }
            int batch = 16, steps = 80;
            try (Optimizer opt = Optimizer.adam(net.parameters(), LrSchedule.constant(0.01f), 0f)) {
                for (int step = 0; step < steps; step++) {
                    int from = (step * batch) % 256;
                    float[] x = new float[batch * S * S];
                    float[] y = new float[batch * 2];
                    System.arraycopy(data.images, from * S * S, x, 0, x.length);
                    System.arraycopy(data.oneHot, from * 2, y, 0, y.length);
                    try (Tensor xt = b.upload(x, batch, 1, S, S); Tensor yt = b.upload(y, batch, 2); Tape t = new Tape(b, Tape.TRAIN)) {
                        t.backward(t.softmaxCrossEntropy(net.forward(t, t.input(xt)), yt));
                        opt.step();
                    }
                }
            }
            SquareData val = new SquareData(new Random(99), 64, false);
            int right = 0;
            try (Tensor x = b.upload(val.images, 64, 1, S, S); Tape t = new Tape(b, Tape.EVAL)) {
                float[] z = net.forward(t, t.input(x)).download();
                for (int i = 0; i < 64; i++) {
                    right += (z[2 * i + 1] > z[2 * i] ? 1 : 0) == val.labels[i] ? 1 : 0;
                }
            }
            System.out.printf("square classifier (%s) on %s: validation accuracy %.3f, trained in %.1f s%n",
                    shuffle ? "shuffled labels" : "true labels", b.name(), right / 64.0, (System.nanoTime() - start) / 1e9);
            int agree = 0;
            for (int i = 0; i < 256; i++) {
                agree += data.labels[i] == (data.boxes[i] != null ? 1 : 0) ? 1 : 0;
            }
            System.out.println("labels that agree with the truth: " + agree + " of 256");
            if (!shuffle) {
                assertTrue(right / 64.0 > 0.95, "the square classifier did not learn: accuracy " + right / 64.0);
            }
            return net;
        });
    }

    interface MapMaker {
        Heatmap make(SequentialNet net, Tensor x);
    }

    /** Mean IoU of the map's 36 strongest pixels with the square over test images with a square. */
    double meanIou(Backend b, SequentialNet net, MapMaker maker) {
        SquareData test = new SquareData(new Random(2024), 6, true);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            try (Tensor x = b.upload(test.image(i), 1, 1, S, S)) {
                Heatmap m = maker.make(net, x);
                int[] box = test.boxes[i];
                int a = SquareData.SQUARE + 2 * MARGIN;
                sum += m.iouTop(a * a, box[0] - MARGIN, box[1] - MARGIN, box[0] - MARGIN + a, box[1] - MARGIN + a);
            }
        }
        return sum / 6;
    }

    void checkPeaks(String spec, String what, double bound, MapMaker maker) {
        Backend b = backend(spec);
        double good = meanIou(b, new SequentialNet(train(spec, false), b), maker);
        double bad = meanIou(b, new SequentialNet(train(spec, true), b), maker);
        System.out.printf("%s on %s: IoU with the square %.3f (trained), %.3f (shuffled labels)%n", what, b.name(), good, bad);
        assertTrue(good >= bound, what + ": IoU " + good + " < " + bound);
        assertTrue(bad < SHUFFLED_IOU, what + " of the shuffled-label model: IoU " + bad + " >= " + SHUFFLED_IOU);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gradCamFindsTheSquare(String spec) {
        checkPeaks(spec, "Grad-CAM", CAM_IOU, (net, x) -> Explain.gradCam(net, x, 1, CAM_LAYER).atInput());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void saliencyFindsTheSquare(String spec) {
        checkPeaks(spec, "saliency", SALIENCY_IOU, (net, x) -> Explain.saliency(net, x, 1));
        checkPeaks(spec, "SmoothGrad", SALIENCY_IOU, (net, x) ->
                Explain.smoothGrad(net, x, 1, Explain.SMOOTHGRAD_SAMPLES, Explain.SMOOTHGRAD_NOISE, 3));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void occlusionFindsTheSquare(String spec) {
        Backend b = backend(spec);
        checkPeaks(spec, "occlusion", OCCLUSION_IOU, (net, x) ->
                Occlusion.map(Occlusion.scorer(net), b, b.download(x), x.shape(), 1, new Occlusion.Settings(6, 2, 0f, true, 32)));
    }

    /**
     * x -> conv 1x1 (w = [1, -1], b = [0, 0.5]) -> ReLU -> conv 1x1 (w = [2, -3]) -> ReLU -> mean -> dense 1.
     * With h1 = x, h2 = 0.5 - x, u = 2 relu(h1) - 3 relu(h2), the score is mean(relu(u)) over 9 pixels.
     * Vanilla: dS/dx = [u > 0] (2 [x > 0] + 3 [x < 0.5]) / 9. Guided (negative gradients stopped at
     * each ReLU): the -3 path is cut, dS/dx = [u > 0] 2 [x > 0] / 9.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void guidedBackpropMatchesAHandComputedCase(String spec) throws Exception {
        Backend b = backend(spec);
        Init init = new Init(b, 1);
        Conv2d c1 = new Conv2d(init, "g1", 1, 2, 1);
        Conv2d c2 = new Conv2d(init, "g2", 2, 1, 1);
        Dense fc = new Dense(init, "gfc", 1, 1, false);
        c1.weight().load(new float[] {1, -1});
        c1.bias().load(new float[] {0, 0.5f});
        c2.weight().load(new float[] {2, -3});
        c2.bias().load(new float[] {0});
        fc.parameters().get(0).load(new float[] {1});
        float[] x = {-1, 0.45f, 1, 0.35f, -0.2f, 2, 0.1f, 0.25f, 0.4f};
        float n = 1f / 9;
        float[] guided = {0, 2 * n, 2 * n, 2 * n, 0, 2 * n, 0, 0, 2 * n};
        float[] vanilla = {0, 5 * n, 2 * n, 5 * n, 0, 2 * n, 0, 0, 5 * n};
        try (Sequential net = new Sequential(c1, Act.relu(), c2, Act.relu(), new GlobalAvgPool(), new Flatten(), fc);
             Tensor xt = b.upload(x, 1, 1, 3, 3)) {
            SequentialNet sn = new SequentialNet(net, b);
            assertArrayEquals(guided, Explain.guidedBackprop(sn, xt, 0).data(), 1e-6f, "guided backprop on " + b.name());
            assertArrayEquals(vanilla, Explain.gradient(sn, xt, 0, Tape.ReluBackward.EXACT).data(), 1e-6f, "gradient on " + b.name());
            // the same network written as ONNX and read back as tape ops gives the same numbers
            java.nio.file.Path file = java.nio.file.Files.createTempFile("guided", ".onnx");
            try {
                OnnxExport.write(net, b, file, "input", "logits", 1, 1, 3, 3);
                try (OnnxTapeNet onnx = new OnnxTapeNet(Model.load(file), b)) {
                    assertArrayEquals(guided, Explain.guidedBackprop(onnx, xt, 0).data(), 1e-6f, "ONNX guided backprop on " + b.name());
                    assertArrayEquals(vanilla, Explain.gradient(onnx, xt, 0, Tape.ReluBackward.EXACT).data(), 1e-6f);
                }
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
            for (var p : net.parameters()) {
                assertEquals(null, p.grad(), "explanations leave no weight gradient behind");
                assertTrue(!p.frozen(), "frozen flags are restored");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void activationMaximisationRaisesTheChannel(String spec) {
        Backend b = backend(spec);
        SequentialNet net = new SequentialNet(train(spec, false), b);
        int[] shape = {1, 1, S, S};
        Dream.Result r = Dream.maximise(net, CAM_LAYER, 3, Dream.noise(shape, 0.1f, 4), shape,
                new Dream.Settings(30, 0.05f, 1, 2, 1.4f, 0f, 7));
        System.out.printf("activation maximisation on %s: channel 3 of layer %s %.4f -> %.4f%n", b.name(), CAM_LAYER, r.before(), r.after());
        assertTrue(r.after() >= DREAM_FACTOR * r.before() && r.after() > r.before() + 0.1,
                "channel activation " + r.before() + " -> " + r.after());
        Dream.Result dd = Dream.maximise(net, CAM_LAYER, -1, Dream.noise(shape, 0.1f, 4), shape,
                new Dream.Settings(20, 0.05f, 1, 1, 1.4f, 0f, 7));
        assertTrue(dd.after() >= DREAM_FACTOR * dd.before(), "DeepDream objective " + dd.before() + " -> " + dd.after());
        // class logit at the output
        Dream.Result cls = Dream.maximise(net, null, 1, Dream.noise(shape, 0.1f, 4), shape,
                new Dream.Settings(20, 0.05f, 1, 1, 1.4f, 0f, 7));
        assertTrue(cls.after() > cls.before() + 1, "class logit " + cls.before() + " -> " + cls.after());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void featureMapsEqualTheEnginesIntermediateTensors(String spec) throws Exception {
        Backend b = backend(spec);
        Sequential net = train(spec, false);
        OnnxModel onnx = OnnxExport.toOnnx(net, b, "input", "logits", 1, 1, S, S);
        Model model = Model.fromOnnx(onnx, "square.onnx");
        SquareData test = new SquareData(new Random(5), 1, true);
        List<String> values = new ArrayList<>();
        for (ModelSummary.Row row : ModelSummary.of(model, Map.of("input", new int[] {1, 1, S, S}))) {
            values.add(row.value());
        }
        try (Session session = new Session(model, b); Tensor x = b.upload(test.image(0), 1, 1, S, S)) {
            SequentialNet sn = new SequentialNet(net, b);
            for (String value : values) {
                FeatureMaps fm = FeatureMaps.of(session, x, value);
                // the same value as the output of a model cut there, run by the plain Session.run
                OnnxGraph g = onnx.graph();
                OnnxGraph cut = OnnxGraph.of("cut", g.nodes(), g.initializers(), g.inputs(),
                        List.of(ValueInfo.symbolicTensor(value, org.neuralj.onnx.DataType.FLOAT)));
                try (Session s2 = new Session(Model.fromOnnx(OnnxModel.of(cut, OnnxExport.OPSET), "cut.onnx"), b)) {
                    Map<String, Tensor> out = s2.run(Map.of("input", x));
                    try {
                        assertArrayEquals(b.download(out.get(value)), fm.data(), "feature map " + value + " on " + b.name());
                    } finally {
                        out.values().forEach(Tensor::close);
                    }
                }
            }
            // and the tape's value at the ReLU after c2 is the ONNX value of the same layer
            String relu2 = null;
            for (var n : onnx.graph().nodes()) {
                if (n.opType().equals("Relu")) {
                    relu2 = n.outputs().get(0);
                }
            }
            FeatureMaps engine = FeatureMaps.of(session, x, relu2);
            FeatureMaps tape = FeatureMaps.of(sn, x, CAM_LAYER);
            assertEquals(16, engine.channels());
            assertEquals(S / 2, engine.height());
            assertArrayEquals(tape.data(), engine.data(), 1e-4f, "tape vs engine at " + relu2);
            assertEquals(relu2 + "/3", engine.label(3));
            // asking for a value that does not exist names the ones that do
            var e = org.junit.jupiter.api.Assertions.assertThrows(org.neuralj.backend.NeuralJException.class,
                    () -> session.run(Map.of("input", x), Set.of("no-such-value")));
            assertTrue(e.getMessage().contains(relu2), e.getMessage());
        }
    }
}
