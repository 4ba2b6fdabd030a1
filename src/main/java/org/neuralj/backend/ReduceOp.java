package org.neuralj.backend;

/** Reductions over a set of axes. */
public enum ReduceOp {
    SUM,
    MEAN,
    MAX,
    MIN,
    /** sum of squares */
    SUM_SQUARE,
    /** the index (as a float) of the first largest value; only over exactly one axis */
    ARGMAX,
    /** the index (as a float) of the first smallest value; only over exactly one axis */
    ARGMIN
}
