// NeuralJ OpenCL: data movement. Shapes and strides are right-aligned in 6 slots (d0..d5), of which
// the last `rank` are used; the host collapses dimensions where it can.

#ifndef RANK_MAX
#define RANK_MAX 6
#endif

// y[i] = x[offset + sum_k c_k * s_k], (c_k) the coordinates of i in the output shape d. Strides may be
// 0 or negative. global (n)
__kernel void strided(__global const float* x, __global float* y, const int n, const int offset, const int rank,
                      const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                      const int s0, const int s1, const int s2, const int s3, const int s4, const int s5) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int d[RANK_MAX] = {d0, d1, d2, d3, d4, d5};
    const int s[RANK_MAX] = {s0, s1, s2, s3, s4, s5};
    int off = offset, rest = i;
    for (int k = RANK_MAX - 1; k >= RANK_MAX - rank; k--) {
        const int q = rest / d[k];
        off += (rest - q * d[k]) * s[k];
        rest = q;
    }
    y[i] = x[off];
}

// Copies x viewed [outer, rowLen] into y at y[o * dstRowStride + dstOffset + j] (one concat input), 16
// elements a work-item (one at a time PoCL copied at half the CPU backend's speed). global (ceil(rowLen / 16), outer)
__kernel void copy_rows(__global const float* x, __global float* y, const int outer, const int rowLen,
                        const int dstRowStride, const int dstOffset) {
    const int j0 = get_global_id(0) * 16, o = get_global_id(1);
    if (j0 >= rowLen || o >= outer) return;
    __global const float* src = x + (size_t)o * rowLen + j0;
    __global float* dst = y + (size_t)o * dstRowStride + dstOffset + j0;
    if (j0 + 16 <= rowLen) {
        vstore16(vload16(0, src), 0, dst);
    } else {
        for (int t = 0; j0 + t < rowLen; t++) dst[t] = src[t];
    }
}

// Constant padding of the last axis only: rows of x [rows, W] into y [rows, WP] from column PL on, `value`
// around them (e.g. a convolution's left and right padding made real, so conv2d_vec loads whole vectors
// without bounds tests). global (ceil(WP / 16), rows)
__kernel void pad_rows(__global const float* x, __global float* y, const int W, const int WP, const int PL, const int rows,
                       const float value) {
    const int j0 = get_global_id(0) * 16, r = get_global_id(1);
    if (j0 >= WP || r >= rows) return;
    __global const float* src = x + (size_t)r * W;
    __global float* dst = y + (size_t)r * WP;
    for (int t = 0; t < 16 && j0 + t < WP; t++) {
        const int i = j0 + t - PL;
        dst[j0 + t] = (i >= 0 && i < W) ? src[clamp(i, 0, W - 1)] : value;
    }
}

#define PAD_CONSTANT 0
#define PAD_REFLECT 1
#define PAD_EDGE 2
#define PAD_WRAP 3

// Pad / crop: for output coordinate c_k, the source coordinate is c_k - before_k, mapped into [0, in_k)
// by the mode (CONSTANT writes `value` outside). global (n)
__kernel void pad(__global const float* x, __global float* y, const int n, const int rank,
                  const int mode, const float value,
                  const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                  const int i0, const int i1, const int i2, const int i3, const int i4, const int i5,
                  const int b0, const int b1, const int b2, const int b3, const int b4, const int b5) {
    const int id = get_global_id(0);
    if (id >= n) return;
    const int d[RANK_MAX] = {d0, d1, d2, d3, d4, d5};
    const int in[RANK_MAX] = {i0, i1, i2, i3, i4, i5};
    const int before[RANK_MAX] = {b0, b1, b2, b3, b4, b5};
    int rest = id, off = 0, stride = 1;
    bool outside = false;
    for (int k = RANK_MAX - 1; k >= RANK_MAX - rank; k--) {
        const int q = rest / d[k];
        int c = rest - q * d[k] - before[k];
        rest = q;
        const int len = in[k];
        if (c < 0 || c >= len) {
            if (mode == PAD_CONSTANT) {
                outside = true;
            } else if (mode == PAD_EDGE) {
                c = clamp(c, 0, len - 1);
            } else if (mode == PAD_WRAP) {
                c = ((c % len) + len) % len;
            } else { // REFLECT: period 2*(len-1), mirrored without repeating the edge
                if (len == 1) {
                    c = 0;
                } else {
                    const int p = 2 * (len - 1);
                    c = ((c % p) + p) % p;
                    if (c >= len) c = p - c;
                }
            }
        }
        off += c * stride;
        stride *= len;
    }
    y[id] = outside ? value : x[off];
}

// ONNX Gather: x viewed [outer, axisLen, inner], indices (integral floats, negative from the end) of
// count K, y [outer, K, inner]; an index out of range writes 0. global (inner, K, outer)
__kernel void gather(__global const float* x, __global const float* indices, __global float* y,
                     const int outer, const int axisLen, const int inner, const int K) {
    const int i = get_global_id(0), k = get_global_id(1), o = get_global_id(2);
    if (i >= inner || k >= K || o >= outer) return;
    int idx = (int)indices[k];
    if (idx < 0) idx += axisLen;
    const bool ok = idx >= 0 && idx < axisLen;
    y[((size_t)o * K + k) * inner + i] = ok ? x[((size_t)o * axisLen + idx) * inner + i] : 0.0f;
}
