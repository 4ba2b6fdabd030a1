package org.neuralj.backend;

/** Base of every exception NeuralJ throws on purpose; its message is meant for the user. */
public class NeuralJException extends RuntimeException {
    public NeuralJException(String message) {
        super(message);
    }

    public NeuralJException(String message, Throwable cause) {
        super(message, cause);
    }
}
