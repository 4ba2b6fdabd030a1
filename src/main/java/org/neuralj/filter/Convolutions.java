package org.neuralj.filter;

import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/**
 * The building blocks of every filter, as {@link Backend} ops on planes x [N, 1, H, W] (a stack batch:
 * one plane per N). Borders come from {@link Backend#pad} in the chosen {@link EdgeMode}; convolutions
 * are then "valid" (unpadded) single-channel {@link Backend#conv2d}s, which both backends run on their
 * direct depthwise path. Every method returns a new tensor and leaves x open.
 */
public final class Convolutions {
    private Convolutions() {
    }

    /** x padded by the given amounts on the last two axes. */
    public static Tensor pad(Backend b, Tensor x, int top, int left, int bottom, int right, EdgeMode e) {
        return b.pad(x, new int[] {0, 0, top, left}, new int[] {0, 0, bottom, right}, e.padMode(), 0f);
    }

    /** An unpadded correlation of x [N, 1, H, W] with a kh x kw kernel at the given strides. */
    public static Tensor conv(Backend b, Tensor x, float[] k, int kh, int kw, int strideH, int strideW) {
        int h = x.dim(2), w = x.dim(3);
        int oh = ConvSpec.convOut(h, kh, strideH, 0, 0, 1);
        int ow = ConvSpec.convOut(w, kw, strideW, 0, 0, 1);
        ConvSpec spec = new ConvSpec(strideH, strideW, 0, 0, 0, 0, 1, 1, 1, oh, ow, Activation.NONE);
        try (Tensor wt = b.upload(k.clone(), 1, 1, kh, kw)) {
            return b.conv2d(x, wt, null, spec);
        }
    }

    /** Separable filtering: rows with {@code row} (odd length), then columns with {@code col}; either may be null. */
    public static Tensor separable(Backend b, Tensor x, float[] row, float[] col, EdgeMode e) {
        int rx = row == null ? 0 : row.length / 2;
        int ry = col == null ? 0 : col.length / 2;
        try (Tensor p = pad(b, x, ry, rx, ry, rx, e)) {
            if (row == null) {
                return conv(b, p, col, col.length, 1, 1, 1);
            }
            if (col == null) {
                return conv(b, p, row, 1, row.length, 1, 1);
            }
            try (Tensor t = conv(b, p, row, 1, row.length, 1, 1)) { // [N, 1, H + 2ry, W]
                return conv(b, t, col, col.length, 1, 1, 1);
            }
        }
    }

    /** Filtering with a 2-D kernel (run as two 1-D passes when it is separable). */
    public static Tensor kernel(Backend b, Tensor x, Kernel2D k, EdgeMode e) {
        float[][] rc = k.separate();
        if (rc != null && k.width() > 1 && k.height() > 1) {
            return separable(b, x, rc[0], rc[1], e);
        }
        try (Tensor p = pad(b, x, k.radiusY(), k.radiusX(), k.radiusY(), k.radiusX(), e)) {
            return conv(b, p, k.values(), k.height(), k.width(), 1, 1);
        }
    }

    /** Several kernels of the same size on the same input, sharing one padded copy (e.g. the two Sobel directions). */
    public static Tensor[] kernels(Backend b, Tensor x, EdgeMode e, Kernel2D... ks) {
        Kernel2D first = ks[0];
        for (Kernel2D k : ks) {
            if (k.width() != first.width() || k.height() != first.height()) {
                throw new IllegalArgumentException("kernels of different sizes: " + k.width() + "x" + k.height()
                        + " and " + first.width() + "x" + first.height());
            }
        }
        Tensor[] out = new Tensor[ks.length];
        try (Tensor p = pad(b, x, first.radiusY(), first.radiusX(), first.radiusY(), first.radiusX(), e)) {
            for (int i = 0; i < ks.length; i++) {
                out[i] = conv(b, p, ks[i].values(), ks[i].height(), ks[i].width(), 1, 1);
            }
        }
        return out;
    }

    /**
     * ImageJ's Gaussian blur: x direction then y; each direction either one 1-D convolution with
     * {@link GaussianKernels#gaussian} or, for large sigma, ImageJ's downscale - blur - upscale.
     * A sigma of 0 skips that direction.
     */
    public static Tensor gaussian(Backend b, Tensor x, double sigmaX, double sigmaY, double accuracy, EdgeMode e) {
        int h = x.dim(2), w = x.dim(3);
        boolean downX = sigmaX > 0 && GaussianKernels.reduceBy(sigmaX, w) > 1;
        boolean downY = sigmaY > 0 && GaussianKernels.reduceBy(sigmaY, h) > 1;
        if (!downX && !downY) {
            float[] row = sigmaX > 0 ? GaussianKernels.gaussian(sigmaX, accuracy, w) : null;
            float[] col = sigmaY > 0 ? GaussianKernels.gaussian(sigmaY, accuracy, h) : null;
            if (row == null && col == null) {
                return b.strided(x, 0, Tensor.stridesOf(x.shape()), x.shape()); // a copy
            }
            return separable(b, x, row, col, e);
        }
        Tensor t = sigmaX > 0 ? gaussianAxis(b, x, sigmaX, accuracy, true, e) : null;
        if (sigmaY <= 0) {
            return t;
        }
        try (Tensor in = t) {
            return gaussianAxis(b, in == null ? x : in, sigmaY, accuracy, false, e);
        }
    }

    /** One direction of {@link #gaussian}: along x (rows) or along y (columns). */
    static Tensor gaussianAxis(Backend b, Tensor x, double sigma, double accuracy, boolean alongX, EdgeMode e) {
        int length = alongX ? x.dim(3) : x.dim(2);
        int r = GaussianKernels.reduceBy(sigma, length);
        if (r == 1) {
            float[] k = GaussianKernels.gaussian(sigma, accuracy, length);
            return alongX ? separable(b, x, k, null, e) : separable(b, x, null, k, e);
        }
        // downscale: output i of the downscaled line averages input pixels from i*r - padBefore on,
        // 3r taps at stride r; ImageJ keeps 3 downscaled pixels of margin on each side
        int nl = GaussianKernels.downscaledLength(length, r);
        int padBefore = 4 * r + r / 2;
        int lastRead = -padBefore + (nl - 1) * r + 3 * r - 1;
        int padAfter = Math.max(0, lastRead - (length - 1));
        float[] down = GaussianKernels.downscaleKernel(r);
        Tensor small;
        try (Tensor p = alongX ? pad(b, x, 0, padBefore, 0, padAfter, e) : pad(b, x, padBefore, 0, padAfter, 0, e)) {
            small = alongX ? conv(b, p, down, 1, down.length, 1, r) : conv(b, p, down, down.length, 1, r, 1);
        }
        // blur the downscaled line
        float[] g = GaussianKernels.gaussian(GaussianKernels.downscaledSigma(sigma, r), accuracy, nl);
        Tensor blurred;
        try (Tensor s = small) {
            blurred = alongX ? separable(b, s, g, null, e) : separable(b, s, null, g, e);
        }
        // upscale: a transposed convolution at stride r with ImageJ's cubic B-spline, 5r pixels of offset
        float[] up = GaussianKernels.upscaleKernel(r);
        int h = x.dim(2), w = x.dim(3);
        try (Tensor s = blurred; Tensor wt = alongX ? b.upload(up, 1, 1, 1, up.length) : b.upload(up, 1, 1, up.length, 1)) {
            ConvSpec spec = alongX
                    ? new ConvSpec(1, r, 0, 5 * r, 0, 0, 1, 1, 1, h, w, Activation.NONE)
                    : new ConvSpec(r, 1, 5 * r, 0, 0, 0, 1, 1, 1, h, w, Activation.NONE);
            return b.convTranspose2d(s, wt, null, spec);
        }
    }

    /** sqrt(a^2 + b^2), element-wise. */
    public static Tensor magnitude(Backend b, Tensor a, Tensor c) {
        try (Tensor a2 = b.binary(a, a, BinaryOp.MUL); Tensor c2 = b.binary(c, c, BinaryOp.MUL);
             Tensor s = b.binary(a2, c2, BinaryOp.ADD)) {
            return b.unary(s, Activation.of(UnaryOp.SQRT));
        }
    }
}
