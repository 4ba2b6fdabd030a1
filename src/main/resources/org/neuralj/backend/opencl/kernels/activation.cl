// NeuralJ OpenCL: the element-wise functions of UnaryOp / Activation, shared by elementwise.cl,
// conv.cl and conv_transpose.cl. Included with #include "activation.cl": the backend inlines it when it
// loads a program from the class path; for a standalone compile pass -I <this folder>.
// The op codes are the ACT_* numbers below; OpenClBackend.actCode maps UnaryOp to them.
#ifndef NEURALJ_ACTIVATION_CL
#define NEURALJ_ACTIVATION_CL

#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_ELU 3
#define ACT_SELU 4
#define ACT_SIGMOID 5
#define ACT_HARD_SIGMOID 6
#define ACT_HARD_SWISH 7
#define ACT_TANH 8
#define ACT_CLIP 9
#define ACT_SQRT 10
#define ACT_EXP 11
#define ACT_LOG 12
#define ACT_NEG 13
#define ACT_ABS 14
#define ACT_SOFTPLUS 15
#define ACT_SOFTSIGN 16
#define ACT_RECIPROCAL 17
#define ACT_THRESHOLDED_RELU 18
#define ACT_ERF 19
#define ACT_FLOOR 20
#define ACT_CEIL 21
#define ACT_ROUND 22
#define ACT_TRUNC 23
#define ACT_NOT_ZERO 24
#define ACT_AFFINE 25

// y = f(x) with the two parameters a, b of Activation (formulas as in UnaryOp's Javadoc).
// Comparisons are written so that NaN propagates the way Java's Math.max/min do.
inline float apply_act(float x, int op, float a, float b) {
    switch (op) {
        case ACT_IDENTITY: return x;
        case ACT_RELU: return x < 0.0f ? 0.0f : x;
        case ACT_LEAKY_RELU: return x >= 0.0f ? x : a * x;
        case ACT_ELU: return x > 0.0f ? x : a * (exp(x) - 1.0f);
        case ACT_SELU: return b * (x > 0.0f ? x : a * (exp(x) - 1.0f));
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
        case ACT_HARD_SIGMOID: { float v = a * x + b; v = v > 1.0f ? 1.0f : v; return v < 0.0f ? 0.0f : v; }
        case ACT_HARD_SWISH: { float v = x / 6.0f + 0.5f; v = v > 1.0f ? 1.0f : v; v = v < 0.0f ? 0.0f : v; return x * v; }
        case ACT_TANH: return tanh(x);
        case ACT_CLIP: { float v = x < a ? a : x; return v > b ? b : v; }
        case ACT_SQRT: return sqrt(x);
        case ACT_EXP: return exp(x);
        case ACT_LOG: return log(x);
        case ACT_NEG: return -x;
        case ACT_ABS: return fabs(x);
        case ACT_SOFTPLUS: return x > 20.0f ? x : log1p(exp(x));
        case ACT_SOFTSIGN: return x / (1.0f + fabs(x));
        case ACT_RECIPROCAL: return 1.0f / x;
        case ACT_THRESHOLDED_RELU: return x > a ? x : 0.0f;
        case ACT_ERF: return erf(x);
        case ACT_FLOOR: return floor(x);
        case ACT_CEIL: return ceil(x);
        case ACT_ROUND: return rint(x);
        case ACT_TRUNC: return trunc(x);
        case ACT_NOT_ZERO: return x != 0.0f ? 1.0f : 0.0f;
        case ACT_AFFINE: return x * a + b;
        default: return NAN;
    }
}

#endif
