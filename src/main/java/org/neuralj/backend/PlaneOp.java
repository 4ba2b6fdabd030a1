package org.neuralj.backend;

/**
 * One image-filter op on every plane, for {@link Backend#filterRows}: the ops of {@link Backend#separable},
 * {@link Backend#filter2d} and {@link Backend#sobelMagnitude} as values.
 */
public sealed interface PlaneOp {
    /** The op on planes x [..., H, W] held in a tensor on b. */
    Tensor apply(Backend b, Tensor x, PadMode edge);

    /** {@link Backend#separable}; either filter may be null. */
    record Separable(LineFilter alongX, LineFilter alongY) implements PlaneOp {
        @Override
        public Tensor apply(Backend b, Tensor x, PadMode edge) {
            return b.separable(x, alongX, alongY, edge);
        }
    }

    /** {@link Backend#filter2d}. */
    record Dense(float[] kernel, int kh, int kw) implements PlaneOp {
        public Dense {
            Backend.checkKernel2d(kernel, kh, kw);
            kernel = kernel.clone();
        }

        @Override
        public float[] kernel() {
            return kernel.clone();
        }

        @Override
        public Tensor apply(Backend b, Tensor x, PadMode edge) {
            return b.filter2d(x, kernel, kh, kw, edge);
        }
    }

    /** {@link Backend#sobelMagnitude}. */
    record SobelMagnitude() implements PlaneOp {
        @Override
        public Tensor apply(Backend b, Tensor x, PadMode edge) {
            return b.sobelMagnitude(x, edge);
        }
    }
}
