package org.neuralj.train;

import java.util.Arrays;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.Tensor;

/**
 * A named tensor of a network that lives on the backend: a trainable weight (with its gradient, also
 * on the backend, summed over every use until {@link #zeroGrad()}) or a buffer (BatchNorm's running
 * statistics: saved, exported, never trained). The name is the ONNX initializer name on export and the
 * key in a {@link Checkpoint}. Values are replaced, never written in place, so views stay valid.
 */
public final class Parameter implements AutoCloseable {
    /** What a parameter is, for optimisers (weight decay) and export. */
    public enum Kind {
        /** a trained weight that weight decay applies to (conv and dense kernels) */
        WEIGHT,
        /** a trained parameter without weight decay (biases, BatchNorm scale and shift) */
        BIAS,
        /** state that is not trained (running mean / variance) */
        BUFFER
    }

    private final String name;
    private final Kind kind;
    private final int[] shape;
    private Tensor value;
    private Tensor grad;
    private boolean frozen;

    public Parameter(String name, Kind kind, Tensor value) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a parameter needs a name");
        }
        this.name = name;
        this.kind = kind;
        this.shape = value.shape();
        this.value = value;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return Tensor.elementCount(shape);
    }

    public Backend backend() {
        return value.backend();
    }

    /** The current value (owned by this parameter; do not close). */
    public Tensor value() {
        return value;
    }

    /** The summed gradient since the last {@link #zeroGrad()}, or null when none arrived. */
    public Tensor grad() {
        return grad;
    }

    /** True for weights and biases that are not frozen. */
    public boolean trainable() {
        return kind != Kind.BUFFER && !frozen;
    }

    /** Frozen parameters get no gradient and are not updated (transfer learning). */
    public Parameter freeze(boolean frozen) {
        this.frozen = frozen;
        return this;
    }

    public boolean frozen() {
        return frozen;
    }

    /** Replaces the value by {@code t} (same shape), taking ownership; the old value is closed. */
    public void set(Tensor t) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + ": new value " + Arrays.toString(t.shape()) + " != "
                    + Arrays.toString(shape));
        }
        if (t == value) {
            return;
        }
        Tensor old = value;
        value = t;
        old.close();
    }

    /** Replaces the value by host data (an upload). */
    public void load(float[] data) {
        set(value.backend().upload(data, shape));
    }

    /** The value on the host (a download). */
    public float[] download() {
        return value.backend().download(value);
    }

    /** Adds {@code g} (same shape, taken over) to the gradient. */
    void accumulate(Tensor g) {
        if (!Arrays.equals(g.shape(), shape)) {
            Tensor r = g.reshape(shape);
            g.close();
            g = r;
        }
        if (grad == null) {
            grad = g;
        } else {
            Tensor sum = value.backend().binary(grad, g, BinaryOp.ADD);
            grad.close();
            g.close();
            grad = sum;
        }
    }

    /** Replaces the gradient (for clipping); takes ownership. */
    void setGrad(Tensor g) {
        if (grad != null && grad != g) {
            grad.close();
        }
        grad = g;
    }

    /** Drops the gradient. */
    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    @Override
    public void close() {
        zeroGrad();
        value.close();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (kind == Kind.WEIGHT ? "" : " " + kind.name().toLowerCase()) + (frozen ? " frozen" : "");
    }
}
