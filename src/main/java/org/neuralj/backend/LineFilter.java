package org.neuralj.backend;

import java.util.Arrays;

/**
 * A 1-D filter applied along one axis of image planes by {@link Backend#separable}: on every line (a row
 * or a column) of length L, reads beyond the line's ends following the call's {@link PadMode}.
 *
 * <p>With {@code factor} 1 it is a correlation with {@code kernel} (odd length, centre in the middle):
 * {@code out[i] = sum_t kernel[t] * in[i + t - kernel.length / 2]}.
 *
 * <p>With {@code factor} r &gt; 1 it is one pyramid step (how ImageJ blurs with a large sigma, and the cheap
 * way to do so): the line is decimated to n = ceil(L / r) + 2 * margin pixels, small pixel i sitting on
 * input position p_i = (i - margin) * r:
 * <pre>
 *   small[i]   = sum_t down[t]   * in[p_i + t - down.length / 2]
 *   blurred[i] = sum_t kernel[t] * small[i + t - kernel.length / 2]     (small read beyond its ends as above)
 *   out[y]     = sum_i blurred[i] * up[y - p_i + up.length / 2]          (only terms with the up index inside up)
 * </pre>
 */
public record LineFilter(float[] kernel, int factor, float[] down, float[] up, int margin) {

    public LineFilter {
        check(kernel, "kernel");
        if (kernel.length % 2 == 0) {
            throw new IllegalArgumentException("line filter kernel has " + kernel.length + " taps; it must be odd (centred)");
        }
        if (factor < 1) {
            throw new IllegalArgumentException("line filter factor must be >= 1, was " + factor);
        }
        if (factor > 1) {
            check(down, "down");
            check(up, "up");
            if (margin < 0) {
                throw new IllegalArgumentException("line filter margin must be >= 0, was " + margin);
            }
        } else {
            down = null;
            up = null;
            margin = 0;
        }
        kernel = kernel.clone();
        down = down == null ? null : down.clone();
        up = up == null ? null : up.clone();
    }

    /** A plain correlation with an odd-length, centred kernel. */
    public static LineFilter of(float[] kernel) {
        return new LineFilter(kernel, 1, null, null, 0);
    }

    /** A pyramid step: decimate by {@code factor} with {@code down}, correlate with {@code kernel}, interpolate with {@code up}. */
    public static LineFilter pyramid(float[] down, int factor, float[] kernel, float[] up, int margin) {
        return new LineFilter(kernel, factor, down, up, margin);
    }

    public boolean resamples() {
        return factor > 1;
    }

    /** Length of the decimated line for a line of {@code length} pixels (the length itself when not resampling). */
    public int smallLength(int length) {
        return factor == 1 ? length : (length + factor - 1) / factor + 2 * margin;
    }

    @Override
    public float[] kernel() {
        return kernel.clone();
    }

    @Override
    public float[] down() {
        return down == null ? null : down.clone();
    }

    @Override
    public float[] up() {
        return up == null ? null : up.clone();
    }

    private static void check(float[] k, String what) {
        if (k == null || k.length == 0) {
            throw new IllegalArgumentException("line filter " + what + " kernel is empty");
        }
        for (int i = 0; i < k.length; i++) {
            if (!Float.isFinite(k[i])) {
                throw new IllegalArgumentException("line filter " + what + " kernel value " + i + " is " + k[i]);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LineFilter f && f.factor == factor && f.margin == margin && Arrays.equals(f.kernel, kernel)
                && Arrays.equals(f.down, down) && Arrays.equals(f.up, up);
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(kernel) * 31 + factor) * 31 + Arrays.hashCode(down)) * 31 + Arrays.hashCode(up) + margin;
    }

    @Override
    public String toString() {
        return factor == 1 ? "LineFilter(" + kernel.length + " taps)"
                : "LineFilter(down " + down.length + " taps / " + factor + ", " + kernel.length + " taps, up " + up.length + " taps)";
    }
}
