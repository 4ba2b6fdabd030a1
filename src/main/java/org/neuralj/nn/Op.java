package org.neuralj.nn;

import java.util.List;

/**
 * One ONNX operator with its attributes parsed (at model load). {@link #prepare} is the shape rule:
 * from the inputs' metadata (null for an absent optional input) it computes the outputs' metadata and
 * returns the kernel call, resolving everything that depends on input shapes (auto_pad, axes, sizes).
 * Inputs that decide output shapes (Reshape's shape, Slice's starts, ...) must be constants then.
 */
public interface Op {
    Step prepare(List<Meta> inputs);
}
