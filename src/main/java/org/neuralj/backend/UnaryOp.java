package org.neuralj.backend;

/**
 * Element-wise functions of one tensor. {@code a} and {@code b} are the two float parameters of
 * {@link Activation}; every backend computes exactly these formulas (float32, {@code exp}/{@code log}
 * from the platform's maths library).
 */
public enum UnaryOp {
    /** y = x */
    IDENTITY,
    /** y = max(x, 0) */
    RELU,
    /** y = x >= 0 ? x : a*x */
    LEAKY_RELU,
    /** y = x > 0 ? x : a*(exp(x)-1) */
    ELU,
    /** y = b * (x > 0 ? x : a*(exp(x)-1))   (a = alpha, b = gamma) */
    SELU,
    /** y = 1/(1+exp(-x)) */
    SIGMOID,
    /** y = max(0, min(1, a*x + b)) */
    HARD_SIGMOID,
    /** y = x * max(0, min(1, x/6 + 0.5)) */
    HARD_SWISH,
    /** y = tanh(x) */
    TANH,
    /** y = min(max(x, a), b) */
    CLIP,
    /** y = sqrt(x) */
    SQRT,
    /** y = exp(x) */
    EXP,
    /** y = log(x) */
    LOG,
    /** y = -x */
    NEG,
    /** y = |x| */
    ABS,
    /** y = log(1+exp(x)) (computed stably: x > 20 ? x : log1p(exp(x))) */
    SOFTPLUS,
    /** y = x/(1+|x|) */
    SOFTSIGN,
    /** y = 1/x */
    RECIPROCAL,
    /** y = x > a ? x : 0 */
    THRESHOLDED_RELU,
    /** y = erf(x) */
    ERF,
    /** y = floor(x) */
    FLOOR,
    /** y = ceil(x) */
    CEIL,
    /** y = x rounded to nearest, ties to even */
    ROUND,
    /** y = x rounded toward zero (float to integer casts) */
    TRUNC,
    /** y = x != 0 ? 1 : 0 (casts to bool) */
    NOT_ZERO,
    /** y = x * a + b (affine; used for scaling and folded batch norm with scalar parameters) */
    AFFINE
}
