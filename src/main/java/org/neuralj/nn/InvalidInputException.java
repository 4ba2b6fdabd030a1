package org.neuralj.nn;

import org.neuralj.backend.NeuralJException;

/** Input data a model cannot take (NaN or infinite values, a missing input); the message names the tensor. */
public class InvalidInputException extends NeuralJException {
    public InvalidInputException(String message) {
        super(message);
    }
}
