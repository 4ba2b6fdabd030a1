package org.neuralj.train;

import java.util.List;

/**
 * A differentiable building block of a network: it runs its forward pass on a {@link Tape} (which
 * records the backward) and owns its {@link Parameter}s. Composite layers ({@link Sequential},
 * {@link Residual}, or a custom class such as a U-Net) call their children's {@code forward} and list
 * their parameters. A layer's mode (train / eval) is the tape's.
 */
public interface Layer extends AutoCloseable {

    Var forward(Tape tape, Var x);

    /** Every parameter and buffer of this layer and its children, in a fixed order. */
    List<Parameter> parameters();

    /** Closes every parameter. */
    @Override
    default void close() {
        parameters().forEach(Parameter::close);
    }
}
