package org.neuralj.backend;

/** See the class name; the message names the tensor, device or parameter at fault. */
public class ShapeMismatchException extends NeuralJException {
    public ShapeMismatchException(String message) {
        super(message);
    }

    public ShapeMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
