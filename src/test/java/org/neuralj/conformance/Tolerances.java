package org.neuralj.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/** The one place that says how close is close enough, and how a mismatch is reported. */
public final class Tolerances {
    /** ONNX conformance for float32: |actual - expected| <= ABS + REL * |expected|. */
    public static final float ABS = 1e-4f;
    public static final float REL = 1e-4f;

    private Tolerances() {
    }

    /** Null when close, else a message with the worst index, both values and the error. */
    public static String compare(float[] expected, float[] actual, float abs, float rel) {
        if (expected.length != actual.length) {
            return "length " + actual.length + " != expected " + expected.length;
        }
        int worst = -1;
        double worstExcess = 0;
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            if (Float.isNaN(e) && Float.isNaN(a) || e == a) {
                continue;
            }
            double err = Math.abs((double) a - e);
            double allowed = abs + rel * Math.abs(e);
            if (!(err <= allowed)) {
                bad++;
                double excess = Double.isNaN(err) ? Double.MAX_VALUE : err - allowed;
                if (worst < 0 || excess > worstExcess) {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }
        if (worst < 0) {
            return null;
        }
        return bad + " of " + expected.length + " elements differ; worst at index " + worst + ": expected "
                + expected[worst] + ", got " + actual[worst] + " (error " + Math.abs(actual[worst] - expected[worst]) + ")";
    }

    public static void assertClose(float[] expected, float[] actual, float abs, float rel, String what) {
        String problem = compare(expected, actual, abs, rel);
        if (problem != null) {
            fail(what + ": " + problem);
        }
    }

    public static void assertShape(int[] expected, int[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            fail(what + ": shape " + Arrays.toString(actual) + " != expected " + Arrays.toString(expected));
        }
    }
}
