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

    @Override
    public void toU8(float[] src, int so, byte[] dst, int d0, int n, float add) {
        int i = 0;
        if (B.length() == L) {
            for (; i + L <= n; i += L) {
                ((ByteVector) toInts(src, so + i, add, 255f).convertShape(VectorOperators.I2B, B, 0)).intoArray(dst, d0 + i);
            }
        }
        for (; i < n; i++) {
            dst[d0 + i] = (byte) PixelRows.toInteger(src[so + i] + add, 255f);
        }
    }

    @Override
    public void toU16(float[] src, int so, short[] dst, int d0, int n, float add) {
        int i = 0;
        for (; i + L <= n; i += L) {
            ((ShortVector) toInts(src, so + i, add, 65535f).convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, d0 + i);
        }
        for (; i < n; i++) {
            dst[d0 + i] = (short) PixelRows.toInteger(src[so + i] + add, 65535f);
        }
    }

    /** (int) clamp(v + add, 0, max) with NaN as 0, a vector of L floats from src[at]. */
    private static IntVector toInts(float[] src, int at, float add, float max) {
        FloatVector v = FloatVector.fromArray(F, src, at).add(add);
        v = v.blend(0f, v.test(VectorOperators.IS_NAN)).max(0f).min(max);
        return (IntVector) v.convert(VectorOperators.F2I, 0);
    }
}
