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
        if (spec.groups() == 1 && b instanceof org.neuralj.backend.cpu.CpuBackend) {
            // on the CPU one GEMM over the im2col view is faster; OpenCL drivers run the
            // few-outputs-long-reduction GEMM poorly and take the convolution below
            return weightsByMatmul(b, x, dy, kH, kW, spec);
        }
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

    /**
     * Groups = 1: dw [M, C*kH*kW] = dy' [M, N*oH*oW] times the im2col matrix [N*oH*oW, C*kH*kW], the
     * latter a strided view of the zero-padded x (one GEMM, no dedicated kernel).
     */
    static Tensor weightsByMatmul(Backend b, Tensor x, Tensor dy, int kH, int kW, ConvSpec s) {
        int[] xs = x.shape();
        int[] ys = dy.shape();
        int n = xs[0], c = xs[1];
        int m = ys[1], oh = ys[2], ow = ys[3];
        int hp = xs[2] + s.padTop() + s.padBottom();
        int wp = xs[3] + s.padLeft() + s.padRight();
        // rows and columns of the padded x that the windows reach (a stride may leave the last ones out)
        int needH = (oh - 1) * s.strideH() + (kH - 1) * s.dilationH() + 1;
        int needW = (ow - 1) * s.strideW() + (kW - 1) * s.dilationW() + 1;
        int padBottom = s.padBottom() + Math.max(0, needH - hp);
        int padRight = s.padRight() + Math.max(0, needW - wp);
        hp = xs[2] + s.padTop() + padBottom;
        wp = xs[3] + s.padLeft() + padRight;
        boolean padded = s.padTop() != 0 || s.padLeft() != 0 || padBottom != 0 || padRight != 0;
        Tensor xp = padded ? b.pad(x, new int[] {0, 0, s.padTop(), s.padLeft()}, new int[] {0, 0, padBottom, padRight},
                org.neuralj.backend.PadMode.CONSTANT, 0f) : x.reshape(xs);
        int p = oh * ow;
        int k = c * kH * kW;
        // cols[n][oy][ox][c][ky][kx] = xp[n][c][oy*sH + ky*dH][ox*sW + kx*dW]
        try (xp;
             Tensor cols6 = b.strided(xp, 0, new int[] {c * hp * wp, s.strideH() * wp, s.strideW(), hp * wp,
                     s.dilationH() * wp, s.dilationW()}, new int[] {n, oh, ow, c, kH, kW});
             Tensor cols = cols6.reshape(n * p, k);
             // dy'[m][n][p] = dy[n][m][p]
             Tensor dyt3 = b.strided(dy, 0, new int[] {p, m * p, 1}, new int[] {m, n, p});
             Tensor dyt = dyt3.reshape(m, n * p);
             Tensor dw = b.matmul(dyt, cols)) {
            return dw.reshape(m, c, kH, kW);
        }
    }

    /**
     * dx of a stride-1 convolution as a convolution of dy with the flipped, transposed kernel
     * (w'[g*C/G + c][m'][ky][kx] = w[g*M/G + m'][c][kH-1-ky][kW-1-kx], pads (k-1)*d - pad), or null when
     * the geometry needs the transposed convolution (stride > 1, or a pad beyond the kernel's reach).
     */
    static Tensor dataByFlippedConv(Backend b, Tensor dy, Tensor w, int h, int wd, ConvSpec s) {
        int[] ws = w.shape();
        int kH = ws[2], kW = ws[3];
        int pT = (kH - 1) * s.dilationH() - s.padTop(), pB = (kH - 1) * s.dilationH() - s.padBottom();
        int pL = (kW - 1) * s.dilationW() - s.padLeft(), pR = (kW - 1) * s.dilationW() - s.padRight();
        if (s.strideH() != 1 || s.strideW() != 1 || pT < 0 || pB < 0 || pL < 0 || pR < 0) {
            return null;
        }
        int g = s.groups(), m = ws[0], cg = ws[1], mg = m / g, kk = kH * kW;
        // w'[g][c][m'][ky][kx] = w[g*mg + m'][c][kH-1-ky][kW-1-kx]
        try (Tensor flipped = b.strided(w, (kH - 1) * kW + (kW - 1), new int[] {mg * cg * kk, kk, cg * kk, -kW, -1},
                new int[] {g, cg, mg, kH, kW});
             Tensor w2 = flipped.reshape(g * cg, mg, kH, kW)) {
            ConvSpec spec = new ConvSpec(1, 1, pT, pL, pB, pR, s.dilationH(), s.dilationW(), g, h, wd, Activation.NONE);
            return b.conv2d(dy, w2, null, spec);
        }
    }
}
