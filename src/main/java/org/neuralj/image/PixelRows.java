package org.neuralj.image;

/**
 * Row conversions between ImageJ's integer pixels and floats, the first and last pass of every filter run
 * on an 8 or 16-bit image. Unsigned in; out as ImageJ's {@code setPixels(channel, FloatProcessor)} does:
 * {@code v + add} (0.5 to round, 0 to truncate) clamped to [0, max], truncated, NaN to 0. Two forms, chosen
 * as the CPU backend's kernels are: {@code VectorPixelRows} (Vector API, a vector of pixels per instruction)
 * when the JVM has {@code jdk.incubator.vector} and {@code -Dneuralj.vector} is not false, else {@link Plain}.
 */
interface PixelRows {
    PixelRows BEST = best();

    void fromU8(byte[] src, int so, float[] dst, int d0, int n);

    void fromU16(short[] src, int so, float[] dst, int d0, int n);

    void toU8(float[] src, int so, byte[] dst, int d0, int n, float add);

    void toU16(float[] src, int so, short[] dst, int d0, int n, float add);

    /** ImageJ's float to integer pixel: t (already + add) clamped to [0, max], then truncated; NaN gives 0 (Java's (int) NaN). */
    static int toInteger(float t, float max) {
        return (int) Math.min(Math.max(t, 0f), max);
    }

    private static PixelRows best() {
        if (Boolean.parseBoolean(System.getProperty("neuralj.vector", "true"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (PixelRows) Class.forName("org.neuralj.image.VectorPixelRows").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                System.getLogger("org.neuralj").log(System.Logger.Level.WARNING,
                        "Vector API present but the pixel conversions failed to load; using plain Java: " + e);
            }
        }
        return new Plain();
    }

    /** Plain Java, one pixel at a time. */
    final class Plain implements PixelRows {
        @Override
        public void fromU8(byte[] src, int so, float[] dst, int d0, int n) {
            for (int i = 0; i < n; i++) {
                dst[d0 + i] = src[so + i] & 0xff;
            }
        }

        @Override
        public void fromU16(short[] src, int so, float[] dst, int d0, int n) {
            for (int i = 0; i < n; i++) {
                dst[d0 + i] = src[so + i] & 0xffff;
            }
        }

        @Override
        public void toU8(float[] src, int so, byte[] dst, int d0, int n, float add) {
            for (int i = 0; i < n; i++) {
                dst[d0 + i] = (byte) toInteger(src[so + i] + add, 255f);
            }
        }

        @Override
        public void toU16(float[] src, int so, short[] dst, int d0, int n, float add) {
            for (int i = 0; i < n; i++) {
                dst[d0 + i] = (short) toInteger(src[so + i] + add, 65535f);
            }
        }
    }
}
