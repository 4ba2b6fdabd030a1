package org.neuralj.image;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PixelRows} on the Vector API where it pays on JDK 17: clamping, rounding and truncating floats to
 * integer pixels a vector at a time (the plain loop does not vectorise: Math.min/max and the float-to-int
 * cast stop HotSpot); the same numbers as {@link PixelRows.Plain}. Loaded only when the JVM has
 * {@code jdk.incubator.vector}.
 */
final class VectorPixelRows implements PixelRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    // Every shape-changing operation (convertShape S2I / B2I, reinterpretShape, and narrowing back) is
    // intrinsified by JDK 17 only in some compiled contexts: once inlined into a large caller it falls back
    // to per-lane Java, 4-10x slower than the plain loop (measured; the slow phases come and go with
    // recompilation). So pixels are read by the plain loops, which HotSpot vectorises by itself, and only
    // same-shape operations are used below.
    private static final PixelRows PLAIN = new PixelRows.Plain();

    @Override
    public void fromU8(byte[] src, int so, float[] dst, int d0, int n) {
        PLAIN.fromU8(src, so, dst, d0, n);
    }

    @Override
    public void fromU16(short[] src, int so, float[] dst, int d0, int n) {
        PLAIN.fromU16(src, so, dst, d0, n);
    }

    // JDK 17 intrinsifies neither float-to-int conversion (F2I) nor narrowing to a smaller shape (I2S, I2B)
    // for 512-bit vectors: both fall back to per-lane Java, 10x slower than scalar code. So the clamped
    // floats are truncated with the 2^23 trick (adding 2^23 leaves the integer part in the low mantissa
    // bits, exact below 2^23) into a per-thread int row, which HotSpot then narrows into the pixels itself.
    private static final float MAGIC = 8388608f;    // 2^23
    private static final int MAGIC_BITS = 0x4B000000;
    private static final ThreadLocal<int[]> INTS = ThreadLocal.withInitial(() -> new int[4096]);

    @Override
    public void toU8(float[] src, int so, byte[] dst, int d0, int n, float add) {
        int[] t = ints(n);
        toInts(src, so, t, n, add, 255f);
        for (int i = 0; i < n; i++) {
            dst[d0 + i] = (byte) t[i];
        }
    }

    @Override
    public void toU16(float[] src, int so, short[] dst, int d0, int n, float add) {
        int[] t = ints(n);
        toInts(src, so, t, n, add, 65535f);
        for (int i = 0; i < n; i++) {
            dst[d0 + i] = (short) t[i];
        }
    }

    private static int[] ints(int n) {
        int[] t = INTS.get();
        if (t.length < n) {
            t = new int[n];
            INTS.set(t);
        }
        return t;
    }

    /** t[i] = (int) clamp(src[so + i] + add, 0, max) with NaN as 0, for i < n. */
    private static void toInts(float[] src, int so, int[] t, int n, float add, float max) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, src, so + i).add(add);
            v = v.blend(0f, v.test(VectorOperators.IS_NAN)).max(0f).min(max);
            FloatVector r = v.add(MAGIC).sub(MAGIC);                        // v rounded to nearest
            r = r.blend(r.sub(1f), r.compare(VectorOperators.GT, v));     // rounded up: one less, so truncated
            r.add(MAGIC).reinterpretAsInts().sub(MAGIC_BITS).intoArray(t, i);
        }
        for (; i < n; i++) {
            t[i] = PixelRows.toInteger(src[so + i] + add, max);
        }
    }

}
