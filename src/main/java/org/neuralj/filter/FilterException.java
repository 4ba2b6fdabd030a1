package org.neuralj.filter;

import org.neuralj.backend.NeuralJException;

/** A filter parameter or kernel that cannot be used; the message names it and says what is allowed. */
public class FilterException extends NeuralJException {
    public FilterException(String message) {
        super(message);
    }
}
