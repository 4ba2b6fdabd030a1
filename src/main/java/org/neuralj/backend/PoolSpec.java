package org.neuralj.backend;

/**
 * Geometry of 2-D max or average pooling over NCHW (1-D runs as H = 1). Output size is given
 * (it already includes ceil_mode). A window position (iy, ix) = (oy*strideH - padTop + ky*dilationH, ...)
 * counts only if inside the input; max ignores the others (a window with none gives -inf).
 * Average divides by: when {@code countIncludePad}, the number of window positions inside the padded
 * box [-padTop, H + padBottom) x [-padLeft, W + padRight); otherwise the number inside the input.
 */
public record PoolSpec(Kind kind,
                       int kernelH, int kernelW,
                       int strideH, int strideW,
                       int padTop, int padLeft, int padBottom, int padRight,
                       int dilationH, int dilationW,
                       boolean countIncludePad,
                       int outH, int outW) {

    public enum Kind { MAX, AVERAGE }

    public PoolSpec {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("pool kernel, strides and dilations must be >= 1");
        }
        if (outH < 1 || outW < 1) {
            throw new ShapeMismatchException("pooling output would be empty: " + outH + "x" + outW);
        }
    }
}
