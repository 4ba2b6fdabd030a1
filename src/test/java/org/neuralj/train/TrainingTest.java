package org.neuralj.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/** End to end: small networks really learn, with a fixed seed, on every backend. */
class TrainingTest {
    private static final TrainBackends BACKENDS = new TrainBackends();

    static List<String> backends() {
        return TrainBackends.specs();
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.close();
    }

    /** A two-level U-Net: conv-BN-ReLU, max pool, conv-BN-ReLU, nearest upsampling, skip concat, conv, 1x1 conv. */
    static final class TinyUNet implements Layer {
        final Layer enc;
        final Layer down;
        final Layer up;
        final Layer head;

        TinyUNet(Init init) {
            enc = new Sequential(new Conv2d(init, "enc", 1, 8, 3), new BatchNorm2d(init, "enc_bn", 8), Act.relu());
            down = new Sequential(Pool2d.max(2), new Conv2d(init, "mid", 8, 16, 3), new BatchNorm2d(init, "mid_bn", 16),
                    Act.relu(), new Dropout(0.1f), Upsample.nearest(2));
            up = new Sequential(new Conv2d(init, "dec", 24, 8, 3), Act.relu());
            head = new Conv2d(init, "head", 8, 1, 1);
        }

        @Override
        public Var forward(Tape t, Var x) {
            Var e = enc.forward(t, x);
            Var d = down.forward(t, e);
            return head.forward(t, up.forward(t, t.concat(List.of(e, d), 1)));
        }

        @Override
        public List<Parameter> parameters() {
            List<Parameter> p = new java.util.ArrayList<>(enc.parameters());
            p.addAll(down.parameters());
            p.addAll(up.parameters());
            p.addAll(head.parameters());
            return p;
        }
    }

    /** Dice of thresholded sigmoid(logits) > 0.5 against the mask. */
    static double dice(float[] logits, float[] mask) {
        double inter = 0, sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float p = logits[i] > 0 ? 1f : 0f;
            inter += p * mask[i];
            sum += p + mask[i];
        }
        return 2 * inter / sum;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void segmentsBrightDiscs(String spec) {
        Backend b = BACKENDS.get(spec);
        int s = 32, batch = 8, steps = 120;
        long start = System.nanoTime();
        try (TinyUNet net = new TinyUNet(new Init(b, 42));
             Optimizer opt = Optimizer.adam(net.parameters(), LrSchedule.warmup(10, LrSchedule.cosine(0.01f, steps, 0.001f)), 0f)) {
            Random data = new Random(7);
            float firstLoss = 0, lastLoss = 0;
            for (int step = 0; step < steps; step++) {
                float[][] d = Synthetic.discs(data, batch, s);
                try (Tensor x = b.upload(d[0], batch, 1, s, s); Tensor m = b.upload(d[1], batch, 1, s, s);
                     Tape t = new Tape(b, Tape.TRAIN).seed(step)) {
                    Var logits = net.forward(t, t.input(x));
                    Var loss = t.add(t.sigmoidBinaryCrossEntropy(logits, m), t.diceLoss(t.activation(logits,
                            org.neuralj.backend.Activation.of(org.neuralj.backend.UnaryOp.SIGMOID)), m, 1f));
                    t.backward(loss);
                    opt.step();
                    if (step == 0 || step == steps - 1) {
                        float l = loss.download()[0];
                        if (step == 0) {
                            firstLoss = l;
                        } else {
                            lastLoss = l;
                        }
                    }
                }
            }
            float[][] val = Synthetic.discs(new Random(1234), 16, s);
            double dice;
            try (Tensor x = b.upload(val[0], 16, 1, s, s); Tape t = new Tape(b, Tape.EVAL)) {
                dice = dice(net.forward(t, t.input(x)).download(), val[1]);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("segmentation on %s: loss %.4f -> %.4f, validation Dice %.4f, %d steps in %.1f s%n",
                    b.name(), firstLoss, lastLoss, dice, steps, seconds);
            assertTrue(lastLoss < firstLoss * 0.5, "loss did not fall: " + firstLoss + " -> " + lastLoss);
            assertTrue(dice > 0.9, "validation Dice " + dice + " on " + b.name());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void classifiesStripes(String spec) {
        Backend b = BACKENDS.get(spec);
        int s = 16, batch = 16, steps = 80;
        long start = System.nanoTime();
        Init init = new Init(b, 3);
        try (Sequential net = new Sequential(new Conv2d(init, "c1", 1, 8, 3), Act.relu(), Pool2d.max(2),
                new Conv2d(init, "c2", 8, 8, 3), Act.leakyRelu(0.1f), new GlobalAvgPool(), new Flatten(),
                new Dense(init, "fc", 8, 2));
             Optimizer opt = Optimizer.sgd(net.parameters(), LrSchedule.step(0.1f, 40, 0.5f), 0.9f, true, 1e-4f).clipGradNorm(5f)) {
            Random data = new Random(8);
            for (int step = 0; step < steps; step++) {
                float[][] d = Synthetic.stripes(data, batch, s);
                try (Tensor x = b.upload(d[0], batch, 1, s, s); Tensor y = b.upload(d[1], batch, 2);
                     Tape t = new Tape(b, Tape.TRAIN)) {
                    t.backward(t.softmaxCrossEntropy(net.forward(t, t.input(x)), y));
                    opt.step();
                }
            }
            int n = 200;
            float[][] val = Synthetic.stripes(new Random(99), n, s);
            int correct = 0;
            try (Tensor x = b.upload(val[0], n, 1, s, s); Tape t = new Tape(b, Tape.EVAL)) {
                float[] z = net.forward(t, t.input(x)).download();
                for (int i = 0; i < n; i++) {
                    int predicted = z[2 * i + 1] > z[2 * i] ? 1 : 0;
                    if (val[1][2 * i + predicted] == 1f) {
                        correct++;
                    }
                }
            }
            double accuracy = correct / (double) n;
            System.out.printf("classification on %s: validation accuracy %.3f, %d steps in %.1f s%n", b.name(), accuracy, steps,
                    (System.nanoTime() - start) / 1e9);
            assertTrue(accuracy > 0.95, "validation accuracy " + accuracy + " on " + b.name());
        }
    }
}
