// NeuralJ OpenCL: element-wise unary functions and binary ops with numpy broadcasting.
// Shapes are kernel arguments; RANK_MAX is the tensor rank limit (Tensor.MAX_RANK).
#include "activation.cl"

#ifndef RANK_MAX
#define RANK_MAX 6
#endif

#define BIN_ADD 0
#define BIN_SUB 1
#define BIN_MUL 2
#define BIN_DIV 3
#define BIN_POW 4
#define BIN_MAX 5
#define BIN_MIN 6
#define BIN_PRELU 7

// The host compiles this file with the op's code as a define, UNARY_OP or BINARY_OP: the switch then folds
// away and PoCL vectorises the kernel (with the code only a run-time argument, a ReLU ran at ~3 ns an
// element, 5x the CPU backend).
#ifdef UNARY_OP
#define UNARY_OP_OF(runtime) UNARY_OP
#else
#define UNARY_OP_OF(runtime) (runtime)
#endif
#ifdef BINARY_OP
#define BINARY_OP_OF(runtime) BINARY_OP
#else
#define BINARY_OP_OF(runtime) (runtime)
#endif

// y[i] = f(x[i]) for i < n
__kernel void unary(__global const float* x, __global float* y, const int n,
                    const int op, const float a, const float b) {
    int i = get_global_id(0);
    if (i >= n) return;
    y[i] = apply_act(x[i], UNARY_OP_OF(op), a, b);
}

inline float apply_bin(float u, float v, int op) {
    switch (op) {
        case BIN_ADD: return u + v;
        case BIN_SUB: return u - v;
        case BIN_MUL: return u * v;
        case BIN_DIV: return u / v;
        case BIN_POW: return pow(u, v);
        case BIN_MAX: return (isnan(u) || isnan(v)) ? NAN : (u > v ? u : v);
        case BIN_MIN: return (isnan(u) || isnan(v)) ? NAN : (u < v ? u : v);
        case BIN_PRELU: return u >= 0.0f ? u : u * v;
        default: return NAN;
    }
}

// Same shapes: y[i] = a[i] op b[i]
__kernel void binary_same(__global const float* a, __global const float* b, __global float* y,
                          const int n, const int op) {
    int i = get_global_id(0);
    if (i >= n) return;
    y[i] = apply_bin(a[i], b[i], BINARY_OP_OF(op));
}

// y = after(a op b), same shapes: a residual Add and the ReLU after it in one pass. AFTER_OP compiled in.
#ifndef AFTER_OP
#define AFTER_OP ACT_IDENTITY
#endif
__kernel void binary_same_act(__global const float* a, __global const float* b, __global float* y,
                              const int n, const int op, const float actA, const float actB) {
    int i = get_global_id(0);
    if (i >= n) return;
    y[i] = apply_act(apply_bin(a[i], b[i], BINARY_OP_OF(op)), AFTER_OP, actA, actB);
}

// Broadcast: the output index i is split over the (collapsed) output shape d0..d5 (only the last
// `rank` are used); a and b are read through their broadcast strides (0 on stretched axes).
__kernel void binary_bcast(__global const float* a, __global const float* b, __global float* y,
                           const int n, const int op, const int rank,
                           const int d0, const int d1, const int d2, const int d3, const int d4, const int d5,
                           const int sa0, const int sa1, const int sa2, const int sa3, const int sa4, const int sa5,
                           const int sb0, const int sb1, const int sb2, const int sb3, const int sb4, const int sb5) {
    int i = get_global_id(0);
    if (i >= n) return;
    const int d[RANK_MAX] = {d0, d1, d2, d3, d4, d5};
    const int sa[RANK_MAX] = {sa0, sa1, sa2, sa3, sa4, sa5};
    const int sb[RANK_MAX] = {sb0, sb1, sb2, sb3, sb4, sb5};
    int rest = i, oa = 0, ob = 0;
    for (int k = RANK_MAX - 1; k >= RANK_MAX - rank; k--) {
        int q = rest / d[k];
        int c = rest - q * d[k];
        rest = q;
        oa += c * sa[k];
        ob += c * sb[k];
    }
    y[i] = apply_bin(a[oa], b[ob], BINARY_OP_OF(op));
}
