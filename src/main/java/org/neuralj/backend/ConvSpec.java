package org.neuralj.backend;

/**
 * Geometry of a 2-D convolution or transposed convolution over NCHW tensors (1-D convolutions are
 * run as 2-D with H = 1). Pads are explicit, per side, already resolved from ONNX auto_pad.
 *
 * <p>Convolution: x [N, C, H, W], w [M, C/groups, kH, kW], bias [M] or null, y [N, M, outH, outW]:
 * {@code y[n][m][oy][ox] = act(bias[m] + sum_{c,ky,kx} x[n][g*C/groups + c][oy*strideH - padTop + ky*dilationH]
 * [ox*strideW - padLeft + kx*dilationW] * w[m][c][ky][kx])} with g = m / (M/groups) and zeros outside x.
 *
 * <p>Transposed convolution: x [N, C, H, W], w [C, M/groups, kH, kW], y [N, M, outH, outW]:
 * every x[n][c][iy][ix] adds x * w[c][m'][ky][kx] to y[n][g*M/groups + m'][iy*strideH - padTop + ky*dilationH]
 * [ix*strideW - padLeft + kx*dilationW] (g = c / (C/groups)), then bias and act; outH/outW given here
 * (they include ONNX output_padding / output_shape).
 */
public record ConvSpec(int strideH, int strideW,
                       int padTop, int padLeft, int padBottom, int padRight,
                       int dilationH, int dilationW,
                       int groups,
                       int outH, int outW,
                       Activation activation) {

    public ConvSpec {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1) {
            throw new IllegalArgumentException("stride, dilation and groups must be >= 1: strides "
                    + strideH + "x" + strideW + ", dilations " + dilationH + "x" + dilationW + ", groups " + groups);
        }
        if (outH < 1 || outW < 1) {
            throw new ShapeMismatchException("convolution output would be empty: " + outH + "x" + outW);
        }
        if (activation == null) {
            activation = Activation.NONE;
        }
    }

    /** Output size of a convolution along one axis. */
    public static int convOut(int in, int kernel, int stride, int padBegin, int padEnd, int dilation) {
        return Math.floorDiv(in + padBegin + padEnd - dilation * (kernel - 1) - 1, stride) + 1;
    }

    /** The same spec with another fused activation. */
    public ConvSpec withActivation(Activation act) {
        return new ConvSpec(strideH, strideW, padTop, padLeft, padBottom, padRight,
                dilationH, dilationW, groups, outH, outW, act);
    }
}
