// Depthwise convolution: one input channel per output channel (groups == C == M, C may be 1), stride 1
// along x. This is every classic image filter (a Gaussian pass, a Sobel, a custom kernel over a stack of
// planes) and MobileNet's depthwise layers. The generic conv kernels spend one work-item per output
// pixel; here a work-item computes VW neighbouring outputs of one row with vector loads and fma, so a
// CPU driver (PoCL) runs it in SIMD registers and a GPU reads coalesced rows.
//
// global (ceil(outW / VW), outH, N * C); x [N, C, H, W], w [C, 1, kH, kW], y [N, C, outH, outW]:
// y[n][c][oy][ox] = act(bias[c] + sum_{ky,kx} x[n][c][oy*strideH - padTop + ky*dilationH][ox - padLeft + kx*dilationW]
//                  * w[c][0][ky][kx]), zeros outside x. The arguments: CONV_ARGS (conv_args.cl).
#include "activation.cl"
#include "conv_args.cl"

#ifndef VW
#define VW 8           // outputs per work-item (2, 4, 8 or 16)
#endif

#define DW_CAT(a, b) a##b
#define DW_XCAT(a, b) DW_CAT(a, b)
#define floatV DW_XCAT(float, VW)
#define vloadV DW_XCAT(vload, VW)
#define vstoreV DW_XCAT(vstore, VW)

__kernel void depthwise_conv2d(CONV_ARGS) {
    const int ox0 = get_global_id(0) * VW;
    const int oy = get_global_id(1);
    const int nc = get_global_id(2);
    if (ox0 >= outW || oy >= outH || nc >= N * C) return;
    const int c = nc % C;
    __global const float* xc = x + (size_t)nc * H * W;          // x[n][c]
    __global const float* wc = w + (size_t)c * kH * kW;         // w[c][0]
    __global float* yrow = y + ((size_t)nc * outH + oy) * outW;  // y[n][c][oy]
    const float b = hasBias ? bias[c] : 0.0f;
    const int ixLo = ox0 - padLeft;                             // first input column read (kx = 0)
    const int ixHi = ox0 + VW - 1 - padLeft + (kW - 1) * dilationW;
    if (ox0 + VW <= outW && ixLo >= 0 && ixHi < W) {
        // the whole vector is inside: no bounds checks in the tap loop
        floatV acc = (floatV)(b);
        for (int ky = 0; ky < kH; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;
            __global const float* row = xc + (size_t)iy * W + ixLo;
            __global const float* wk = wc + ky * kW;
            for (int kx = 0; kx < kW; kx++) {
                acc = fma(vloadV(0, row + kx * dilationW), (floatV)(wk[kx]), acc);
            }
        }
        if (act == 0) {
            vstoreV(acc, 0, yrow + ox0);
        } else {
            float tmp[VW];
            vstoreV(acc, 0, tmp);
            for (int i = 0; i < VW; i++) yrow[ox0 + i] = apply_act(tmp[i], act, actA, actB);
        }
        return;
    }
    // border or last partial vector: one output at a time with bounds checks
    for (int i = 0; i < VW && ox0 + i < outW; i++) {
        const int ox = ox0 + i;
        float sum = b;
        for (int ky = 0; ky < kH; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < kW; kx++) {
                const int ix = ox - padLeft + kx * dilationW;
                if (ix < 0 || ix >= W) continue;
                sum = fma(xc[iy * W + ix], wc[ky * kW + kx], sum);
            }
        }
        yrow[ox] = apply_act(sum, act, actA, actB);
    }
}
