package org.neuralj.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/** Optimisers against a double-precision host reference, schedules, clipping. */
class OptimizerTest {
    private static final TrainBackends BACKENDS = new TrainBackends();

    static List<String> backends() {
        return TrainBackends.specs();
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.close();
    }

    private enum Kind { SGD, MOMENTUM, NESTEROV, ADAM, ADAMW }

    /**
     * Loss sum(r * p * p) (gradient 2 r p), four steps with lr 0.1 and weight decay 0.05 on a WEIGHT
     * and a BIAS parameter; the device result against the same formulas in double.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void updatesMatchTheReference(String spec) {
        Backend b = BACKENDS.get(spec);
        for (Kind kind : Kind.values()) {
            float[] p0 = GradCheck.random(new Random(1), 6, -1, 1);
            float[] r = GradCheck.random(new Random(2), 6, 0.2f, 1);
            Parameter w = new Parameter("w", Parameter.Kind.WEIGHT, b.upload(p0, 6));
            Parameter bias = new Parameter("b", Parameter.Kind.BIAS, b.upload(p0, 6));
            List<Parameter> ps = List.of(w, bias);
            LrSchedule lr = LrSchedule.constant(0.1f);
            float wd = 0.05f;
            try (Optimizer opt = switch (kind) {
                case SGD -> Optimizer.sgd(ps, lr, 0f, false, wd);
                case MOMENTUM -> Optimizer.sgd(ps, lr, 0.9f, false, wd);
                case NESTEROV -> Optimizer.sgd(ps, lr, 0.9f, true, wd);
                case ADAM -> Optimizer.adam(ps, lr, wd);
                case ADAMW -> Optimizer.adamW(ps, lr, wd);
            }; Tensor rt = b.upload(r, 6)) {
                double[][] ref = {toDouble(p0), toDouble(p0)};
                double[][] m = new double[2][6];
                double[][] v = new double[2][6];
                for (int step = 1; step <= 4; step++) {
                    try (Tape t = new Tape(b, Tape.TRAIN)) {
                        Var rv = t.input(rt);
                        Var lw = t.sum(t.mul(rv, t.mul(t.param(w), t.param(w))));
                        Var lb = t.sum(t.mul(rv, t.mul(t.param(bias), t.param(bias))));
                        t.backward(t.add(lw, lb));
                    }
                    opt.step();
                    for (int k = 0; k < 2; k++) {
                        boolean decay = k == 0;
                        double[] p = ref[k];
                        for (int i = 0; i < 6; i++) {
                            double g = 2 * r[i] * p[i];
                            switch (kind) {
                                case SGD, MOMENTUM, NESTEROV -> {
                                    double mu = kind == Kind.SGD ? 0 : 0.9;
                                    double gg = g + (decay ? wd * p[i] : 0);
                                    m[k][i] = mu * m[k][i] + gg;
                                    double u = kind == Kind.NESTEROV ? gg + mu * m[k][i] : m[k][i];
                                    p[i] -= 0.1 * u;
                                }
                                case ADAM, ADAMW -> {
                                    double gg = g + (decay && kind == Kind.ADAM ? wd * p[i] : 0);
                                    m[k][i] = 0.9 * m[k][i] + 0.1 * gg;
                                    v[k][i] = 0.999 * v[k][i] + 0.001 * gg * gg;
                                    double mh = m[k][i] / (1 - Math.pow(0.9, step));
                                    double vh = v[k][i] / (1 - Math.pow(0.999, step));
                                    if (decay && kind == Kind.ADAMW) {
                                        p[i] *= 1 - 0.1 * wd;
                                    }
                                    p[i] -= 0.1 * mh / (Math.sqrt(vh) + 1e-8);
                                }
                            }
                        }
                    }
                }
                assertEquals(4, opt.steps());
                assertClose(ref[0], w.download(), kind + " weight on " + b.name());
                assertClose(ref[1], bias.download(), kind + " bias on " + b.name());
            } finally {
                w.close();
                bias.close();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void clipsTheGlobalNorm(String spec) {
        Backend b = BACKENDS.get(spec);
        // gradients (3, 4) and (12): global norm 13; clipped to 6.5 they halve
        Parameter a = new Parameter("a", Parameter.Kind.WEIGHT, b.upload(new float[] {0, 0}, 2));
        Parameter c = new Parameter("c", Parameter.Kind.BIAS, b.upload(new float[] {0}, 1));
        try (Optimizer opt = Optimizer.sgd(List.of(a, c), LrSchedule.constant(1f), 0f, false, 0f).clipGradNorm(6.5f);
             Tensor ga = b.upload(new float[] {3, 4}, 2); Tensor gc = b.upload(new float[] {12}, 1)) {
            try (Tape t = new Tape(b, Tape.TRAIN)) {
                t.backward(t.add(t.sum(t.mul(t.param(a), t.input(ga))), t.sum(t.mul(t.param(c), t.input(gc)))));
            }
            opt.step();
            assertArrayEquals(new float[] {-1.5f, -2f}, a.download(), 1e-5f);
            assertArrayEquals(new float[] {-6f}, c.download(), 1e-5f);
            // below the limit nothing changes
            try (Tape t = new Tape(b, Tape.TRAIN)) {
                t.backward(t.sum(t.mul(t.param(c), t.input(gc))));
            }
            opt.clipGradNorm(100f).step();
            assertArrayEquals(new float[] {-18f}, c.download(), 1e-5f);
        } finally {
            a.close();
            c.close();
        }
    }

    @Test
    void schedules() {
        LrSchedule step = LrSchedule.step(0.1f, 10, 0.5f);
        assertEquals(0.1f, step.lr(0), 1e-7);
        assertEquals(0.1f, step.lr(9), 1e-7);
        assertEquals(0.05f, step.lr(10), 1e-7);
        assertEquals(0.025f, step.lr(25), 1e-7);
        LrSchedule cos = LrSchedule.cosine(1f, 100, 0f);
        assertEquals(1f, cos.lr(0), 1e-6);
        assertEquals(0.5f, cos.lr(50), 1e-6);
        assertEquals(0f, cos.lr(100), 1e-6);
        assertEquals(0f, cos.lr(500), 1e-6);
        LrSchedule warm = LrSchedule.warmup(4, LrSchedule.constant(0.8f));
        assertEquals(0.2f, warm.lr(0), 1e-6);
        assertEquals(0.6f, warm.lr(2), 1e-6);
        assertEquals(0.8f, warm.lr(4), 1e-6);
        assertTrue(LrSchedule.warmup(5, cos).lr(5) < 1f);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 + 1e-4 * Math.abs(expected[i]), what + " at " + i);
        }
    }
}
