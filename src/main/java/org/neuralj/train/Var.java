package org.neuralj.train;

import org.neuralj.backend.Tensor;

/**
 * A value recorded on a {@link Tape}: its tensor on the backend, and after {@link Tape#backward} its
 * gradient when it is a leaf that asked for one ({@link Tape#input(Tensor, boolean)}). Values are
 * owned by the tape (closed with it), except inputs and parameters, which stay their owners'.
 */
public final class Var {
    /** The backward rule of the op that made a value: gets dL/dy (owned by the tape) and sends on. */
    interface Backward {
        void run(Tensor dy);
    }

    final Tape tape;
    final Tensor value;
    final boolean owned;
    final boolean requiresGrad;
    final Parameter parameter;
    Backward backward;
    Tensor grad;
    String onnxName;

    Var(Tape tape, Tensor value, boolean owned, boolean requiresGrad, Parameter parameter) {
        this.tape = tape;
        this.value = value;
        this.owned = owned;
        this.requiresGrad = requiresGrad;
        this.parameter = parameter;
    }

    public Tensor value() {
        return value;
    }

    public int[] shape() {
        return value.shape();
    }

    public int dim(int axis) {
        return value.dim(axis);
    }

    /** The value on the host. */
    public float[] download() {
        return value.backend().download(value);
    }

    /** The gradient of a leaf input after {@link Tape#backward}, or null (still owned by the tape). */
    public Tensor grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The parameter behind this value, or null. */
    public Parameter parameter() {
        return parameter;
    }
}
