package org.neuralj.filter;

import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.Tensor;

/**
 * The building blocks of every filter, as {@link Backend} ops on planes x [N, 1, H, W] (a stack batch:
 * one plane per N): separable kernels and ImageJ's Gaussian on {@link Backend#separable} (edges handled
 * inside the op, no padded copy), dense 2-D kernels as a {@link Backend#pad} in the chosen {@link EdgeMode}
 * followed by an unpadded single-channel {@link Backend#conv2d} (which both backends run on their direct
 * depthwise path). Every method returns a new tensor and leaves x open.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** x padded by the given amounts on the last two axes. */
    public static Tensor pad(Backend b, Tensor x, int top, int left, int bottom, int right, EdgeMode e) {
        return b.pad(x, new int[] {0, 0, top, left}, new int[] {0, 0, bottom, right}, e.padMode(), 0f);
    }

    /** An unpadded correlation of x [N, 1, H, W] with a kh x kw kernel. */
    static Tensor conv(Backend b, Tensor x, float[] k, int kh, int kw) {
        int oh = ConvSpec.convOut(x.dim(2), kh, 1, 0, 0, 1);
        int ow = ConvSpec.convOut(x.dim(3), kw, 1, 0, 0, 1);
        ConvSpec spec = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, oh, ow, Activation.NONE);
        try (Tensor wt = b.upload(k.clone(), 1, 1, kh, kw)) {
            return b.conv2d(x, wt, null, spec);
        }
    }

    /** Separable filtering: rows with {@code row} (odd length), then columns with {@code col}; either may be null. */
    public static Tensor separable(Backend b, Tensor x, float[] row, float[] col, EdgeMode e) {
        return b.separable(x, row == null ? null : LineFilter.of(row), col == null ? null : LineFilter.of(col), e.padMode());
    }

    /** Filtering with a 2-D kernel (run as two 1-D passes when it is separable). */
    public static Tensor kernel(Backend b, Tensor x, Kernel2D k, EdgeMode e) {
        float[][] rc = k.separate();
        if (rc != null) {
            if (k.height() == 1) {
                return separable(b, x, k.values(), null, e);            // a row kernel (or 1x1): one pass
            }
            if (k.width() == 1) {
                return separable(b, x, null, k.values(), e);            // a column kernel: one pass
            }
            return separable(b, x, rc[0], rc[1], e);
        }
        try (Tensor p = pad(b, x, k.radiusY(), k.radiusX(), k.radiusY(), k.radiusX(), e)) {
            return conv(b, p, k.values(), k.height(), k.width());
        }
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
