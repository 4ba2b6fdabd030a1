package org.neuralj.filter;

import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.PlaneOp;
import org.neuralj.backend.Tensor;

/**
 * A classic image filter on float planes: {@link #apply} maps x [N, 1, H, W] (N planes of a stack) to
 * a tensor of the same shape on the same {@link Backend}. Parameters are checked when the record is made
 * ({@link FilterException} names the bad one). Bit depths, stacks, ROIs and undo are the front end's
 * business ({@code image.FilterImages}); filters see float.
 */
public sealed interface Filter {
    /** Sigmas above this are refused (the result would be the mean of the corner pixels anyway). */
    double MAX_SIGMA = 1e5;

    /** The short name used by the CLI ({@code neuralj filter <name>}) and in logs. */
    String name();

    /** Pixels of context an output pixel depends on, per side (to crop a ROI with enough margin). */
    int halo();

    /** The filtered planes, a new tensor; x stays open. */
    Tensor apply(Backend b, Tensor x, EdgeMode edge);

    /**
     * The one backend op this filter is on planes of width x height (a Gaussian, a kernel, Find Edges), or
     * null for filters built from several ops (they run through {@link #apply}). With an op, a backend can
     * stream an image's rows through it ({@link Backend#filterRows}).
     */
    default PlaneOp planeOp(int width, int height) {
        return null;
    }

    /** A single-op filter applied to tensor planes x [..., H, W]. */
    private static Tensor applyOp(Filter f, Backend b, Tensor x, EdgeMode edge) {
        return f.planeOp(x.dim(-1), x.dim(-2)).apply(b, x, edge.padMode());
    }

    /** True when ImageJ truncates (rather than rounds) this filter's result to 8/16-bit (Find Edges). */
    default boolean truncatesToInteger() {
        return false;
    }

    /** Gaussian blur as ImageJ's Process › Filters › Gaussian Blur (same kernel, accuracy and large-sigma path). */
    record Gaussian(double sigmaX, double sigmaY, double accuracy) implements Filter {
        public Gaussian {
            checkSigma("sigma x", sigmaX);
            checkSigma("sigma y", sigmaY);
            if (!(accuracy > 0 && accuracy <= 0.1)) {
                throw new FilterException("accuracy must be in (0, 0.1], was " + accuracy);
            }
        }

        public Gaussian(double sigma, double accuracy) {
            this(sigma, sigma, accuracy);
        }

        @Override
        public String name() {
            return "gaussian";
        }

        @Override
        public int halo() {
            return gaussianHalo(Math.max(sigmaX, sigmaY), accuracy);
        }

        @Override
        public PlaneOp planeOp(int width, int height) {
            return Convolutions.gaussian(sigmaX, sigmaY, accuracy, width, height);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            return applyOp(this, b, x, edge);
        }
    }

    /** Mean over a (2 radius + 1)^2 square (a box filter, separable). */
    record Mean(int radius) implements Filter {
        public Mean {
            if (radius < 1 || radius > 10000) {
                throw new FilterException("mean radius must be 1 to 10000 pixels, was " + radius);
            }
        }

        @Override
        public String name() {
            return "mean";
        }

        @Override
        public int halo() {
            return radius;
        }

        @Override
        public PlaneOp planeOp(int width, int height) {
            float[] k = new float[2 * radius + 1];
            java.util.Arrays.fill(k, 1f / k.length);
            return Convolutions.separable(k, k);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            return applyOp(this, b, x, edge);
        }
    }

    /**
     * Unsharp mask as ImageJ's Process › Filters › Unsharp Mask: (x - weight * gauss(x)) / (1 - weight),
     * the Gaussian with accuracy 0.01 as ImageJ uses there.
     */
    record UnsharpMask(double sigma, double weight) implements Filter {
        public UnsharpMask {
            checkSigma("sigma", sigma);
            if (!(weight >= 0 && weight < 1)) {
                throw new FilterException("mask weight must be in [0, 1), was " + weight);
            }
        }

        @Override
        public String name() {
            return "unsharp";
        }

        @Override
        public int halo() {
            return gaussianHalo(sigma, 0.01);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            try (Tensor g = Convolutions.gaussian(sigma, sigma, 0.01, x.dim(-1), x.dim(-2)).apply(b, x, edge.padMode());
                 Tensor wgt = b.upload(new float[] {(float) weight}, 1);
                 Tensor gw = b.binary(g, wgt, BinaryOp.MUL);
                 Tensor d = b.binary(x, gw, BinaryOp.SUB);
                 Tensor s = b.upload(new float[] {(float) (1.0 / (1.0 - weight))}, 1)) {
                return b.binary(d, s, BinaryOp.MUL);
            }
        }
    }

    /** A fixed 3x3 kernel: Sharpen (ImageJ's Process › Sharpen), Emboss, Laplacian (4 or 8 neighbours), Sobel X/Y. */
    record Fixed(String name, Kernel2D kernel) implements Filter {
        /** ImageJ's Process › Sharpen: 12 at the centre, -1 around, divided by 4. */
        public static Fixed sharpen() {
            return new Fixed("sharpen", Kernel2D.square(-1, -1, -1, -1, 12, -1, -1, -1, -1).normalized());
        }

        /** Emboss (light from the top left); the kernel sums to 1, so flat areas keep their value. */
        public static Fixed emboss() {
            return new Fixed("emboss", Kernel2D.square(-2, -1, 0, -1, 1, 1, 0, 1, 2));
        }

        /** Discrete Laplacian: 4-neighbour (0 1 0 / 1 -4 1 / 0 1 0) or 8-neighbour (1 1 1 / 1 -8 1 / 1 1 1). */
        public static Fixed laplacian(boolean eightNeighbours) {
            return eightNeighbours
                    ? new Fixed("laplacian", Kernel2D.square(1, 1, 1, 1, -8, 1, 1, 1, 1))
                    : new Fixed("laplacian", Kernel2D.square(0, 1, 0, 1, -4, 1, 0, 1, 0));
        }

        /** Sobel derivative along x (positive where intensity rises to the right). */
        public static Fixed sobelX() {
            return new Fixed("sobel-x", Kernel2D.square(-1, 0, 1, -2, 0, 2, -1, 0, 1));
        }

        /** Sobel derivative along y (positive where intensity rises downwards). */
        public static Fixed sobelY() {
            return new Fixed("sobel-y", Kernel2D.square(-1, -2, -1, 0, 0, 0, 1, 2, 1));
        }

        @Override
        public int halo() {
            return Math.max(kernel.radiusX(), kernel.radiusY());
        }

        @Override
        public PlaneOp planeOp(int width, int height) {
            return Convolutions.kernel(kernel);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            return applyOp(this, b, x, edge);
        }
    }

    /** Any kernel, as ImageJ's Process › Filters › Convolve (normalise: divide by the sum when it is not 0). */
    record Custom(Kernel2D kernel, boolean normalize) implements Filter {
        public Custom {
            if (kernel == null) {
                throw new FilterException("no kernel given");
            }
        }

        @Override
        public String name() {
            return "custom";
        }

        @Override
        public int halo() {
            return Math.max(kernel.radiusX(), kernel.radiusY());
        }

        @Override
        public PlaneOp planeOp(int width, int height) {
            return Convolutions.kernel(normalize ? kernel.normalized() : kernel);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            return applyOp(this, b, x, edge);
        }
    }

    /** Sobel gradient magnitude sqrt(gx^2 + gy^2), as ImageJ's Process › Find Edges. */
    record FindEdges() implements Filter {
        @Override
        public String name() {
            return "edges";
        }

        @Override
        public int halo() {
            return 1;
        }

        @Override
        public boolean truncatesToInteger() {
            return true;
        }

        @Override
        public PlaneOp planeOp(int width, int height) {
            return new PlaneOp.SobelMagnitude();
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            return applyOp(this, b, x, edge);
        }
    }

    /**
     * Laplacian of Gaussian: d2/dx2 + d2/dy2 of the image blurred with sigma, from sampled kernels of
     * radius ceil(4 sigma) (the second-derivative kernel has zero sum and second moment 2). Negative on
     * bright blobs of about sigma * sqrt(2) radius; multiply by -sigma^2 for a scale-normalised blob detector.
     */
    record LaplacianOfGaussian(double sigma) implements Filter {
        public LaplacianOfGaussian {
            checkSigma("sigma", sigma);
            if (sigma > 1000) {
                throw new FilterException("LoG sigma must be at most 1000 pixels, was " + sigma);
            }
        }

        @Override
        public String name() {
            return "log";
        }

        @Override
        public int halo() {
            return (int) Math.ceil(4 * sigma);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            int r = halo();
            float[] g = GaussianKernels.sampled(sigma, r);
            float[] d2 = secondDerivative(sigma, r);
            try (Tensor xx = Convolutions.separable(d2, g).apply(b, x, edge.padMode());
                 Tensor yy = Convolutions.separable(g, d2).apply(b, x, edge.padMode())) {
                return b.binary(xx, yy, BinaryOp.ADD);
            }
        }

        static float[] secondDerivative(double sigma, int r) {
            double[] k = new double[2 * r + 1];
            double norm = 0, mean = 0;
            for (int i = -r; i <= r; i++) {
                double g = Math.exp(-0.5 * i * i / (sigma * sigma));
                norm += g;
                k[i + r] = g * (i * i / (sigma * sigma * sigma * sigma) - 1 / (sigma * sigma));
            }
            for (int i = 0; i < k.length; i++) {
                k[i] /= norm;
                mean += k[i];
            }
            mean /= k.length;
            double moment = 0;
            for (int i = -r; i <= r; i++) {
                k[i + r] -= mean;
                moment += k[i + r] * i * i;
            }
            float[] out = new float[k.length];
            for (int i = 0; i < k.length; i++) {
                out[i] = (float) (k[i] * 2 / moment);    // sum x^2 k(x) = 2, as for d2/dx2 of x^2
            }
            return out;
        }
    }

    /** Difference of Gaussians: gauss(sigma1) - gauss(sigma2), both with ImageJ's Gaussian. */
    record DifferenceOfGaussians(double sigma1, double sigma2, double accuracy) implements Filter {
        public DifferenceOfGaussians {
            checkSigma("sigma1", sigma1);
            checkSigma("sigma2", sigma2);
            if (!(accuracy > 0 && accuracy <= 0.1)) {
                throw new FilterException("accuracy must be in (0, 0.1], was " + accuracy);
            }
        }

        @Override
        public String name() {
            return "dog";
        }

        @Override
        public int halo() {
            return gaussianHalo(Math.max(sigma1, sigma2), accuracy);
        }

        @Override
        public Tensor apply(Backend b, Tensor x, EdgeMode edge) {
            PlaneOp o1 = Convolutions.gaussian(sigma1, sigma1, accuracy, x.dim(-1), x.dim(-2));
            PlaneOp o2 = Convolutions.gaussian(sigma2, sigma2, accuracy, x.dim(-1), x.dim(-2));
            try (Tensor g1 = o1.apply(b, x, edge.padMode()); Tensor g2 = o2.apply(b, x, edge.padMode())) {
                return b.binary(g1, g2, BinaryOp.SUB);
            }
        }
    }

    private static void checkSigma(String what, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new FilterException(what + " must be a number > 0, was " + sigma);
        }
        if (sigma > MAX_SIGMA) {
            throw new FilterException(what + " = " + sigma + " is too large (at most " + (long) MAX_SIGMA + " pixels)");
        }
    }

    /** Context a Gaussian output needs: its kernel radius, plus the down/upscaling margins for large sigma. */
    private static int gaussianHalo(double sigma, double accuracy) {
        long r = (long) Math.ceil(sigma * Math.sqrt(-2 * Math.log(accuracy))) + 1;
        if (GaussianKernels.downscales(sigma)) {
            r += 8L * (long) Math.floor(sigma / GaussianKernels.MIN_DOWNSCALED_SIGMA);
        }
        return (int) Math.min(Integer.MAX_VALUE / 4, r);
    }
}
