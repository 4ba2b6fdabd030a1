package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/**
 * ONNX Softmax and LogSoftmax. From opset 13 along one axis (default -1); before 13 the input is
 * flattened to 2-D at {@code axis} (default 1) and normalised over everything after it.
 */
public final class Softmax implements Op {
    private final NodeInfo node;
    private final boolean log;

    public Softmax(NodeInfo node) {
        this.node = node;
        this.log = node.opType().equals("LogSoftmax");
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int[] shape = x.shape();
        if (node.opset() >= 13) {
            int axis = Axes.normalize(node.getInt("axis", -1), x.rank(), node);
            return Step.of(Meta.of(shape, x.type()), (b, t) -> List.of(b.softmax(t.get(0), axis, log)));
        }
        int axis = Axes.normalize(node.getInt("axis", 1), Math.max(1, x.rank()), node);
        int outer = Axes.product(shape, 0, axis);
        int inner = Axes.product(shape, axis, shape.length);
        return Step.of(Meta.of(shape, x.type()), (b, t) -> {
            try (Tensor flat = t.get(0).reshape(outer, inner); Tensor y = b.softmax(flat, 1, log)) {
                return List.of(y.reshape(shape));
            }
        });
    }
}
