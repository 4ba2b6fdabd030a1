package org.neuralj.nn;

import org.neuralj.backend.NeuralJException;

/** An operator, attribute or input form NeuralJ does not run; the message names the op and the node. */
public class UnsupportedOperatorException extends NeuralJException {
    public UnsupportedOperatorException(String message) {
        super(message);
    }
}
