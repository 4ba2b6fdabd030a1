package org.neuralj.nn.ops;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.DataType;

/**
 * ONNX ReduceMean/Sum/Max/Min/SumSquare (axes as attribute, or as input from opset 13/18, with
 * keepdims and noop_with_empty_axes), ArgMax/ArgMin (one axis) and GlobalAverage/MaxPool.
 */
public final class Reduce implements Op {
    public static final List<String> OP_TYPES = List.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
            "ReduceSumSquare", "ArgMax", "ArgMin", "GlobalAveragePool", "GlobalMaxPool");

    private final NodeInfo node;
    private final ReduceOp op;

    public Reduce(NodeInfo node) {
        this.node = node;
        switch (node.opType()) {
            case "ReduceMean": case "GlobalAveragePool": op = ReduceOp.MEAN; break;
            case "ReduceSum": op = ReduceOp.SUM; break;
            case "ReduceMax": case "GlobalMaxPool": op = ReduceOp.MAX; break;
            case "ReduceMin": op = ReduceOp.MIN; break;
            case "ReduceSumSquare": op = ReduceOp.SUM_SQUARE; break;
            case "ArgMax": op = ReduceOp.ARGMAX; break;
            case "ArgMin": op = ReduceOp.ARGMIN; break;
            default: throw new IllegalArgumentException(node.opType());
        }
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        boolean[] mask;
        boolean keep = node.getInt("keepdims", 1) != 0;
        if (node.opType().startsWith("Global")) {
            mask = new boolean[rank];
            for (int i = 2; i < rank; i++) {
                mask[i] = true;
            }
            keep = true;
        } else if (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) {
            mask = new boolean[rank];
            mask[Axes.normalize(node.getInt("axis", 0), rank, node)] = true;
        } else {
            long[] axes = null;
            if (in.size() > 1 && in.get(1) != null) {
                if (!in.get(1).isConstant()) {
                    throw new UnsupportedOperatorException(node + ": axes must be a constant input");
                }
                axes = in.get(1).longs();
            } else if (node.has("axes")) {
                axes = node.getLongs("axes");
            }
            if (axes == null || axes.length == 0) {
                if (node.getInt("noop_with_empty_axes", 0) != 0) {
                    return Step.of(x.withShape(x.shape()), (b, t) -> List.of(t.get(0).reshape(t.get(0).shape())));
                }
                mask = new boolean[rank];
                java.util.Arrays.fill(mask, true);
            } else {
                mask = Axes.mask(axes, rank, node);
            }
        }
        int[] kept = x.shape();
        List<Integer> dropped = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                kept[i] = 1;
                dropped.add(i);
            }
        }
        int[] outShape = keep ? kept : dropAxes(kept, mask);
        DataType type = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN ? DataType.INT64 : x.type();
        boolean[] m = mask;
        boolean keepDims = keep;
        boolean lastIndex = node.getInt("select_last_index", 0) != 0 && (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN);
        int[] xShape = x.shape();
        return Step.of(Meta.of(outShape, type), (b, t) -> {
            Tensor y = lastIndex ? lastIndexOfExtreme(b, t.get(0), xShape, m) : b.reduce(t.get(0), op, m);
            if (keepDims) {
                return List.of(y);
            }
            try (y) {
                return List.of(y.reshape(outShape));
            }
        });
    }

    /**
     * ArgMax/ArgMin with select_last_index: the first extreme of the axis read backwards (a strided
     * view with a negative stride), mapped back as n-1-i.
     */
    private Tensor lastIndexOfExtreme(org.neuralj.backend.Backend b, Tensor x, int[] shape, boolean[] mask) {
        int axis = 0;
        while (!mask[axis]) {
            axis++;
        }
        int[] strides = Tensor.stridesOf(shape);
        int n = shape[axis];
        int offset = (n - 1) * strides[axis];
        strides[axis] = -strides[axis];
        try (Tensor reversed = b.strided(x, offset, strides, shape);
             Tensor index = b.reduce(reversed, op, mask)) {
            return b.unary(index, new org.neuralj.backend.Activation(org.neuralj.backend.UnaryOp.AFFINE, -1f, n - 1f));
        }
    }

    private static int[] dropAxes(int[] shape, boolean[] mask) {
        int count = 0;
        for (boolean b : mask) {
            count += b ? 0 : 1;
        }
        int[] out = new int[count];
        int j = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!mask[i]) {
                out[j++] = shape[i];
            }
        }
        return out;
    }
}
