package org.neuralj.filter;

import org.neuralj.backend.Backend;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.PlaneOp;

/**
 * The backend ops every filter is made of ({@link PlaneOp}, on planes [..., H, W]; borders handled inside
 * the ops, no padded copy): separable kernels and ImageJ's Gaussian as {@link Backend#separable}, other 2-D
 * kernels as {@link Backend#filter2d}.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** Separable filtering: rows with {@code row} (odd length), then columns with {@code col}; either may be null. */
    public static PlaneOp separable(float[] row, float[] col) {
        return new PlaneOp.Separable(row == null ? null : LineFilter.of(row), col == null ? null : LineFilter.of(col));
    }

    /** Filtering with a 2-D kernel (as 1-D passes when it is separable). */
    public static PlaneOp kernel(Kernel2D k) {
        float[][] rc = k.separate();
        if (rc == null) {
            return new PlaneOp.Dense(k.values(), k.height(), k.width());
        }
        if (k.height() == 1) {
            return separable(k.values(), null);            // a row kernel (or 1x1): one pass
        }
        if (k.width() == 1) {
            return separable(null, k.values());            // a column kernel: one pass
        }
        return separable(rc[0], rc[1]);
    }

    /**
     * ImageJ's Gaussian blur of planes of width x height: x direction then y, each one 1-D convolution with
     * {@link GaussianKernels#gaussian} or, for large sigma, ImageJ's downscale - blur - upscale
     * ({@link GaussianKernels#line}).
     */
    public static PlaneOp gaussian(double sigmaX, double sigmaY, double accuracy, int width, int height) {
        return new PlaneOp.Separable(GaussianKernels.line(sigmaX, accuracy, width), GaussianKernels.line(sigmaY, accuracy, height));
    }
}
