package org.neuralj.backend;

/** Element-wise functions of two tensors, with numpy broadcasting. */
public enum BinaryOp {
    /** y = a + b */
    ADD,
    /** y = a - b */
    SUB,
    /** y = a * b */
    MUL,
    /** y = a / b */
    DIV,
    /** y = pow(a, b) */
    POW,
    /** y = max(a, b) (NaN if either is NaN) */
    MAX,
    /** y = min(a, b) (NaN if either is NaN) */
    MIN,
    /** y = a >= 0 ? a : a * b (PRelu, b the slope) */
    PRELU
}
