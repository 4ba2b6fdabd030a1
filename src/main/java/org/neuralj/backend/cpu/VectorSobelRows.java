package org.neuralj.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SobelRows} on the Vector API: a vector of outputs from nine unaligned loads (three per row),
 * so a plane is read and written once. Loaded only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorSobelRows implements SobelRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    public void magnitude(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, aOff + i);
            FloatVector a1 = FloatVector.fromArray(S, a, aOff + i + 1);
            FloatVector a2 = FloatVector.fromArray(S, a, aOff + i + 2);
            FloatVector b0 = FloatVector.fromArray(S, b, bOff + i);
            FloatVector b2 = FloatVector.fromArray(S, b, bOff + i + 2);
            FloatVector c0 = FloatVector.fromArray(S, c, cOff + i);
            FloatVector c1 = FloatVector.fromArray(S, c, cOff + i + 1);
            FloatVector c2 = FloatVector.fromArray(S, c, cOff + i + 2);
            FloatVector gx = a2.sub(a0).add(b2.sub(b0).mul(2f)).add(c2.sub(c0));
            FloatVector gy = c0.add(c1.mul(2f)).add(c2).sub(a0.add(a1.mul(2f)).add(a2));
            gx.fma(gx, gy.mul(gy)).sqrt().intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = SobelRows.pixel(a[aOff + i], a[aOff + i + 1], a[aOff + i + 2], b[bOff + i], b[bOff + i + 2],
                    c[cOff + i], c[cOff + i + 1], c[cOff + i + 2]);
        }
    }
}
