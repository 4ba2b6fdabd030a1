// NeuralJ OpenCL: 2-D transposed convolution in gather form (every output sums its own terms, so no
// atomics). x [N, C, H, W], w [C, M/groups, kH, kW], y [N, M, outH, outW] (ConvSpec):
// x[n][c][iy][ix] contributes x * w[c][m'][ky][kx] to y[n][g*Mg+m'][iy*strideH - padTop + ky*dilationH]
// [ix*strideW - padLeft + kx*dilationW]; so y[oy] gathers iy = (oy + padTop - ky*dilationH) / strideH
// where that division is exact and iy lies inside x. Then bias and activation.
#include "activation.cl"

// global (outW, outH, N*M)
__kernel void conv_transpose2d(__global const float* x, __global const float* w, __global const float* bias,
                               __global float* y,
                               const int N, const int C, const int H, const int W,
                               const int M, const int kH, const int kW,
                               const int outH, const int outW,
                               const int strideH, const int strideW, const int padTop, const int padLeft,
                               const int dilationH, const int dilationW, const int groups,
                               const int hasBias, const int act, const float actA, const float actB) {
    const int ox = get_global_id(0);
    const int oy = get_global_id(1);
    const int nm = get_global_id(2);
    if (ox >= outW || oy >= outH || nm >= N * M) return;
    const int n = nm / M, m = nm - n * M;
    const int Cg = C / groups, Mg = M / groups;
    const int g = m / Mg, mg = m - g * Mg;
    float sum = hasBias ? bias[m] : 0.0f;
    for (int ky = 0; ky < kH; ky++) {
        const int ty = oy + padTop - ky * dilationH;
        if (ty < 0 || ty % strideH != 0) continue;
        const int iy = ty / strideH;
        if (iy >= H) continue;
        for (int kx = 0; kx < kW; kx++) {
            const int tx = ox + padLeft - kx * dilationW;
            if (tx < 0 || tx % strideW != 0) continue;
            const int ix = tx / strideW;
            if (ix >= W) continue;
            for (int c = 0; c < Cg; c++) {
                const int ci = g * Cg + c;
                const float xv = x[(((size_t)(n * C + ci)) * H + iy) * W + ix];            // x[n][ci][iy][ix]
                const float wv = w[(((size_t)(ci * Mg + mg)) * kH + ky) * kW + kx];       // w[ci][mg][ky][kx]
                sum = fma(xv, wv, sum);
            }
        }
    }
    y[((size_t)nm * outH + oy) * outW + ox] = apply_act(sum, act, actA, actB);
}
