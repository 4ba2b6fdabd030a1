// NeuralJ OpenCL: image filters over planes x [planes][H][W] (Backend.separable, filter2d, sobelMagnitude).
//
// Two kernel styles: on CPU drivers (PoCL) the *_vec kernels, where a work-item computes VW neighbouring
// outputs along x with vector loads and fma (the driver runs them in SIMD registers; measured 2-4x faster
// there than the tiled kernels); on GPUs the *_tiled kernels, which stage a work-group's inputs in local
// memory so neighbouring work-items share their loads. The host picks by device type.
//
// A separable filter runs along "lines": the rows (along x) or the columns (along y) of every plane. A
// line position i of line l in plane p is at
//   along x: (p * lines + l) * len + i        (lines = H, len = W)
//   along y: (p * len + i) * lines + l        (lines = W, len = H)
// and work-item dimension 0 always runs over x (positions along x, lines along y), so neighbouring
// work-items read neighbouring addresses. Reads beyond a line's ends follow the pad mode (codes as in
// movement.cl); CONSTANT reads 0.

#define PAD_CONSTANT 0
#define PAD_REFLECT 1
#define PAD_EDGE 2
#define PAD_WRAP 3

#ifndef VW
#define VW 16          // outputs per work-item of the *_vec kernels (2, 4, 8 or 16)
#endif
#ifndef WG
#define WG 64          // work-items of a tiled kernel along x
#endif
#ifndef LOCAL_N
#define LOCAL_N 4096   // floats of local memory per tiled work-group
#endif
#ifndef WG_Y
#define WG_Y 4         // rows of work-items of the tiled column kernel (its x extent is WG_COLS)
#endif
#ifndef WG_COLS
#define WG_COLS 32
#endif

// Position i of a line of n, mapped inside by the mode; -1 for CONSTANT outside.
inline int edge_index(int i, const int n, const int mode) {
    if (i >= 0 && i < n) return i;
    if (mode == PAD_CONSTANT) return -1;
    if (mode == PAD_EDGE) return i < 0 ? 0 : n - 1;
    if (mode == PAD_WRAP) return ((i % n) + n) % n;
    if (n == 1) return 0;                          // REFLECT: period 2(n-1), edge not repeated
    const int p = 2 * (n - 1);
    i = ((i % p) + p) % p;
    return i < n ? i : p - i;
}

// a / b rounded down (b > 0).
inline int floor_div(const int a, const int b) {
    return (a >= 0 ? a : a - b + 1) / b;
}

inline size_t line_at(const int p, const int l, const int i, const int lines, const int len, const int alongX) {
    return alongX ? ((size_t)p * lines + l) * len + i : ((size_t)p * len + i) * lines + l;
}

// y[o] = sum_t k[t] * x[map(o * step - first + t)] on every line: a correlation (step 1, first = K/2) or a
// decimation (step r). x lines have inLen positions, y lines outLen.
// global (alongX ? outLen : lines, alongX ? lines : outLen, planes)
__kernel void line_correlate(__global const float* x, __global float* y, __global const float* k, const int K,
                             const int step, const int first, const int inLen, const int outLen, const int lines,
                             const int alongX, const int mode) {
    const int o = alongX ? get_global_id(0) : get_global_id(1);
    const int l = alongX ? get_global_id(1) : get_global_id(0);
    const int p = get_global_id(2);
    if (o >= outLen || l >= lines) return;
    const int s0 = o * step - first;
    float acc = 0.0f;
    if (s0 >= 0 && s0 + K <= inLen) {              // inside: no mapping
        for (int t = 0; t < K; t++) acc = fma(k[t], x[line_at(p, l, s0 + t, lines, inLen, alongX)], acc);
    } else {
        for (int t = 0; t < K; t++) {
            const int s = edge_index(s0 + t, inLen, mode);
            if (s >= 0) acc = fma(k[t], x[line_at(p, l, s, lines, inLen, alongX)], acc);
        }
    }
    y[line_at(p, l, o, lines, outLen, alongX)] = acc;
}

// The interpolation of a pyramid step: y[o] = sum_i x[i] * up[o - (i - margin) * r + U/2] over the small
// line x of inLen positions (terms outside x or up dropped); y lines have outLen positions.
// global (alongX ? outLen : lines, alongX ? lines : outLen, planes)
__kernel void line_interpolate(__global const float* x, __global float* y, __global const float* up, const int U,
                               const int r, const int margin, const int inLen, const int outLen, const int lines,
                               const int alongX) {
    const int o = alongX ? get_global_id(0) : get_global_id(1);
    const int l = alongX ? get_global_id(1) : get_global_id(0);
    const int p = get_global_id(2);
    if (o >= outLen || l >= lines) return;
    const int uc = U / 2;
    // small pixels i with 0 <= o - (i - margin) * r + uc < U
    const int iLo = max(0, floor_div(o + uc - U, r) + margin + 1);
    const int iHi = min(inLen - 1, (o + uc) / r + margin);
    float acc = 0.0f;
    for (int i = iLo; i <= iHi; i++) {
        acc = fma(up[o - (i - margin) * r + uc], x[line_at(p, l, i, lines, inLen, alongX)], acc);
    }
    y[line_at(p, l, o, lines, outLen, alongX)] = acc;
}

#define F_CAT(a, b) a##b
#define F_XCAT(a, b) F_CAT(a, b)
#define floatV F_XCAT(float, VW)
#define vloadV F_XCAT(vload, VW)
#define vstoreV F_XCAT(vstore, VW)

// Correlation along x, VW neighbouring outputs of a row per work-item. global (ceil(W / VW), lines, planes)
__kernel void rows_vec(__global const float* x, __global float* y, __global const float* k, const int K,
                       const int W, const int lines, const int mode) {
    const int x0 = get_global_id(0) * VW, l = get_global_id(1), p = get_global_id(2);
    if (x0 >= W || l >= lines) return;
    const size_t row = ((size_t)p * lines + l) * W;
    const int rad = K / 2;
    if (x0 - rad >= 0 && x0 + VW + K - 1 - rad <= W) {           // inside: vector loads, no mapping
        __global const float* src = x + row + x0 - rad;
        floatV acc = (floatV)(0.0f);
        for (int t = 0; t < K; t++) acc = fma(vloadV(0, src + t), (floatV)(k[t]), acc);
        vstoreV(acc, 0, y + row + x0);
        return;
    }
    for (int i = 0; i < VW && x0 + i < W; i++) {
        float acc = 0.0f;
        for (int t = 0; t < K; t++) {
            const int s = edge_index(x0 + i - rad + t, W, mode);
            if (s >= 0) acc = fma(k[t], x[row + s], acc);
        }
        y[row + x0 + i] = acc;
    }
}

// Along y, VW neighbouring columns per work-item: output row o of a correlation (step 1, first = K/2) or a
// decimation (step r) reads input rows o * step - first + t. x [planes][inH][W], y [planes][outH][W].
// global (ceil(W / VW), outH, planes)
__kernel void cols_vec(__global const float* x, __global float* y, __global const float* k, const int K,
                       const int step, const int first, const int W, const int inH, const int outH, const int mode) {
    const int x0 = get_global_id(0) * VW, o = get_global_id(1), p = get_global_id(2);
    if (x0 >= W || o >= outH) return;
    __global const float* in = x + (size_t)p * inH * W + x0;
    __global float* out = y + ((size_t)p * outH + o) * W + x0;
    if (x0 + VW <= W) {
        floatV acc = (floatV)(0.0f);
        for (int t = 0; t < K; t++) {
            const int r = edge_index(o * step - first + t, inH, mode);
            if (r >= 0) acc = fma(vloadV(0, in + (size_t)r * W), (floatV)(k[t]), acc);
        }
        vstoreV(acc, 0, out);
        return;
    }
    for (int i = 0; i < W - x0; i++) {
        float acc = 0.0f;
        for (int t = 0; t < K; t++) {
            const int r = edge_index(o * step - first + t, inH, mode);
            if (r >= 0) acc = fma(k[t], in[(size_t)r * W + i], acc);
        }
        out[i] = acc;
    }
}

// The interpolation of a pyramid step along y (as line_interpolate), VW neighbouring columns per work-item.
// x [planes][inH][W] (the small lines), y [planes][outH][W]. global (ceil(W / VW), outH, planes)
__kernel void cols_interpolate_vec(__global const float* x, __global float* y, __global const float* up, const int U,
                                   const int r, const int margin, const int W, const int inH, const int outH) {
    const int x0 = get_global_id(0) * VW, o = get_global_id(1), p = get_global_id(2);
    if (x0 >= W || o >= outH) return;
    const int uc = U / 2;
    const int iLo = max(0, floor_div(o + uc - U, r) + margin + 1);
    const int iHi = min(inH - 1, (o + uc) / r + margin);
    __global const float* in = x + (size_t)p * inH * W + x0;
    __global float* out = y + ((size_t)p * outH + o) * W + x0;
    if (x0 + VW <= W) {
        floatV acc = (floatV)(0.0f);
        for (int i = iLo; i <= iHi; i++) acc = fma(vloadV(0, in + (size_t)i * W), (floatV)(up[o - (i - margin) * r + uc]), acc);
        vstoreV(acc, 0, out);
        return;
    }
    for (int j = 0; j < W - x0; j++) {
        float acc = 0.0f;
        for (int i = iLo; i <= iHi; i++) acc = fma(up[o - (i - margin) * r + uc], in[(size_t)i * W + j], acc);
        out[j] = acc;
    }
}

// Correlation with a dense kernel k [kh][kw] (odd sizes, centred), VW neighbouring outputs per work-item.
// global (ceil(W / VW), H, planes)
__kernel void filter2d_vec(__global const float* x, __global float* y, __global const float* k, const int kh,
                           const int kw, const int W, const int H, const int mode) {
    const int x0 = get_global_id(0) * VW, r = get_global_id(1), p = get_global_id(2);
    if (x0 >= W || r >= H) return;
    __global const float* plane = x + (size_t)p * H * W;
    __global float* out = y + ((size_t)p * H + r) * W;
    const int c0 = x0 - kw / 2;
    if (c0 >= 0 && c0 + VW + kw - 1 <= W) {                     // columns inside: vector loads of mapped rows
        floatV acc = (floatV)(0.0f);
        for (int a = 0; a < kh; a++) {
            const int rr = edge_index(r + a - kh / 2, H, mode);
            if (rr < 0) continue;
            __global const float* row = plane + (size_t)rr * W + c0;
            for (int b = 0; b < kw; b++) acc = fma(vloadV(0, row + b), (floatV)(k[a * kw + b]), acc);
        }
        vstoreV(acc, 0, out + x0);
        return;
    }
    for (int i = 0; i < VW && x0 + i < W; i++) {
        float acc = 0.0f;
        for (int a = 0; a < kh; a++) {
            const int rr = edge_index(r + a - kh / 2, H, mode);
            if (rr < 0) continue;
            for (int b = 0; b < kw; b++) {
                const int cc = edge_index(x0 + i - kw / 2 + b, W, mode);
                if (cc >= 0) acc = fma(k[a * kw + b], plane[(size_t)rr * W + cc], acc);
            }
        }
        out[x0 + i] = acc;
    }
}

// Sobel gradient magnitude, VW neighbouring outputs per work-item. global (ceil(W / VW), H, planes)
__kernel void sobel_magnitude_vec(__global const float* x, __global float* y, const int W, const int H, const int mode) {
    const int x0 = get_global_id(0) * VW, r = get_global_id(1), p = get_global_id(2);
    if (x0 >= W || r >= H) return;
    __global const float* plane = x + (size_t)p * H * W;
    const int ra = edge_index(r - 1, H, mode), rc = edge_index(r + 1, H, mode);
    if (x0 >= 1 && x0 + VW + 1 <= W) {                         // columns inside: vector loads
        const floatV zero = (floatV)(0.0f);
        __global const float* b = plane + (size_t)r * W + x0 - 1;
        __global const float* a = plane + (size_t)ra * W + x0 - 1;
        __global const float* c = plane + (size_t)rc * W + x0 - 1;
        const floatV a0 = ra < 0 ? zero : vloadV(0, a), a1 = ra < 0 ? zero : vloadV(0, a + 1), a2 = ra < 0 ? zero : vloadV(0, a + 2);
        const floatV c0 = rc < 0 ? zero : vloadV(0, c), c1 = rc < 0 ? zero : vloadV(0, c + 1), c2 = rc < 0 ? zero : vloadV(0, c + 2);
        const floatV b0 = vloadV(0, b), b2 = vloadV(0, b + 2);
        const floatV gx = (a2 - a0) + 2.0f * (b2 - b0) + (c2 - c0);
        const floatV gy = (c0 + 2.0f * c1 + c2) - (a0 + 2.0f * a1 + a2);
        vstoreV(sqrt(gx * gx + gy * gy), 0, y + ((size_t)p * H + r) * W + x0);
        return;
    }
    for (int i = 0; i < VW && x0 + i < W; i++) {
        const int cc = x0 + i;
        const int cl = edge_index(cc - 1, W, mode), cr = edge_index(cc + 1, W, mode);
#define PX(row, col) ((row) < 0 || (col) < 0 ? 0.0f : plane[(size_t)(row) * W + (col)])
        const float a0 = PX(ra, cl), a1 = PX(ra, cc), a2 = PX(ra, cr);
        const float b0 = PX(r, cl), b2 = PX(r, cr);
        const float c0 = PX(rc, cl), c1 = PX(rc, cc), c2 = PX(rc, cr);
#undef PX
        const float gx = (a2 - a0) + 2.0f * (b2 - b0) + (c2 - c0);
        const float gy = (c0 + 2.0f * c1 + c2) - (a0 + 2.0f * a1 + a2);
        y[((size_t)p * H + r) * W + cc] = sqrt(gx * gx + gy * gy);
    }
}

// Correlation along x with the line span of a work-group staged in local memory: a work-group filters
// `per` * WG consecutive outputs of one row, the K - 1 + per * WG inputs they read loaded once (host
// guarantees that fits LOCAL_N). global (ceil(W / (per * WG)) * WG, lines, planes), local (WG, 1, 1)
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void rows_tiled(__global const float* x, __global float* y, __global const float* k, const int K,
                const int W, const int lines, const int mode, const int per) {
    __local float tile[LOCAL_N];
    const int lid = get_local_id(0);
    const int span = per * WG;
    const int x0 = get_group_id(0) * span;
    const int l = get_global_id(1), p = get_global_id(2);
    const size_t row = ((size_t)p * lines + l) * W;
    const int rad = K / 2;
    for (int j = lid; j < span + K - 1; j += WG) {
        const int s = edge_index(x0 - rad + j, W, mode);
        tile[j] = s < 0 ? 0.0f : x[row + s];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int o = lid; o < span && x0 + o < W; o += WG) {
        float acc = 0.0f;
        for (int t = 0; t < K; t++) acc = fma(k[t], tile[o + t], acc);
        y[row + x0 + o] = acc;
    }
}

// Correlation along y with a block of rows staged in local memory: a work-group filters WG_COLS columns x
// (per * WG_Y) rows, loading the (per * WG_Y + K - 1) x WG_COLS inputs once (host guarantees that fits
// LOCAL_N). global (ceil(W / WG_COLS) * WG_COLS, ceil(H / (per * WG_Y)) * WG_Y, planes), local (WG_COLS, WG_Y, 1)
__kernel __attribute__((reqd_work_group_size(WG_COLS, WG_Y, 1)))
void cols_tiled(__global const float* x, __global float* y, __global const float* k, const int K,
                const int W, const int H, const int mode, const int per) {
    __local float tile[LOCAL_N];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int col = get_global_id(0), p = get_global_id(2);
    const int span = per * WG_Y;
    const int y0 = get_group_id(1) * span;
    const int rad = K / 2;
    const size_t plane = (size_t)p * H * W;
    for (int j = ly; j < span + K - 1; j += WG_Y) {
        const int s = edge_index(y0 - rad + j, H, mode);
        tile[j * WG_COLS + lx] = s < 0 || col >= W ? 0.0f : x[plane + (size_t)s * W + col];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (col >= W) return;
    for (int o = ly; o < span && y0 + o < H; o += WG_Y) {
        float acc = 0.0f;
        for (int t = 0; t < K; t++) acc = fma(k[t], tile[(o + t) * WG_COLS + lx], acc);
        y[plane + (size_t)(y0 + o) * W + col] = acc;
    }
}

// Correlation with a dense kernel k [kh][kw] (odd sizes, centred). global (W, H, planes)
__kernel void filter2d(__global const float* x, __global float* y, __global const float* k, const int kh, const int kw,
                       const int W, const int H, const int mode) {
    const int c = get_global_id(0), r = get_global_id(1), p = get_global_id(2);
    if (c >= W || r >= H) return;
    __global const float* plane = x + (size_t)p * H * W;
    const int r0 = r - kh / 2, c0 = c - kw / 2;
    float acc = 0.0f;
    if (r0 >= 0 && r0 + kh <= H && c0 >= 0 && c0 + kw <= W) {      // inside: no mapping
        for (int a = 0; a < kh; a++) {
            __global const float* row = plane + (size_t)(r0 + a) * W + c0;
            for (int b = 0; b < kw; b++) acc = fma(k[a * kw + b], row[b], acc);
        }
    } else {
        for (int a = 0; a < kh; a++) {
            const int rr = edge_index(r0 + a, H, mode);
            if (rr < 0) continue;
            for (int b = 0; b < kw; b++) {
                const int cc = edge_index(c0 + b, W, mode);
                if (cc >= 0) acc = fma(k[a * kw + b], plane[(size_t)rr * W + cc], acc);
            }
        }
    }
    y[(size_t)p * H * W + (size_t)r * W + c] = acc;
}

// Sobel gradient magnitude (ImageJ's Find Edges) in one pass. global (W, H, planes)
__kernel void sobel_magnitude(__global const float* x, __global float* y, const int W, const int H, const int mode) {
    const int c = get_global_id(0), r = get_global_id(1), p = get_global_id(2);
    if (c >= W || r >= H) return;
    __global const float* plane = x + (size_t)p * H * W;
    const int ra = edge_index(r - 1, H, mode), rc = edge_index(r + 1, H, mode);
    const int cl = edge_index(c - 1, W, mode), cr = edge_index(c + 1, W, mode);
#define PX(row, col) ((row) < 0 || (col) < 0 ? 0.0f : plane[(size_t)(row) * W + (col)])
    const float a0 = PX(ra, cl), a1 = PX(ra, c), a2 = PX(ra, cr);
    const float b0 = PX(r, cl), b2 = PX(r, cr);
    const float c0 = PX(rc, cl), c1 = PX(rc, c), c2 = PX(rc, cr);
#undef PX
    const float gx = (a2 - a0) + 2.0f * (b2 - b0) + (c2 - c0);
    const float gy = (c0 + 2.0f * c1 + c2) - (a0 + 2.0f * a1 + a2);
    y[(size_t)p * H * W + (size_t)r * W + c] = sqrt(gx * gx + gy * gy);
}
