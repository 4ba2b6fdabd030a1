package org.neuralj.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.conformance.Tolerances;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * A trained network written as ONNX, loaded back with {@link Model} and run by a {@link Session} on
 * every backend, and run by ONNX Runtime (in a child JVM), gives the training graph's evaluation-mode
 * outputs.
 */
class ExportTest {
    private static final TrainBackends BACKENDS = new TrainBackends();

    static List<String> backends() {
        return TrainBackends.specs();
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.close();
    }

    /** Every exportable layer: U-Net-like segmentation body. */
    static final class Segmenter implements Layer {
        final Layer stem;
        final Layer down;
        final Layer up;
        final Layer head;

        Segmenter(Init init) {
            stem = new Sequential(new Conv2d(init, "stem", 2, 6, 3), new BatchNorm2d(init, "stem_bn", 6), Act.relu(),
                    new Residual(new Sequential(new Conv2d(init, "res_a", 6, 6, 3, 1, 2, 2, 2, false), Act.leakyRelu(0.1f)),
                            null, Act.relu()));
            down = new Sequential(Pool2d.max(2), new Conv2d(init, "down", 6, 8, 3, 1, 1, 1, 1, true), Act.tanh(),
                    new Dropout(0.3f), new Conv2d(init, "down2", 8, 8, 3, 2, 1, 1, 1, true), Act.relu(),
                    new ConvTranspose2d(init, "upconv", 8, 8, 2), Upsample.bilinear(2));
            up = new Sequential(new Conv2d(init, "fuse", 14, 4, 3), Pool2d.average(1));
            head = new Sequential(Upsample.nearest(1), new Conv2d(init, "head", 4, 2, 1), Act.sigmoid());
        }

        @Override
        public Var forward(Tape t, Var x) {
            Var s = stem.forward(t, x);
            Var d = down.forward(t, s);
            return head.forward(t, up.forward(t, t.concat(List.of(s, d), 1)));
        }

        @Override
        public List<Parameter> parameters() {
            List<Parameter> p = new ArrayList<>(stem.parameters());
            p.addAll(down.parameters());
            p.addAll(up.parameters());
            p.addAll(head.parameters());
            return p;
        }
    }

    private static Sequential classifier(Init init) {
        return new Sequential(new Conv2d(init, "c1", 2, 4, 3, 2, 1, 1, 1, true), new BatchNorm2d(init, "bn1", 4), Act.relu(),
                new Conv2d(init, "dw", 4, 4, 3, 1, 1, 1, 4, true), new GlobalAvgPool(), new Flatten(),
                new Dense(init, "fc1", 4, 5), new BatchNorm2d(init, "bn2", 5), Act.relu(), new Dropout(0.5f), new Dense(init, "fc2", 5, 3));
    }

    private static void check(Backend b, Layer net, Path dir, String name, int n, int h, int w) {
        try {
            checkOrThrow(b, net, dir, name, n, h, w);
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void checkOrThrow(Backend b, Layer net, Path dir, String name, int n, int h, int w) throws java.io.IOException, InterruptedException {
        int[] shape = {n, 2, h, w};
        float[] x = GradCheck.random(new Random(3), n * 2 * h * w, -1, 1);
        // a few training steps so BatchNorm's running statistics are not the initial ones
        try (Optimizer opt = Optimizer.sgd(net.parameters(), LrSchedule.constant(0.05f), 0.9f, false, 0f);
             Tensor xt = b.upload(x, shape)) {
            for (int s = 0; s < 3; s++) {
                try (Tape t = new Tape(b, Tape.TRAIN).seed(s)) {
                    t.backward(t.mean(net.forward(t, t.input(xt))));
                }
                opt.step();
            }
            float[] expected;
            int[] outShape;
            try (Tape t = new Tape(b, Tape.EVAL)) {
                Var y = net.forward(t, t.input(xt));
                expected = y.download();
                outShape = y.shape();
            }
            Path file = dir.resolve(name + ".onnx");
            OnnxExport.write(net, b, file, "input", "output", shape);
            // another engine runs the file with the same results: it is standard ONNX
            Npy.Array ort = OnnxRuntimeCheck.run(file, "input", shape, x, dir);
            Tolerances.assertShape(outShape, ort.shape(), name + " in ONNX Runtime");
            Tolerances.assertClose(expected, ort.data(), 1e-4f, 1e-4f, name + " trained on " + b.name() + ", run by ONNX Runtime");
            Model model = Model.load(file);
            for (String spec : TrainBackends.specs()) {
                Backend other = BACKENDS.get(spec);
                try (Session session = new Session(model, other)) {
                    HostTensor out = session.runOnHost(Map.of("input", new HostTensor(shape, x))).get("output");
                    Tolerances.assertShape(outShape, out.shape(), name);
                    Tolerances.assertClose(expected, out.data(), 1e-4f, 1e-4f,
                            name + " trained on " + b.name() + ", ONNX run on " + other.name());
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void segmenterRoundTrips(String spec, @TempDir Path dir) {
        Backend b = BACKENDS.get(spec);
        try (Segmenter net = new Segmenter(new Init(b, 21))) {
            check(b, net, dir, "segmenter", 2, 12, 12);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void classifierRoundTrips(String spec, @TempDir Path dir) {
        Backend b = BACKENDS.get(spec);
        try (Sequential net = classifier(new Init(b, 22))) {
            check(b, net, dir, "classifier", 4, 9, 9);
        }
    }

    /** The shipped models (trained and exported by NeuralJ) run in ONNX Runtime with NeuralJ's results. */
    @org.junit.jupiter.api.Test
    void shippedModelsRunTheSameInOnnxRuntime(@TempDir Path dir) throws Exception {
        for (String name : List.of("nuclei", "blood-cells", "blob-detector")) {
            Path file = Path.of("sample-data/models", name + ".onnx");
            Model model = Model.load(file);
            String input = model.inputs().get(0).name();
            int channels = name.equals("blood-cells") ? 3 : 1;
            long[] declared = model.inputs().get(0).dims();
            // models exported before spatial axes became symbolic declare the training crop size
            int side = declared[3] > 0 ? (int) declared[3] : 96;
            int[] shape = {1, channels, side, side};
            float[] x = GradCheck.random(new Random(5), channels * side * side, -2, 2);
            Npy.Array ort = OnnxRuntimeCheck.run(file, input, shape, x, dir);
            try (Session session = new Session(model, BACKENDS.get("cpu"))) {
                HostTensor out = session.runOnHost(Map.of(input, new HostTensor(shape, x))).values().iterator().next();
                Tolerances.assertShape(out.shape(), ort.shape(), name);
                Tolerances.assertClose(ort.data(), out.data(), 1e-4f, 1e-4f, name + ": NeuralJ cpu vs ONNX Runtime");
            }
        }
    }
}
