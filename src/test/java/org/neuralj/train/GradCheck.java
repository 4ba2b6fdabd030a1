package org.neuralj.train;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/**
 * Finite-difference check of the tape's gradients: the analytic gradient of L = sum(f(inputs) * R),
 * R a fixed random tensor, against central differences (L(x + eps) - L(x - eps)) / (2 eps) in float,
 * for the inputs and the parameters of f. L is summed on the host in double.
 */
final class GradCheck {
    /** The function under test: builds its output on the tape from the input vars. */
    interface Fn {
        Var apply(Tape t, List<Var> inputs);
    }

    private final Backend b;
    private final String what;
    private final Fn fn;
    private final List<float[]> inputs = new ArrayList<>();
    private final List<int[]> shapes = new ArrayList<>();
    private final List<Parameter> params = new ArrayList<>();
    private Tape.Mode mode = Tape.Mode.TRAIN;
    private float eps = 1e-2f;
    private double rtol = 1e-2;
    private int samples = 40;
    private long seed = 1;

    GradCheck(Backend b, String what, Fn fn) {
        this.b = b;
        this.what = what + " on " + b.name();
        this.fn = fn;
    }

    GradCheck input(float[] data, int... shape) {
        inputs.add(data);
        shapes.add(shape);
        return this;
    }

    GradCheck params(List<Parameter> ps) {
        for (Parameter p : ps) {
            if (p.trainable()) {
                params.add(p);
            }
        }
        return this;
    }

    GradCheck mode(Tape.Mode m) {
        this.mode = m;
        return this;
    }

    GradCheck eps(float e) {
        this.eps = e;
        return this;
    }

    GradCheck rtol(double r) {
        this.rtol = r;
        return this;
    }

    GradCheck samples(int n) {
        this.samples = n;
        return this;
    }

    GradCheck seed(long s) {
        this.seed = s;
        return this;
    }

    /** Runs the check; fails naming the tensor, the index and both values. */
    void run() {
        float[] r;
        List<float[]> analyticInputs = new ArrayList<>();
        List<float[]> analyticParams = new ArrayList<>();
        List<Tensor> uploaded = new ArrayList<>();
        try (Tape t = new Tape(b, mode).seed(seed)) {
            List<Var> vs = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                Tensor x = b.upload(inputs.get(i), shapes.get(i));
                uploaded.add(x);
                vs.add(t.input(x, true));
            }
            Var y = fn.apply(t, vs);
            r = random(new Random(seed * 31 + 7), y.value().size(), -1, 1);
            Tensor rt = b.upload(r, y.shape());
            uploaded.add(rt);
            params.forEach(Parameter::zeroGrad);
            t.backward(t.sum(t.mul(y, t.input(rt))));
            for (int i = 0; i < vs.size(); i++) {
                Tensor g = vs.get(i).grad();
                analyticInputs.add(g == null ? new float[inputs.get(i).length] : b.download(g));
            }
            for (Parameter p : params) {
                analyticParams.add(p.grad() == null ? new float[p.size()] : b.download(p.grad()));
                p.zeroGrad();
            }
        } finally {
            uploaded.forEach(Tensor::close);
        }
        for (int i = 0; i < inputs.size(); i++) {
            final int which = i;
            float[] x = inputs.get(i).clone();
            compare("input " + i, analyticInputs.get(i), x, r, () -> {
                List<float[]> in = new ArrayList<>(inputs);
                in.set(which, x);
                return loss(in, r);
            });
        }
        for (int k = 0; k < params.size(); k++) {
            Parameter p = params.get(k);
            float[] original = p.download();
            float[] x = original.clone();
            try {
                compare("parameter " + p.name(), analyticParams.get(k), x, r, () -> {
                    p.load(x);
                    return loss(inputs, r);
                });
            } finally {
                p.load(original);
            }
        }
    }

    private interface Loss {
        double eval();
    }

    private void compare(String name, float[] analytic, float[] x, float[] r, Loss loss) {
        double scale = 0;
        for (float a : analytic) {
            scale = Math.max(scale, Math.abs(a));
        }
        int[] idx = sampleIndices(x.length);
        for (int j : idx) {
            float keep = x[j];
            x[j] = keep + eps;
            double plus = loss.eval();
            x[j] = keep - eps;
            double minus = loss.eval();
            x[j] = keep;
            double numeric = (plus - minus) / (2.0 * eps);
            double a = analytic[j];
            double allowed = rtol * Math.max(Math.abs(a), Math.abs(numeric)) + 2e-3 * scale + 1e-4;
            if (!(Math.abs(a - numeric) <= allowed)) {
                fail(what + ": d/d " + name + "[" + j + "] analytic " + a + " vs numeric " + numeric
                        + " (difference " + Math.abs(a - numeric) + ", allowed " + allowed + ", gradient scale " + scale + ")");
            }
        }
        loss.eval(); // leave parameters at the restored value
    }

    private int[] sampleIndices(int n) {
        if (n <= samples) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        Random rnd = new Random(n * 131L + seed);
        return rnd.ints(0, n).distinct().limit(samples).sorted().toArray();
    }

    /** sum(f(inputs) * r) on the host, in double, from a forward pass without gradients. */
    private double loss(List<float[]> in, float[] r) {
        List<Tensor> uploaded = new ArrayList<>();
        try (Tape t = new Tape(b, mode).seed(seed)) {
            List<Var> vs = new ArrayList<>();
            for (int i = 0; i < in.size(); i++) {
                Tensor x = b.upload(in.get(i), shapes.get(i));
                uploaded.add(x);
                vs.add(t.input(x, false));
            }
            float[] y = fn.apply(t, vs).download();
            double s = 0;
            for (int i = 0; i < y.length; i++) {
                s += (double) y[i] * r[i];
            }
            return s;
        } finally {
            uploaded.forEach(Tensor::close);
        }
    }

    static float[] random(Random rnd, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + rnd.nextFloat() * (hi - lo);
        }
        return v;
    }

    /** Values in [-range, range] at least {@code gap} from 0 (for kinks at 0). */
    static float[] awayFromZero(Random rnd, int n, float range, float gap) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            float m = gap + rnd.nextFloat() * (range - gap);
            v[i] = rnd.nextBoolean() ? m : -m;
        }
        return v;
    }

    /** A shuffled arithmetic sequence: all values distinct, neighbours {@code step} apart (max pooling). */
    static float[] distinct(Random rnd, int n, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2f) * step;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    static String shape(int... s) {
        return Arrays.toString(s);
    }
}
