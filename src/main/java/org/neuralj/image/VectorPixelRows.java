package org.neuralj.image;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PixelRows} on the Vector API: a vector of pixels widened (or narrowed) per step; the same numbers as
 * {@link PixelRows.Plain}. Loaded only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorPixelRows implements PixelRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));

    VectorPixelRows() {
        if (I.length() != L || S.length() != L || B.length() < L) {
            throw new IllegalStateException("no matching vector shapes for " + L + " float lanes");
        }
    }

    @Override
    public void fromU8(byte[] src, int so, float[] dst, int d0, int n) {
        int i = 0;
        if (B.length() == L) {
            for (; i + L <= n; i += L) {
                IntVector v = (IntVector) ByteVector.fromArray(B, src, so + i).convertShape(VectorOperators.B2I, I, 0);
                v.and(0xff).convert(VectorOperators.I2F, 0).reinterpretAsFloats().intoArray(dst, d0 + i);
            }
        }
        for (; i < n; i++) {
            dst[d0 + i] = src[so + i] & 0xff;
        }
    }

    @Override
    public void fromU16(short[] src, int so, float[] dst, int d0, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector v = (IntVector) ShortVector.fromArray(S, src, so + i).convertShape(VectorOperators.S2I, I, 0);
            v.and(0xffff).convert(VectorOperators.I2F, 0).reinterpretAsFloats().intoArray(dst, d0 + i);
        }
        for (; i < n; i++) {
            dst[d0 + i] = src[so + i] & 0xffff;
        }
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
