package org.neuralj.filter;

import org.neuralj.backend.Backend;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.Tensor;

/**
 * The building blocks of every filter, as {@link Backend} image-filter ops on planes x [N, 1, H, W] (a stack
 * batch: one plane per N), borders handled inside the ops in the chosen {@link EdgeMode} (no padded copy):
 * separable kernels and ImageJ's Gaussian on {@link Backend#separable}, other 2-D kernels on
 * {@link Backend#filter2d}. Every method returns a new tensor and leaves x open.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** Separable filtering: rows with {@code row} (odd length), then columns with {@code col}; either may be null. */
    public static Tensor separable(Backend b, Tensor x, float[] row, float[] col, EdgeMode e) {
        return b.separable(x, row == null ? null : LineFilter.of(row), col == null ? null : LineFilter.of(col), e.padMode());
    }

    /** Filtering with a 2-D kernel (run as 1-D passes when it is separable). */
    public static Tensor kernel(Backend b, Tensor x, Kernel2D k, EdgeMode e) {
        float[][] rc = k.separate();
        if (rc == null) {
            return b.filter2d(x, k.values(), k.height(), k.width(), e.padMode());
        }
        if (k.height() == 1) {
            return separable(b, x, k.values(), null, e);            // a row kernel (or 1x1): one pass
        }
        if (k.width() == 1) {
            return separable(b, x, null, k.values(), e);            // a column kernel: one pass
        }
        return separable(b, x, rc[0], rc[1], e);
    }

    /**
     * ImageJ's Gaussian blur: x direction then y, each one 1-D convolution with {@link GaussianKernels#gaussian}
     * or, for large sigma, ImageJ's downscale - blur - upscale ({@link GaussianKernels#line}).
     */
    public static Tensor gaussian(Backend b, Tensor x, double sigmaX, double sigmaY, double accuracy, EdgeMode e) {
        return b.separable(x, GaussianKernels.line(sigmaX, accuracy, x.dim(-1)), GaussianKernels.line(sigmaY, accuracy, x.dim(-2)),
                e.padMode());
    }
}
