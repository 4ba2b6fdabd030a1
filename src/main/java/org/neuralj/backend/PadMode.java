package org.neuralj.backend;

/** How {@link Backend#pad} fills the border (ONNX Pad modes). */
public enum PadMode {
    /** a constant value */
    CONSTANT,
    /** mirror without repeating the edge: ... 2 1 | 0 1 2 ... */
    REFLECT,
    /** repeat the edge value: 0 0 | 0 1 2 (ImageJ's behaviour) */
    EDGE,
    /** periodic: ... n-2 n-1 | 0 1 2 ... */
    WRAP
}
