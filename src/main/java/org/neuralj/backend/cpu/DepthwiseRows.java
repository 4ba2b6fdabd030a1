package org.neuralj.backend.cpu;

/**
 * The inner loop of {@link CpuDepthwiseConv}: {@code y[yOff + i] += sum_t w[t] * x[xOff[t] + i]} for
 * i &lt; n, t &lt; taps (every tap of one output row whose input columns all lie inside x). Two forms:
 * {@code VectorDepthwiseRows} (Vector API: blocks of output vectors held in registers across all taps)
 * when the JVM has {@code jdk.incubator.vector}, else {@link Plain} (zero-offset copies, which HotSpot 17
 * auto-vectorises; loops over arrays at a non-zero offset it does not).
 */
interface DepthwiseRows {
    void accumulate(float[] y, int yOff, float[] x, int[] xOff, float[] w, int taps, int n);

    /** Which form runs, for logs and benchmark tables. */
    String describe();

    /** The Vector API form when available (and not switched off with -Dneuralj.vector=false), else plain Java. */
    static DepthwiseRows best() {
        if (Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (DepthwiseRows) Class.forName("org.neuralj.backend.cpu.VectorDepthwiseRows")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.getLogger("org.neuralj").log(System.Logger.Level.WARNING,
                        "Vector API present but the depthwise kernel failed to load; using plain Java: " + e);
            }
        }
        return new Plain();
    }

    /** Plain Java: the y segment and each tap's x segment are copied to zero-offset rows first. */
    final class Plain implements DepthwiseRows {
        private static final int CHUNK = 1024;
        private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[][] {
            new float[CHUNK], new float[CHUNK]});

        @Override
        public void accumulate(float[] y, int yOff, float[] x, int[] xOff, float[] w, int taps, int n) {
            float[][] s = scratch.get();
            float[] acc = s[0];
            float[] xs = s[1];
            for (int i0 = 0; i0 < n; i0 += CHUNK) {
                int len = Math.min(CHUNK, n - i0);
                System.arraycopy(y, yOff + i0, acc, 0, len);
                for (int t = 0; t < taps; t++) {
                    System.arraycopy(x, xOff[t] + i0, xs, 0, len);
                    float wt = w[t];
                    for (int i = 0; i < len; i++) {      // zero offsets: vectorised
                        acc[i] += wt * xs[i];
                    }
                }
                System.arraycopy(acc, 0, y, yOff + i0, len);
            }
        }

        @Override
        public String describe() {
            return "plain Java depthwise rows";
        }
    }
}
