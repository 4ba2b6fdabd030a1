package org.neuralj.backend;

/**
 * Resizing of the last two axes (H, W) of a rank-4 tensor [N, C, H, W] to [N, C, outH, outW], ONNX
 * Resize semantics. For each output coordinate o along an axis of input length in and scale s
 * (= the ONNX scale, or out/in when sizes were given), the input coordinate is
 * HALF_PIXEL (o+0.5)/s-0.5; PYTORCH_HALF_PIXEL the same but 0 when out == 1; ASYMMETRIC o/s;
 * ALIGN_CORNERS o*(in-1)/(in*s-1) (0 when in*s == 1); HALF_PIXEL_SYMMETRIC as ONNX 19 defines it.
 * NEAREST picks index round(coord) by {@link NearestMode}, clamped to [0, in-1]. LINEAR interpolates the
 * two neighbours (coordinate clamped to [0, in-1]). CUBIC uses the 4 neighbours with coefficient
 * {@code cubicA}; {@code excludeOutside} zeroes weights of neighbours outside the input and renormalises;
 * otherwise outside neighbours are clamped to the edge.
 */
public record ResizeSpec(int outH, int outW, float scaleH, float scaleW,
                         Mode mode, CoordinateMode coordinateMode, NearestMode nearestMode,
                         float cubicA, boolean excludeOutside) {

    public enum Mode { NEAREST, LINEAR, CUBIC }

    public enum CoordinateMode { HALF_PIXEL, PYTORCH_HALF_PIXEL, ASYMMETRIC, ALIGN_CORNERS, HALF_PIXEL_SYMMETRIC }

    public enum NearestMode { ROUND_PREFER_FLOOR, ROUND_PREFER_CEIL, FLOOR, CEIL }

    /** The input coordinate of output index {@code o} along an axis (shared by every backend's kernel). */
    public static float sourceCoordinate(CoordinateMode mode, int o, int in, int out, float scale) {
        switch (mode) {
            case HALF_PIXEL:
                return (o + 0.5f) / scale - 0.5f;
            case PYTORCH_HALF_PIXEL:
                return out > 1 ? (o + 0.5f) / scale - 0.5f : 0f;
            case ASYMMETRIC:
                return o / scale;
            case ALIGN_CORNERS: {
                // ONNX uses the unrounded resized length in * scale (not the integer output size)
                float resized = in * scale;
                return resized == 1f ? 0f : o * (float) (in - 1) / (resized - 1f);
            }
            case HALF_PIXEL_SYMMETRIC: {
                float adjustment = out / (scale * in);
                float center = in / 2f;
                float offset = center * (1 - adjustment);
                return offset + (o + 0.5f) / scale - 0.5f;
            }
            default:
                throw new IllegalArgumentException(String.valueOf(mode));
        }
    }

    /** round(c) per the ONNX nearest_mode (ties: PREFER_FLOOR rounds x.5 down, PREFER_CEIL up), unclamped. */
    public static int nearestIndex(float c, NearestMode mode) {
        switch (mode) {
            case ROUND_PREFER_FLOOR:
                return (int) Math.ceil(c - 0.5f);
            case ROUND_PREFER_CEIL:
                return (int) Math.floor(c + 0.5f);
            case FLOOR:
                return (int) Math.floor(c);
            case CEIL:
                return (int) Math.ceil(c);
            default:
                throw new IllegalArgumentException("nearest mode " + mode);
        }
    }

    /** NEAREST mode: the input index of every output index along an axis, clamped to [0, in-1]. */
    public int[] nearestIndices(int in, int out, float scale) {
        int[] idx = new int[out];
        for (int o = 0; o < out; o++) {
            idx[o] = Math.max(0, Math.min(in - 1, nearestIndex(sourceCoordinate(coordinateMode, o, in, out, scale), nearestMode)));
        }
        return idx;
    }

    /**
     * The whole factor f when this resize is a NEAREST up-sampling that repeats every input pixel f times along
     * the axis (output index o reads input o / f, as nearestIndices says), else 0: a device then copies instead of
     * computing coordinates.
     */
    public int repeatFactor(int in, int out, float scale) {
        if (mode != Mode.NEAREST || in <= 0 || out % in != 0) {
            return 0;
        }
        int f = out / in;
        int[] idx = nearestIndices(in, out, scale);
        for (int o = 0; o < out; o++) {
            if (idx[o] != o / f) {
                return 0;
            }
        }
        return f;
    }
}
