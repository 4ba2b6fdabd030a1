package org.neuralj.backend;

/** A {@link UnaryOp} with its two parameters; also the fused epilogue of a convolution. */
public record Activation(UnaryOp op, float a, float b) {
    public static final Activation NONE = new Activation(UnaryOp.IDENTITY, 0, 0);

    public Activation {
        if (op == null) {
            throw new IllegalArgumentException("activation op must not be null");
        }
    }

    public static Activation of(UnaryOp op) {
        return new Activation(op, 0, 0);
    }

    public boolean isIdentity() {
        return op == UnaryOp.IDENTITY;
    }
}
