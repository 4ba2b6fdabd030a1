// NeuralJ OpenCL: 2-D max / average pooling over x [N, C, H, W] (PoolSpec). A window position
// (iy, ix) = (oy*strideH - padTop + ky*dilationH, ox*strideW - padLeft + kx*dilationW) counts only inside x;
// max of no position is -inf. Average divides by the positions inside the padded box
// [-padTop, H+padBottom) x [-padLeft, W+padRight) when countIncludePad, else by those inside x.

// The larger of best and v, v when it is NaN (a NaN in a window wins); max_or_nan8 the same lane by lane.
inline float max_or_nan(float best, float v) {
    return (v > best || isnan(v)) ? v : best;
}

// global (outW, outH, N*C)
__kernel void max_pool2d(__global const float* x, __global float* y,
                         const int NC, const int H, const int W, const int outH, const int outW,
                         const int kH, const int kW, const int strideH, const int strideW,
                         const int padTop, const int padLeft, const int dilationH, const int dilationW) {
    const int ox = get_global_id(0), oy = get_global_id(1), nc = get_global_id(2);
    if (ox >= outW || oy >= outH || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    float best = -INFINITY;
    for (int ky = 0; ky < kH; ky++) {
        const int iy = oy * strideH - padTop + ky * dilationH;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < kW; kx++) {
            const int ix = ox * strideW - padLeft + kx * dilationW;
            if (ix < 0 || ix >= W) continue;
            best = max_or_nan(best, xc[iy * W + ix]);
        }
    }
    y[((size_t)nc * outH + oy) * outW + ox] = best;
}

// 2 x 2 windows, stride 2, no padding or dilation (a U-Net's down-sampling): 8 outputs of a row per
// work-item from two rows of 16 inputs (vector loads, even/odd lanes); the last outputs of a row, and a
// ceil-mode window past the edge, go lane by lane. Same result as max_pool2d (a NaN in a window wins).
// The general kernel above ran 7x slower than the CPU backend on PoCL. global (ceil(outW / 8), outH, N*C)
inline float8 max_or_nan8(float8 best, float8 v) {
    return select(best, v, (v > best) | isnan(v));
}

__kernel void max_pool2x2(__global const float* x, __global float* y,
                          const int NC, const int H, const int W, const int outH, const int outW) {
    const int ox0 = get_global_id(0) * 8, oy = get_global_id(1), nc = get_global_id(2);
    if (ox0 >= outW || oy >= outH || nc >= NC) return;
    __global const float* r0 = x + ((size_t)nc * H + 2 * oy) * W;
    __global float* out = y + ((size_t)nc * outH + oy) * outW;
    if (ox0 + 8 <= outW && 2 * ox0 + 16 <= W && 2 * oy + 1 < H) {
        const float16 a = vload16(0, r0 + 2 * ox0), b = vload16(0, r0 + W + 2 * ox0);
        float8 m = max_or_nan8((float8)(-INFINITY), a.even);
        m = max_or_nan8(m, a.odd);
        m = max_or_nan8(m, b.even);
        vstore8(max_or_nan8(m, b.odd), 0, out + ox0);
        return;
    }
    for (int ox = ox0; ox < ox0 + 8 && ox < outW; ox++) {
        float best = -INFINITY;
        for (int ky = 0; ky < 2 && 2 * oy + ky < H; ky++) {
            for (int kx = 0; kx < 2 && 2 * ox + kx < W; kx++) {
                best = max_or_nan(best, r0[ky * W + 2 * ox + kx]);
            }
        }
        out[ox] = best;
    }
}

// 3 x 3 windows, stride 2, no dilation (a ResNet's first max-pool): 8 outputs of a row per work-item. Output k of
// the 8 reads input columns base + 2k .. base + 2k + 2 (base = 2*ox0 - padLeft): the even lanes, the odd lanes and the
// even lanes one pair on (the 17th input read alone) of 16 loaded inputs. Rows outside x are skipped; windows that
// cross the left or right edge go lane by lane. Same result as max_pool2d, which ran ResNet-18's max-pool 7x slower
// than the CPU backend on PoCL (3.5 ms at batch 1). global (ceil(outW / 8), outH, N*C)
__kernel void max_pool3x3s2(__global const float* x, __global float* y, const int NC, const int H, const int W,
                            const int outH, const int outW, const int padTop, const int padLeft) {
    const int ox0 = get_global_id(0) * 8, oy = get_global_id(1), nc = get_global_id(2);
    if (ox0 >= outW || oy >= outH || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    __global float* out = y + ((size_t)nc * outH + oy) * outW;
    const int iy0 = 2 * oy - padTop, base = 2 * ox0 - padLeft;
    if (ox0 + 8 <= outW && base >= 0 && base + 17 <= W) {
        float8 m = (float8)(-INFINITY);
        for (int iy = max(iy0, 0); iy < min(iy0 + 3, H); iy++) {
            __global const float* r = xc + iy * W + base;
            const float16 v = vload16(0, r);
            m = max_or_nan8(m, v.even);
            m = max_or_nan8(m, v.odd);
            m = max_or_nan8(m, (float8)(v.s2, v.s4, v.s6, v.s8, v.sa, v.sc, v.se, r[16]));
        }
        vstore8(m, 0, out + ox0);
        return;
    }
    for (int ox = ox0; ox < ox0 + 8 && ox < outW; ox++) {
        float best = -INFINITY;
        for (int iy = max(iy0, 0); iy < min(iy0 + 3, H); iy++) {
            for (int ix = max(2 * ox - padLeft, 0); ix < min(2 * ox - padLeft + 3, W); ix++) {
                best = max_or_nan(best, xc[iy * W + ix]);
            }
        }
        out[ox] = best;
    }
}

// global (outW, outH, N*C)
__kernel void avg_pool2d(__global const float* x, __global float* y,
                         const int NC, const int H, const int W, const int outH, const int outW,
                         const int kH, const int kW, const int strideH, const int strideW,
                         const int padTop, const int padLeft, const int padBottom, const int padRight,
                         const int dilationH, const int dilationW, const int countIncludePad) {
    const int ox = get_global_id(0), oy = get_global_id(1), nc = get_global_id(2);
    if (ox >= outW || oy >= outH || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    float sum = 0.0f;
    int inside = 0, boxY = 0, boxX = 0;
    for (int ky = 0; ky < kH; ky++) {
        const int iy = oy * strideH - padTop + ky * dilationH;
        if (iy >= -padTop && iy < H + padBottom) boxY++;
    }
    for (int kx = 0; kx < kW; kx++) {
        const int ix = ox * strideW - padLeft + kx * dilationW;
        if (ix >= -padLeft && ix < W + padRight) boxX++;
    }
    for (int ky = 0; ky < kH; ky++) {
        const int iy = oy * strideH - padTop + ky * dilationH;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < kW; kx++) {
            const int ix = ox * strideW - padLeft + kx * dilationW;
            if (ix < 0 || ix >= W) continue;
            sum += xc[iy * W + ix];
            inside++;
        }
    }
    const int count = countIncludePad ? boxY * boxX : inside;
    y[((size_t)nc * outH + oy) * outW + ox] = sum / (float)count;
}
