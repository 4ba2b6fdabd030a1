package org.neuralj.nn.ops;

import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxTensor;

/**
 * The ops whose output is known when the model loads: Constant, ConstantOfShape (shape must be
 * known) and Shape (of any value, since shapes are inferred at load). They never run on a device.
 */
public final class Constants implements Op {
    public static final List<String> OP_TYPES = List.of("Constant", "ConstantOfShape", "Shape");

    /** The largest constant a model may ask to create (1 GiB of float32). */
    static final long MAX_CONSTANT_ELEMENTS = 1L << 28;

    private final NodeInfo node;

    public Constants(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        switch (node.opType()) {
            case "Constant":
                return Step.constant(List.of(constant()));
            case "ConstantOfShape": {
                if (!in.get(0).isConstant()) {
                    throw new UnsupportedOperatorException(node + ": the shape must be known when the model loads");
                }
                long[] dims = in.get(0).longs();
                long count = 1;
                for (long d : dims) {
                    if (d < 0) {
                        throw new org.neuralj.backend.ShapeMismatchException(node + ": negative dimension in shape " + Arrays.toString(dims));
                    }
                    count = Math.multiplyHigh(count, d) != 0 ? Long.MAX_VALUE : count * d;
                }
                if (count > MAX_CONSTANT_ELEMENTS) {
                    throw new org.neuralj.backend.ShapeMismatchException(node + ": a constant of shape " + Arrays.toString(dims)
                            + " would hold " + count + " values (more than " + MAX_CONSTANT_ELEMENTS + "); refused before allocating it");
                }
                int[] shape = Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
                float value = 0f;
                DataType type = DataType.FLOAT;
                if (node.has("value")) {
                    OnnxTensor v = node.getTensor("value");
                    value = v.toFloats()[0];
                    type = v.dataType();
                }
                float[] data = new float[Tensor.elementCount(shape)];
                Arrays.fill(data, value);
                return Step.constant(List.of(Meta.constant(shape, type, data)));
            }
            case "Shape": {
                int[] s = in.get(0).shape();
                int rank = s.length;
                int start = node.getInt("start", 0);
                int end = node.getInt("end", rank);
                start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
                end = Math.max(start, Math.min(rank, end < 0 ? end + rank : end));
                float[] data = new float[end - start];
                for (int i = start; i < end; i++) {
                    data[i - start] = s[i];
                }
                return Step.constant(List.of(Meta.constant(new int[] {data.length}, DataType.INT64, data)));
            }
            default:
                throw new IllegalStateException(node.opType());
        }
    }

    private Meta constant() {
        if (node.has("value")) {
            OnnxTensor t = node.getTensor("value");
            return Meta.constant(toInts(t.dims()), t.dataType(), t.toFloats());
        }
        if (node.has("value_float")) {
            return Meta.constant(new int[0], DataType.FLOAT, new float[] {node.getFloat("value_float", 0f)});
        }
        if (node.has("value_floats")) {
            float[] v = node.getFloats("value_floats");
            return Meta.constant(new int[] {v.length}, DataType.FLOAT, v);
        }
        if (node.has("value_int")) {
            return Meta.constant(new int[0], DataType.INT64, new float[] {node.getInt("value_int", 0)});
        }
        if (node.has("value_ints")) {
            long[] v = node.getLongs("value_ints");
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = v[i];
            }
            return Meta.constant(new int[] {v.length}, DataType.INT64, f);
        }
        throw new UnsupportedOperatorException(node + ": Constant without a numeric value (sparse and string constants are not supported)");
    }

    static int[] toInts(long[] dims) {
        return Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
    }
}
