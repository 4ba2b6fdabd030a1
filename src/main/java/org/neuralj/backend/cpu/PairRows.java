package org.neuralj.backend.cpu;

/**
 * Row loops over neighbouring pairs, which HotSpot 17 does not vectorise (their stride-2 reads or writes): the
 * U-Net's 2 x 2 / 2 max-pool ({@link #max2x2}) and its 2x linear up-sampling's interpolation across a row
 * ({@link #doubleAcross}). Two forms, chosen as {@link DepthwiseRows} chooses: {@code VectorPairRows} (Vector API:
 * pairs gathered and scattered with one-vector shuffles and a blend, as its two-vector shuffles are not compiled to
 * vector code and ran 5x slower than scalar) or {@link Plain}. Both give the same values.
 */
interface PairRows {
    /** y[yOff + i] = max(x[top + 2i], x[top + 2i + 1], x[below + 2i], x[below + 2i + 1]) for i &lt; n. */
    void max2x2(float[] x, int top, int below, float[] y, int yOff, int n);

    /**
     * For i &lt; n: out[dst + 2i + 1] = w0 * x[src + i] + w1 * x[src + i + 1] and out[dst + 2i + 2] = w2 * x[src + i] +
     * w3 * x[src + i + 1] (products rounded, then added: the same values as the scalar form).
     */
    void doubleAcross(float[] x, int src, int n, float w0, float w1, float w2, float w3, float[] out, int dst);

    /** The Vector API form when available (and not switched off with -Dneuralj.vector=false), else plain Java. */
    static PairRows best() {
        if (Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (PairRows) Class.forName("org.neuralj.backend.cpu.VectorPairRows").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.getLogger("org.neuralj").log(System.Logger.Level.WARNING,
                        "Vector API present but the pair kernels failed to load; using plain Java: " + e);
            }
        }
        return new Plain();
    }

    /** Plain Java (also the vector form's tails). */
    final class Plain implements PairRows {
        @Override
        public void max2x2(float[] x, int top, int below, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i++) {
                int j = 2 * i;
                y[yOff + i] = Math.max(Math.max(x[top + j], x[top + j + 1]), Math.max(x[below + j], x[below + j + 1]));
            }
        }

        @Override
        public void doubleAcross(float[] x, int src, int n, float w0, float w1, float w2, float w3, float[] out, int dst) {
            for (int i = 0; i < n; i++) {
                float left = x[src + i], right = x[src + i + 1];
                out[dst + 2 * i + 1] = w0 * left + w1 * right;
                out[dst + 2 * i + 2] = w2 * left + w3 * right;
            }
        }
    }
}
