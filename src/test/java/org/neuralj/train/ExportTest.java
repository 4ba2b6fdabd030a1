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
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * A trained network written as ONNX, loaded back with {@link Model} and run by a {@link Session} on
 * every backend, gives the training graph's evaluation-mode outputs.
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
}
