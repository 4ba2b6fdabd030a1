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
}
