package org.neuralj.nn.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * The ops that only change the shape and share the data (no copy): Reshape, Flatten, Squeeze,
 * Unsqueeze, and the inference no-ops Identity and Dropout.
 */
public final class Reshape implements Op {
    public static final List<String> OP_TYPES = List.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout");

    private final NodeInfo node;

    public Reshape(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int[] shape = newShape(x, in);
        if (Tensor.elementCount(shape) != Tensor.elementCount(x.shape())) {
            throw new ShapeMismatchException(node + ": cannot reshape " + Arrays.toString(x.shape()) + " to " + Arrays.toString(shape));
        }
        Meta out = new Meta(shape, x.type(), x.constant());
        List<Meta> outs = new ArrayList<>();
        outs.add(out);
        if (node.opType().equals("Dropout") && node.outputCount() > 1) {
            // the mask output: all true in inference
            float[] ones = new float[Tensor.elementCount(shape)];
            Arrays.fill(ones, 1f);
            outs.add(Meta.constant(shape, org.neuralj.onnx.DataType.BOOL, ones));
        }
        if (out.isConstant()) {
            return Step.constant(outs);
        }
        return new Step(outs, (b, t) -> List.of(t.get(0).reshape(shape)));
    }

    private int[] newShape(Meta x, List<Meta> in) {
        int[] s = x.shape();
        switch (node.opType()) {
            case "Identity":
            case "Dropout":
                return s;
            case "Flatten": {
                int axis = node.getInt("axis", 1);
                axis = axis < 0 ? axis + s.length : axis;
                if (axis < 0 || axis > s.length) {
                    throw new UnsupportedOperatorException(node + ": axis " + node.getInt("axis", 1) + " out of range for rank " + s.length);
                }
                return new int[] {Axes.product(s, 0, axis), Axes.product(s, axis, s.length)};
            }
            case "Reshape":
                return reshape(s, constantInput(in, 1, "shape"), node.getInt("allowzero", 0) != 0);
            case "Squeeze": {
                long[] axes = axesArgument(in);
                List<Integer> out = new ArrayList<>();
                boolean[] drop = axes == null ? null : Axes.mask(axes, s.length, node);
                for (int i = 0; i < s.length; i++) {
                    boolean squeeze = drop == null ? s[i] == 1 : drop[i];
                    if (squeeze && s[i] != 1) {
                        throw new ShapeMismatchException(node + ": cannot squeeze axis " + i + " of size " + s[i]);
                    }
                    if (!squeeze) {
                        out.add(s[i]);
                    }
                }
                return out.stream().mapToInt(Integer::intValue).toArray();
            }
            case "Unsqueeze": {
                long[] axes = axesArgument(in);
                if (axes == null) {
                    throw new UnsupportedOperatorException(node + ": Unsqueeze needs axes");
                }
                int rank = s.length + axes.length;
                boolean[] inserted = Axes.mask(axes, rank, node);
                int[] out = new int[rank];
                for (int i = 0, j = 0; i < rank; i++) {
                    out[i] = inserted[i] ? 1 : s[j++];
                }
                return out;
            }
            default:
                throw new IllegalStateException(node.opType());
        }
    }

    /** Axes from the attribute (older opsets) or the second input (opset 13). */
    private long[] axesArgument(List<Meta> in) {
        if (in.size() > 1 && in.get(1) != null) {
            return constantInput(in, 1, "axes");
        }
        return node.has("axes") ? node.getLongs("axes") : null;
    }

    private long[] constantInput(List<Meta> in, int index, String what) {
        if (in.size() <= index || in.get(index) == null || !in.get(index).isConstant()) {
            throw new UnsupportedOperatorException(node + ": input '" + what + "' must be known when the model loads"
                    + " (a constant or computed from shapes)");
        }
        return in.get(index).longs();
    }

    /** ONNX Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred. */
    static int[] reshape(int[] in, long[] spec, boolean allowZero) {
        int[] out = new int[spec.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < spec.length; i++) {
            if (spec[i] == -1) {
                if (infer >= 0) {
                    throw new ShapeMismatchException("Reshape shape " + Arrays.toString(spec) + " has two -1");
                }
                infer = i;
                continue;
            }
            out[i] = spec[i] == 0 && !allowZero ? in[i] : (int) spec[i];
            known *= out[i];
        }
        if (infer >= 0) {
            long total = Tensor.elementCount(in);
            if (known == 0 || total % known != 0) {
                throw new ShapeMismatchException("cannot reshape " + Arrays.toString(in) + " to " + Arrays.toString(spec));
            }
            out[infer] = (int) (total / known);
        }
        return out;
    }
}
