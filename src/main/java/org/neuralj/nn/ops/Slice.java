package org.neuralj.nn.ops;

import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * ONNX Slice (starts/ends/axes/steps as attributes before opset 10, constant inputs after), clamped
 * as numpy does, negative steps included; runs as a strided copy.
 */
public final class Slice implements Op {
    private final NodeInfo node;

    public Slice(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (node.opset() < 10) {
            starts = node.getLongs("starts");
            ends = node.getLongs("ends");
            axes = node.has("axes") ? node.getLongs("axes") : null;
            steps = null;
        } else {
            starts = input(in, 1, "starts");
            ends = input(in, 2, "ends");
            axes = in.size() > 3 && in.get(3) != null ? input(in, 3, "axes") : null;
            steps = in.size() > 4 && in.get(4) != null ? input(in, 4, "steps") : null;
        }
        int[] begin = new int[rank];
        int[] step = new int[rank];
        int[] shape = x.shape();
        int[] outShape = x.shape();
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int axis = Axes.normalize(axes == null ? i : axes[i], rank, node);
            long st = steps == null ? 1 : steps[i];
            if (st == 0) {
                throw new UnsupportedOperatorException(node + ": slice step 0 on axis " + axis);
            }
            long dim = shape[axis];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0) {
                s = clamp(s, 0, dim);
                e = clamp(e, 0, dim);
                outShape[axis] = (int) Math.max(0, (e - s + st - 1) / st);
            } else {
                s = clamp(s, 0, dim - 1);
                e = clamp(e, -1, dim - 1);
                outShape[axis] = (int) Math.max(0, (s - e + (-st) - 1) / (-st));
            }
            begin[axis] = (int) s;
            step[axis] = (int) st;
        }
        int[] xs = Tensor.stridesOf(shape);
        int offset = 0;
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            if (outShape[i] > 0) {
                offset += begin[i] * xs[i];
            }
            strides[i] = xs[i] * step[i];
        }
        int off = offset;
        return Step.of(Meta.of(outShape, x.type()), (b, t) -> List.of(b.strided(t.get(0), off, strides, outShape)));
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private long[] input(List<Meta> in, int i, String what) {
        if (in.size() <= i || in.get(i) == null || !in.get(i).isConstant()) {
            throw new UnsupportedOperatorException(node + ": Slice " + what + " must be known when the model loads");
        }
        return in.get(i).longs();
    }
}
