package org.neuralj.filter;

import org.neuralj.backend.LineFilter;

/**
 * 1-D kernels that reproduce ImageJ's {@code ij.plugin.filter.GaussianBlur} (written from its documented
 * behaviour, not copied):
 * <ul>
 * <li>kernel radius {@code ceil(sigma * sqrt(-2 ln accuracy)) + 1} taps on each side, capped at
 *     {@code max(50, line length)}; accuracy 0.002 for 8-bit and RGB, 0.0002 for 16/32-bit;</li>
 * <li>the last taps are replaced by a parabola that reaches 0 at the first tap outside, so the kernel has
 *     no step at its end; then the kernel is normalised to sum 1 (for a capped kernel the mass beyond the
 *     cap goes to the outermost tap, which always reads the edge pixel there, as ImageJ's running sum does);</li>
 * <li>for sigma &gt; 8.5 a line is downscaled by {@code reduceBy = floor(sigma / 4)}, blurred with a
 *     correspondingly smaller sigma, and upscaled ({@link #downscaleKernel}, {@link #upscaleKernel}); this
 *     is both what ImageJ computes and the fast way for large sigma.</li>
 * </ul>
 */
public final class GaussianKernels {
    /** ImageJ's minimum sigma in the downscaled line. */
    static final double MIN_DOWNSCALED_SIGMA = 4.0;
    /** ImageJ's margin (in downscaled pixels) kept around a downscaled line for the upscaling kernel. */
    static final int UPSCALE_K_RADIUS = 2;

    private GaussianKernels() {
    }

    /** ImageJ's accuracy for an image type: 0.002 for 8-bit and RGB, 0.0002 for 16 and 32-bit. */
    public static double accuracyFor(int bitDepth) {
        return bitDepth == 8 || bitDepth == 24 ? 0.002 : 0.0002;
    }

    /** True when ImageJ blurs a line with this sigma by downscaling first. */
    public static boolean downscales(double sigma) {
        return sigma > 2 * MIN_DOWNSCALED_SIGMA + 0.5;
    }

    /** ImageJ's downscaling factor for this sigma along a line of {@code length} pixels (1 = none). */
    public static int reduceBy(double sigma, int length) {
        return downscales(sigma) ? Math.max(1, Math.min((int) Math.floor(sigma / MIN_DOWNSCALED_SIGMA), length)) : 1;
    }

    /** Length of the downscaled line (including ImageJ's margins) for a line of {@code length} pixels. */
    public static int downscaledLength(int length, int reduceBy) {
        return (length + reduceBy - 1) / reduceBy + 2 * (UPSCALE_K_RADIUS + 1);
    }

    /**
     * ImageJ's blur of a line of {@code length} pixels as a {@link LineFilter}: one Gaussian kernel, or for
     * large sigma the pyramid step downscale ({@link #downscaleKernel}) - blur with {@link #downscaledSigma} -
     * upscale ({@link #upscaleKernel}) with ImageJ's margin of 3 downscaled pixels. Null for sigma 0 (no blur).
     */
    public static LineFilter line(double sigma, double accuracy, int length) {
        if (sigma <= 0) {
            return null;
        }
        int r = reduceBy(sigma, length);
        if (r == 1) {
            return LineFilter.of(gaussian(sigma, accuracy, length));
        }
        int small = downscaledLength(length, r);
        return LineFilter.pyramid(downscaleKernel(r), r, gaussian(downscaledSigma(sigma, r), accuracy, small),
                upscaleKernel(r), UPSCALE_K_RADIUS + 1);
    }

    /** The sigma left for the blur in the downscaled line (down- and upscaling blur a little themselves). */
    public static double downscaledSigma(double sigma, int reduceBy) {
        return Math.sqrt(sigma * sigma / ((double) reduceBy * reduceBy) - 1. / 3. - 1. / 4.);
    }

    /**
     * The full symmetric Gaussian kernel (2r - 1 taps, centre in the middle) for {@code sigma} and
     * {@code accuracy}, for a line of {@code lineLength} pixels, as ImageJ makes it.
     */
    public static float[] gaussian(double sigma, double accuracy, int lineLength) {
        int maxRadius = Math.max(50, lineLength);
        int kRadius = (int) Math.ceil(sigma * Math.sqrt(-2 * Math.log(accuracy))) + 1;
        boolean capped = kRadius > maxRadius;
        if (capped) {
            kRadius = maxRadius;
        }
        double[] half = new double[kRadius];             // half[i]: weight at distance i
        float[] f = new float[kRadius];
        for (int i = 0; i < kRadius; i++) {
            f[i] = (float) Math.exp(-0.5 * i * i / sigma / sigma);
        }
        if (!capped && kRadius > 3) {
            // smooth tail: from the point where sqrt(g) falls fastest towards the end, a parabola
            // (kRadius - i)^2 * slope^2 that is 0 at the first tap outside the kernel
            double sqrtSlope = Double.MAX_VALUE;
            int r = kRadius;
            while (r > kRadius / 2) {
                r--;
                double a = Math.sqrt(f[r]) / (kRadius - r);
                if (a < sqrtSlope) {
                    sqrtSlope = a;
                } else {
                    break;
                }
            }
            for (int r1 = r + 2; r1 < kRadius; r1++) {
                f[r1] = (float) ((kRadius - r1) * (kRadius - r1) * sqrtSlope * sqrtSlope);
            }
        }
        double sum;
        if (!capped) {
            sum = f[0];
            for (int i = 1; i < kRadius; i++) {
                sum += 2 * f[i];
            }
        } else {
            sum = sigma * Math.sqrt(2 * Math.PI);        // the whole Gaussian, also the taps not computed
        }
        double inside = 0;
        for (int i = 0; i < kRadius; i++) {
            half[i] = (float) (f[i] / sum);
            inside += i == 0 ? half[i] : 2 * half[i];
        }
        if (capped) {
            half[kRadius - 1] += (1 - inside) / 2;       // the tail beyond the cap reads the edge pixel too
        }
        float[] k = new float[2 * kRadius - 1];
        for (int i = 0; i < kRadius; i++) {
            k[kRadius - 1 + i] = (float) half[i];
            k[kRadius - 1 - i] = (float) half[i];
        }
        return k;
    }

    /**
     * ImageJ's downscaling kernel (3 * reduceBy taps): keeps the norm and the position and has a fixed
     * second moment; a quadratic B-spline-like shape from -1.5 to 1.5 downscaled pixels.
     */
    public static float[] downscaleKernel(int unit) {
        int mid = unit * 3 / 2;
        float[] k = new float[3 * unit];
        for (int i = 0; i <= unit / 2; i++) {
            double x = i / (double) unit;
            float v = (float) ((0.75 - x * x) / unit);
            k[mid - i] = v;
            k[mid + i] = v;
        }
        for (int i = unit / 2 + 1; i < (unit * 3 + 1) / 2; i++) {
            double x = i / (double) unit;
            float v = (float) ((0.125 + 0.5 * (x - 1) * (x - 2)) / unit);
            k[mid - i] = v;
            k[mid + i] = v;
        }
        return k;
    }

    /**
     * ImageJ's upscaling kernel (4 * reduceBy taps): a cubic B-spline (four unit boxes convolved) from
     * -2 to 2 downscaled pixels; index 0 is the (zero) value at -2.
     */
    public static float[] upscaleKernel(int unit) {
        float[] k = new float[4 * unit];
        int mid = 2 * unit;
        for (int i = 0; i < unit; i++) {
            double x = i / (double) unit;
            float v = (float) (2. / 3. - x * x * (1 - 0.5 * x));
            k[mid + i] = v;
            k[mid - i] = v;
        }
        for (int i = unit; i < 2 * unit; i++) {
            double x = i / (double) unit;
            float v = (float) ((2. - x) * (2. - x) * (2. - x) / 6.);
            k[mid + i] = v;
            k[mid - i] = v;
        }
        k[0] = 0;
        return k;
    }

    /** A plain sampled Gaussian of radius ceil(3 sigma), normalised to sum 1 (for LoG and DoG building blocks). */
    public static float[] sampled(double sigma, int radius) {
        float[] k = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            double v = Math.exp(-0.5 * i * i / (sigma * sigma));
            k[i + radius] = (float) v;
            sum += v;
        }
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (k[i] / sum);
        }
        return k;
    }
}
