// NeuralJ OpenCL: the training kernels (Backend#unaryBackward, #pool2dBackward, #dropoutMask).
// The CPU reference is backend/cpu/CpuBackward.java; formulas are those of the Backend Javadoc.
#include "activation.cl"

// f'(x) for the ACT_* op with parameters a, b. At a kink the derivative of the lower side is used.
inline float act_derivative(float x, int op, float a, float b) {
    switch (op) {
        case ACT_IDENTITY: return 1.0f;
        case ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
        case ACT_LEAKY_RELU: return x > 0.0f ? 1.0f : a;
        case ACT_ELU: return x > 0.0f ? 1.0f : a * exp(x);
        case ACT_SELU: return b * (x > 0.0f ? 1.0f : a * exp(x));
        case ACT_SIGMOID: { float s = 1.0f / (1.0f + exp(-x)); return s * (1.0f - s); }
        case ACT_HARD_SIGMOID: { float v = a * x + b; return (v > 0.0f && v < 1.0f) ? a : 0.0f; }
        case ACT_HARD_SWISH: return x < -3.0f ? 0.0f : (x > 3.0f ? 1.0f : x / 3.0f + 0.5f);
        case ACT_TANH: { float t = tanh(x); return 1.0f - t * t; }
        case ACT_CLIP: return (x > a && x < b) ? 1.0f : 0.0f;
        case ACT_SQRT: return 0.5f / sqrt(x);
        case ACT_EXP: return exp(x);
        case ACT_LOG: return 1.0f / x;
        case ACT_NEG: return -1.0f;
        case ACT_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case ACT_SOFTPLUS: return 1.0f / (1.0f + exp(-x));
        case ACT_SOFTSIGN: { float d = 1.0f + fabs(x); return 1.0f / (d * d); }
        case ACT_RECIPROCAL: return -1.0f / (x * x);
        case ACT_THRESHOLDED_RELU: return x > a ? 1.0f : 0.0f;
        case ACT_ERF: return 1.1283791670955126f * exp(-x * x);
        case ACT_FLOOR: case ACT_CEIL: case ACT_ROUND: case ACT_TRUNC: case ACT_NOT_ZERO: return 0.0f;
        case ACT_AFFINE: return a;
        default: return NAN;
    }
}

// global (n): dx = dy * f'(x)
__kernel void unary_backward(__global const float* x, __global const float* dy, __global float* dx,
                             const int n, const int op, const float a, const float b) {
    const int i = get_global_id(0);
    if (i >= n) return;
    dx[i] = dy[i] * act_derivative(x[i], op, a, b);
}

// Gather form (no atomics): each x position sums the dy of the windows that chose it.
// global (W, H, N*C)
__kernel void max_pool2d_backward(__global const float* x, __global const float* dy, __global float* dx,
                                  const int NC, const int H, const int W, const int outH, const int outW,
                                  const int kH, const int kW, const int strideH, const int strideW,
                                  const int padTop, const int padLeft, const int dilationH, const int dilationW) {
    const int ix = get_global_id(0), iy = get_global_id(1), nc = get_global_id(2);
    if (ix >= W || iy >= H || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    __global const float* dyc = dy + (size_t)nc * outH * outW;
    float sum = 0.0f;
    for (int ky = 0; ky < kH; ky++) {
        const int ty = iy + padTop - ky * dilationH;
        if (ty < 0 || ty % strideH != 0) continue;
        const int oy = ty / strideH;
        if (oy >= outH) continue;
        for (int kx = 0; kx < kW; kx++) {
            const int tx = ix + padLeft - kx * dilationW;
            if (tx < 0 || tx % strideW != 0) continue;
            const int ox = tx / strideW;
            if (ox >= outW) continue;
            // the first maximum of window (oy, ox), as in the forward pass
            int best = -1;
            float bestValue = -INFINITY;
            for (int wy = 0; wy < kH; wy++) {
                const int yy = oy * strideH - padTop + wy * dilationH;
                if (yy < 0 || yy >= H) continue;
                for (int wx = 0; wx < kW; wx++) {
                    const int xx = ox * strideW - padLeft + wx * dilationW;
                    if (xx < 0 || xx >= W) continue;
                    const float v = xc[yy * W + xx];
                    if (best < 0 || v > bestValue) { best = yy * W + xx; bestValue = v; }
                }
            }
            if (best == iy * W + ix) sum += dyc[oy * outW + ox];
        }
    }
    dx[((size_t)nc * H + iy) * W + ix] = sum;
}

// global (W, H, N*C)
__kernel void avg_pool2d_backward(__global const float* dy, __global float* dx,
                                  const int NC, const int H, const int W, const int outH, const int outW,
                                  const int kH, const int kW, const int strideH, const int strideW,
                                  const int padTop, const int padLeft, const int padBottom, const int padRight,
                                  const int dilationH, const int dilationW, const int countIncludePad) {
    const int ix = get_global_id(0), iy = get_global_id(1), nc = get_global_id(2);
    if (ix >= W || iy >= H || nc >= NC) return;
    __global const float* dyc = dy + (size_t)nc * outH * outW;
    float sum = 0.0f;
    for (int ky = 0; ky < kH; ky++) {
        const int ty = iy + padTop - ky * dilationH;
        if (ty < 0 || ty % strideH != 0) continue;
        const int oy = ty / strideH;
        if (oy >= outH) continue;
        for (int kx = 0; kx < kW; kx++) {
            const int tx = ix + padLeft - kx * dilationW;
            if (tx < 0 || tx % strideW != 0) continue;
            const int ox = tx / strideW;
            if (ox >= outW) continue;
            int inside = 0, boxY = 0, boxX = 0, inY = 0, inX = 0;
            for (int wy = 0; wy < kH; wy++) {
                const int yy = oy * strideH - padTop + wy * dilationH;
                if (yy >= -padTop && yy < H + padBottom) boxY++;
                if (yy >= 0 && yy < H) inY++;
            }
            for (int wx = 0; wx < kW; wx++) {
                const int xx = ox * strideW - padLeft + wx * dilationW;
                if (xx >= -padLeft && xx < W + padRight) boxX++;
                if (xx >= 0 && xx < W) inX++;
            }
            inside = inY * inX;
            const int count = countIncludePad ? boxY * boxX : inside;
            sum += dyc[oy * outW + ox] / (float)count;
        }
    }
    dx[((size_t)nc * H + iy) * W + ix] = sum;
}

inline uint lowbias32(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

// global (n): m[i] = u_i >= p ? scale : 0, u_i = (hash(hash(i ^ lo) + hi) >> 8) / 2^24
__kernel void dropout_mask(__global float* m, const int n, const float p, const float scale,
                           const int seedLo, const int seedHi) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const uint u = lowbias32(lowbias32((uint)i ^ (uint)seedLo) + (uint)seedHi) >> 8;
    m[i] = ((float)u * (1.0f / 16777216.0f)) >= p ? scale : 0.0f;
}
