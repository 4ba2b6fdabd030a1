// NeuralJ OpenCL: 2-D max / average pooling over x [N, C, H, W] (PoolSpec). A window position
// (iy, ix) = (oy*strideH - padTop + ky*dilationH, ox*strideW - padLeft + kx*dilationW) counts only inside x;
// max of no position is -inf. Average divides by the positions inside the padded box
// [-padTop, H+padBottom) x [-padLeft, W+padRight) when countIncludePad, else by those inside x.

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
            const float v = xc[iy * W + ix];
            best = (v > best || isnan(v)) ? v : best;
        }
    }
    y[((size_t)nc * outH + oy) * outW + ox] = best;
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
