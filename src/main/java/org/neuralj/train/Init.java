package org.neuralj.train;

import java.util.SplittableRandom;
import org.neuralj.backend.Backend;

/**
 * Creates the parameters of new layers on a backend from one seeded random stream, so the same seed
 * and the same sequence of layer constructions give the same initial weights (on any backend).
 * He (Kaiming) normal for layers followed by ReLU, Xavier (Glorot) uniform otherwise; biases zero.
 */
public final class Init {
    private final Backend backend;
    private final SplittableRandom random;

    public Init(Backend backend, long seed) {
        this.backend = backend;
        this.random = new SplittableRandom(seed);
    }

    public Backend backend() {
        return backend;
    }

    /** Normal(0, sqrt(2 / fanIn)). */
    public Parameter he(String name, int fanIn, int... shape) {
        double sd = Math.sqrt(2.0 / fanIn);
        float[] v = new float[count(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian() * sd);
        }
        return new Parameter(name, Parameter.Kind.WEIGHT, backend.upload(v, shape));
    }

    /** Uniform(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
    public Parameter xavier(String name, int fanIn, int fanOut, int... shape) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        float[] v = new float[count(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * a);
        }
        return new Parameter(name, Parameter.Kind.WEIGHT, backend.upload(v, shape));
    }

    /** A parameter of one value (biases 0, BatchNorm scale 1, running variance 1...). */
    public Parameter constant(String name, Parameter.Kind kind, float value, int... shape) {
        float[] v = new float[count(shape)];
        java.util.Arrays.fill(v, value);
        return new Parameter(name, kind, backend.upload(v, shape));
    }

    private double gaussian() {
        // Box-Muller on the seeded stream (SplittableRandom has no nextGaussian in Java 17)
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static int count(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
