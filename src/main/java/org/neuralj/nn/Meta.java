package org.neuralj.nn;

import java.util.Arrays;
import org.neuralj.onnx.DataType;

/**
 * What the planner knows about a value before it runs: its shape, its element type and, for
 * constants (weights, folded shape sub-graphs), its data. All data is float32 on the device; integer
 * values (shapes, indices) are exact as floats up to 2^24.
 */
public record Meta(int[] shape, DataType type, float[] constant) {

    public Meta {
        shape = shape.clone();
    }

    /** A copy: ops build their output shapes from it. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    public static Meta of(int[] shape, DataType type) {
        return new Meta(shape, type, null);
    }

    public static Meta constant(int[] shape, DataType type, float[] data) {
        return new Meta(shape, type, data);
    }

    public boolean isConstant() {
        return constant != null;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis < 0 ? axis + shape.length : axis];
    }

    /** The constant as exact integers (shape arguments such as Reshape's shape or Slice's starts). */
    public long[] longs() {
        long[] out = new long[constant.length];
        for (int i = 0; i < out.length; i++) {
            float v = constant[i];
            out[i] = v >= 9.2e18f ? Long.MAX_VALUE : v <= -9.2e18f ? Long.MIN_VALUE : (long) v;
        }
        return out;
    }

    public Meta withShape(int[] newShape) {
        return new Meta(newShape, type, constant);
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape) + (constant != null ? " const" : "");
    }
}
