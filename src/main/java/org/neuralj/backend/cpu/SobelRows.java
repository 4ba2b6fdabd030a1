package org.neuralj.backend.cpu;

/**
 * The inner loop of the Sobel gradient magnitude ({@link CpuFilters#sobelMagnitude}): for i &lt; n,
 * {@code y[yOff + i] = sqrt(gx^2 + gy^2)} over the 3x3 neighbourhood whose rows start at {@code a} (above),
 * {@code b} and {@code c} (below) and whose left, centre and right columns are at +i, +i+1, +i+2:
 * gx = (a2 - a0) + 2 (b2 - b0) + (c2 - c0), gy = (c0 + 2 c1 + c2) - (a0 + 2 a1 + a2). Two forms, chosen
 * as {@link DepthwiseRows} chooses: {@code VectorSobelRows} (Vector API) or {@link Plain}.
 */
interface SobelRows {
    void magnitude(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n);

    /** The Vector API form when available (and not switched off with -Dneuralj.vector=false), else plain Java. */
    static SobelRows best() {
        if (Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (SobelRows) Class.forName("org.neuralj.backend.cpu.VectorSobelRows")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.getLogger("org.neuralj").log(System.Logger.Level.WARNING,
                        "Vector API present but the Sobel kernel failed to load; using plain Java: " + e);
            }
        }
        return new Plain();
    }

    /** One pixel (also the vector form's tail). */
    static float pixel(float a0, float a1, float a2, float b0, float b2, float c0, float c1, float c2) {
        float gx = (a2 - a0) + 2 * (b2 - b0) + (c2 - c0);
        float gy = (c0 + 2 * c1 + c2) - (a0 + 2 * a1 + a2);
        return (float) Math.sqrt(gx * gx + gy * gy);
    }

    /** Plain Java, one pixel at a time. */
    final class Plain implements SobelRows {
        @Override
        public void magnitude(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n) {
            for (int i = 0; i < n; i++) {
                y[yOff + i] = pixel(a[aOff + i], a[aOff + i + 1], a[aOff + i + 2], b[bOff + i], b[bOff + i + 2],
                        c[cOff + i], c[cOff + i + 1], c[cOff + i + 2]);
            }
        }
    }
}
