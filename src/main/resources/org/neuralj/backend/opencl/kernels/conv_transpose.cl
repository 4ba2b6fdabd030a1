// NeuralJ OpenCL: 2-D transposed convolution in gather form (every output sums its own terms, so no
// atomics). x [N, C, H, W], w [C, M/groups, kH, kW], y [N, M, outH, outW] (ConvSpec):
// x[n][c][iy][ix] contributes x * w[c][m'][ky][kx] to y[n][g*Mg+m'][iy*strideH - padTop + ky*dilationH]
// [ix*strideW - padLeft + kx*dilationW]; so y[oy] gathers iy = (oy + padTop - ky*dilationH) / strideH
// where that division is exact and iy lies inside x. Then bias and activation.
#include "activation.cl"
#include "conv_args.cl"

// global (outW, outH, N*M)
__kernel void conv_transpose2d(CONV_ARGS) {
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

// The common up-sampling case: stride = kernel size (KH x KW), no padding, dilation or output padding
// (U-Net's 2x2 stride 2); compiled only with the defines OC, KH and KW. Every input pixel then owns its own
// KH x KW block of the output, so one work-item takes one input pixel and OC output channels: each x value
// it loads feeds OC * KH * KW multiply-adds kept in registers (the gather kernel above loads x once per
// multiply-add, one work-item per output pixel; measured on PoCL, 64 -> 32 channels at 128^2: 164 ms
// there, 33 ms here). global (W, H, N * groups * ceil(Mg / OC))
#ifdef OC
__kernel void conv_transpose2d_blocks(__global const float* x, __global const float* w, __global const float* bias,
                                      __global float* y,
                                      const int N, const int C, const int H, const int W, const int M,
                                      const int groups, const int hasBias, const int act, const float actA, const float actB) {
    const int ix = get_global_id(0);
    const int iy = get_global_id(1);
    const int z = get_global_id(2);
    const int Cg = C / groups, Mg = M / groups;
    const int mBlocks = (Mg + OC - 1) / OC;
    if (ix >= W || iy >= H || z >= N * groups * mBlocks) return;
    const int n = z / (groups * mBlocks);
    const int g = (z / mBlocks) % groups;
    const int mg0 = (z % mBlocks) * OC;
    const int taps = KH * KW;
    float acc[OC * KH * KW];   // loops over it unrolled: rolled, PoCL kept it in memory
    #pragma unroll
    for (int i = 0; i < OC * taps; i++) acc[i] = 0.0f;
    const size_t plane = (size_t)H * W;
    __global const float* xp = x + ((size_t)(n * C + g * Cg)) * plane + (size_t)iy * W + ix;
    for (int c = 0; c < Cg; c++) {
        const float xv = xp[c * plane];                                        // x[n][g*Cg + c][iy][ix]
        __global const float* wp = w + ((size_t)(g * Cg + c) * Mg + mg0) * taps;  // w[g*Cg + c][mg0][0][0]
        #pragma unroll
        for (int o = 0; o < OC; o++) {
            if (mg0 + o < Mg) {
                #pragma unroll
                for (int t = 0; t < taps; t++) acc[o * taps + t] = fma(xv, wp[o * taps + t], acc[o * taps + t]);
            }
        }
    }
    const int outH = H * KH, outW = W * KW;
    #pragma unroll
    for (int o = 0; o < OC; o++) {
        if (mg0 + o >= Mg) break;
        const int m = g * Mg + mg0 + o;
        const float b = hasBias ? bias[m] : 0.0f;
        __global float* yp = y + ((size_t)(n * M + m) * outH + iy * KH) * outW + ix * KW;
        #pragma unroll
        for (int ky = 0; ky < KH; ky++) {
            #pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                yp[ky * outW + kx] = apply_act(acc[o * taps + ky * KW + kx] + b, act, actA, actB);
            }
        }
    }
}
#endif
