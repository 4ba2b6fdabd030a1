package org.neuralj.train;

import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.Tensor;

/**
 * The weight gradient of a 2-D convolution, composed of existing backend ops (exact, no new kernel).
 *
 * <p>For y = conv2d(x, w) with x [N, C, H, W], w [M, C/G, kH, kW], y [N, M, oH, oW]:
 * {@code dw[m][c][ky][kx] = sum_{n,oy,ox} dy[n][m][oy][ox] * x[n][g*C/G + c][oy*sH - pT + ky*dH][ox*sW - pL + kx*dW]}.
 * That is itself a convolution with batch and channels swapped ("the transpose trick"): the input
 * x' [C/G, G*N, H, W] (x'[c][g*N + n] = x[n][g*C/G + c]), the kernel dy' [M, N, oH, oW] (dy transposed),
 * stride and dilation exchanged, the same leading pads and G groups, give [C/G, M, kH, kW], which
 * transposed is dw. The same function gives the weight gradient of a transposed convolution with the
 * roles of x and dy exchanged.
 */
final class ConvGrad {
    private ConvGrad() {
    }

    /**
     * dw [M, C/G, kH, kW] of y = conv2d(x, w, spec), given x [N, C, H, W] and dy [N, M, oH, oW]
     * (oH, oW as in spec).
     */
    static Tensor weights(Backend b, Tensor x, Tensor dy, int kH, int kW, ConvSpec spec) {
        int[] xs = x.shape();
        int[] ys = dy.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int m = ys[1], oh = ys[2], ow = ys[3];
        int g = spec.groups();
        int cg = c / g;
        int hw = h * w;
        // x'[c'][g][n][y][x] = x[n][g*cg + c'][y][x]
        try (Tensor xt5 = b.strided(x, 0, new int[] {hw, cg * hw, c * hw, w, 1}, new int[] {cg, g, n, h, w});
             Tensor xt = xt5.reshape(cg, g * n, h, w);
             // dy'[m][n][oy][ox] = dy[n][m][oy][ox]
             Tensor dyt = b.strided(dy, 0, new int[] {oh * ow, m * oh * ow, ow, 1}, new int[] {m, n, oh, ow})) {
            ConvSpec s = new ConvSpec(spec.dilationH(), spec.dilationW(), spec.padTop(), spec.padLeft(),
                    spec.padBottom(), spec.padRight(), spec.strideH(), spec.strideW(), g, kH, kW, Activation.NONE);
            try (Tensor r = b.conv2d(xt, dyt, null, s)) { // r [cg, M, kH, kW]
                int k = kH * kW;
                return b.strided(r, 0, new int[] {k, m * k, kW, 1}, new int[] {m, cg, kH, kW});
            }
        }
    }
}
