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

/** ONNX Concat along one axis. */
public final class Concat implements Op {
    private final NodeInfo node;

    public Concat(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        int rank = in.get(0).rank();
        int axis = Axes.normalize(node.getInt("axis", 0), rank, node);
        int[] out = in.get(0).shape();
        out[axis] = 0;
        for (Meta m : in) {
            int[] s = m.shape();
            for (int i = 0; i < rank; i++) {
                if (i != axis && (s.length != rank || s[i] != out[i])) {
                    throw new ShapeMismatchException(node + ": cannot concatenate " + Arrays.toString(s)
                            + " with " + Arrays.toString(in.get(0).shape()) + " along axis " + axis);
                }
            }
            out[axis] += s[axis];
        }
        return Step.of(Meta.of(out, in.get(0).type()), (b, t) -> {
            List<Tensor> parts = new ArrayList<>();
            for (Tensor x : t) {
                if (x.dim(axis) > 0) {
                    parts.add(x);
                }
            }
            return List.of(parts.size() == 1 ? parts.get(0).reshape(parts.get(0).shape()) : b.concat(parts, axis));
        });
    }
}
