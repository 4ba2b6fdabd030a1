package org.neuralj.nn.ops;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX Split: sizes from the attribute or constant input, else equal parts (the last one smaller, opset 18). */
public final class Split implements Op {
    private final NodeInfo node;

    public Split(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int axis = Axes.normalize(node.getInt("axis", 0), x.rank(), node);
        int parts = node.outputCount();
        long[] sizes = null;
        if (in.size() > 1 && in.get(1) != null) {
            if (!in.get(1).isConstant()) {
                throw new UnsupportedOperatorException(node + ": split sizes must be known when the model loads");
            }
            sizes = in.get(1).longs();
        } else if (node.has("split")) {
            sizes = node.getLongs("split");
        }
        int dim = x.dim(axis);
        if (sizes == null) {
            int n = node.has("num_outputs") ? node.getInt("num_outputs", parts) : parts;
            int each = (dim + n - 1) / n;
            sizes = new long[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = Math.max(0, Math.min(each, dim - (long) i * each));
            }
        }
        long total = 0;
        for (long s : sizes) {
            total += s;
        }
        if (total != dim || sizes.length != parts) {
            throw new UnsupportedOperatorException(node + ": split sizes " + java.util.Arrays.toString(sizes)
                    + " do not cover axis " + axis + " of size " + dim + " in " + parts + " outputs");
        }
        int[] xs = Tensor.stridesOf(x.shape());
        List<Meta> outs = new ArrayList<>();
        int[][] shapes = new int[parts][];
        int[] offsets = new int[parts];
        int start = 0;
        for (int i = 0; i < parts; i++) {
            shapes[i] = x.shape();
            shapes[i][axis] = (int) sizes[i];
            offsets[i] = start * xs[axis];
            start += (int) sizes[i];
            outs.add(Meta.of(shapes[i], x.type()));
        }
        return new Step(outs, (b, t) -> {
            List<Tensor> ys = new ArrayList<>();
            for (int i = 0; i < parts; i++) {
                ys.add(b.strided(t.get(0), offsets[i], xs, shapes[i]));
            }
            return ys;
        });
    }
}
