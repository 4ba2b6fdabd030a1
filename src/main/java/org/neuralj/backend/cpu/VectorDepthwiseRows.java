package org.neuralj.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DepthwiseRows} on the Vector API: four output vectors stay in registers while every tap adds
 * {@code w[t] * x[xOff[t] + i ..]} (unaligned loads are fine), so y is read and written once per row
 * instead of once per tap. Loaded only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorDepthwiseRows implements DepthwiseRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void accumulate(float[] y, int yOff, float[] x, int[] xOff, float[] w, int taps, int n) {
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            int o = yOff + i;
            FloatVector a0 = FloatVector.fromArray(S, y, o);
            FloatVector a1 = FloatVector.fromArray(S, y, o + L);
            FloatVector a2 = FloatVector.fromArray(S, y, o + 2 * L);
            FloatVector a3 = FloatVector.fromArray(S, y, o + 3 * L);
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(S, w[t]);
                int p = xOff[t] + i;
                a0 = FloatVector.fromArray(S, x, p).fma(wv, a0);
                a1 = FloatVector.fromArray(S, x, p + L).fma(wv, a1);
                a2 = FloatVector.fromArray(S, x, p + 2 * L).fma(wv, a2);
                a3 = FloatVector.fromArray(S, x, p + 3 * L).fma(wv, a3);
            }
            a0.intoArray(y, o);
            a1.intoArray(y, o + L);
            a2.intoArray(y, o + 2 * L);
            a3.intoArray(y, o + 3 * L);
        }
        for (; i + L <= n; i += L) {
            FloatVector a = FloatVector.fromArray(S, y, yOff + i);
            for (int t = 0; t < taps; t++) {
                a = FloatVector.fromArray(S, x, xOff[t] + i).fma(FloatVector.broadcast(S, w[t]), a);
            }
            a.intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float s = y[yOff + i];
            for (int t = 0; t < taps; t++) {
                s = Math.fma(w[t], x[xOff[t] + i], s);
            }
            y[yOff + i] = s;
        }
    }

    @Override
    public String describe() {
        return "Vector API depthwise rows (" + L + " floats)";
    }
}
