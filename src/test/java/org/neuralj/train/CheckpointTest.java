package org.neuralj.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import org.neuralj.onnx.ModelFormatException;

/** Reproducibility with a seed, and checkpoints that resume exactly. */
class CheckpointTest {
    private static final TrainBackends BACKENDS = new TrainBackends();

    static List<String> backends() {
        return TrainBackends.specs();
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.close();
    }

    private static Sequential net(Backend b, long seed) {
        Init init = new Init(b, seed);
        return new Sequential(new Conv2d(init, "c1", 1, 4, 3), new BatchNorm2d(init, "bn", 4), Act.relu(), new Dropout(0.2f),
                Pool2d.max(2), new Conv2d(init, "c2", 4, 1, 3));
    }

    private static Optimizer optimizer(Sequential net) {
        return Optimizer.adamW(net.parameters(), LrSchedule.warmup(2, LrSchedule.cosine(0.01f, 10, 0f)), 0.01f).clipGradNorm(1f);
    }

    /** One training step on batch number {@code step} (data and dropout seeded by the step). */
    private static void step(Backend b, Sequential net, Optimizer opt, int step) {
        float[][] d = Synthetic.discs(new Random(step), 2, 12);
        try (Tensor x = b.upload(d[0], 2, 1, 12, 12); Tape t = new Tape(b, Tape.TRAIN).seed(1000 + step)) {
            Var y = net.forward(t, t.input(x));
            try (Tensor target = b.upload(new float[y.value().size()], y.shape())) {
                t.backward(t.sigmoidBinaryCrossEntropy(y, target));
            }
            opt.step();
        }
    }

    private static List<float[]> values(Sequential net) {
        List<float[]> v = new ArrayList<>();
        net.parameters().forEach(p -> v.add(p.download()));
        return v;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sameSeedSameRun(String spec) {
        Backend b = BACKENDS.get(spec);
        List<List<float[]>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (Sequential net = net(b, 5); Optimizer opt = optimizer(net)) {
                for (int s = 0; s < 3; s++) {
                    step(b, net, opt, s);
                }
                runs.add(values(net));
            }
        }
        for (int i = 0; i < runs.get(0).size(); i++) {
            assertArrayEquals(runs.get(0).get(i), runs.get(1).get(i), "parameter " + i + " on " + b.name());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void resumeGivesTheSameNextStep(String spec, @TempDir Path dir) {
        Backend b = BACKENDS.get(spec);
        Path file = dir.resolve("run.ckpt");
        List<float[]> expected;
        try (Sequential net = net(b, 5); Optimizer opt = optimizer(net)) {
            for (int s = 0; s < 4; s++) {
                step(b, net, opt, s);
            }
            Checkpoint.save(file, net.parameters(), opt, Map.of("step", 4L));
            step(b, net, opt, 4);
            expected = values(net);
        }
        // a network with other initial weights and a fresh optimiser, restored from the file
        try (Sequential net = net(b, 99); Optimizer opt = optimizer(net)) {
            Map<String, Long> counters = Checkpoint.load(file, net.parameters(), opt);
            assertEquals(4L, counters.get("step"));
            assertEquals(4L, opt.steps());
            step(b, net, opt, counters.get("step").intValue());
            List<float[]> actual = values(net);
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), actual.get(i), net.parameters().get(i).name() + " on " + b.name());
            }
        }
        // without the optimiser state the next step differs (the test can fail)
        try (Sequential net = net(b, 99); Optimizer opt = optimizer(net)) {
            Checkpoint.load(file, net.parameters(), null);
            step(b, net, opt, 4);
            assertFalse(java.util.Arrays.equals(expected.get(0), net.parameters().get(0).download()));
        }
        // a network of another shape is refused with the parameter's name
        Init init = new Init(b, 1);
        try (Sequential other = new Sequential(new Conv2d(init, "c1", 1, 3, 3))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.load(file, other.parameters(), null));
            assertEquals(true, e.getMessage().contains("c1.weight"), e.getMessage());
        }
    }
}
