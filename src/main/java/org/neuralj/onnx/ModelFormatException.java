package org.neuralj.onnx;

import org.neuralj.backend.NeuralJException;

/**
 * A model (or tensor) file that cannot be read: missing, empty, truncated, not protobuf, or missing a
 * part the engine needs. The message names the file and what is wrong, e.g.
 * {@code "model.onnx: truncated at byte 1234 while reading GraphProto.node"}.
 */
public class ModelFormatException extends NeuralJException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
