package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX Expand: broadcast to a shape (numpy rules, so the result may be larger than asked), as a strided copy with 0 strides. */
public final class Expand implements Op {
    private final NodeInfo node;

    public Expand(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        if (!in.get(1).isConstant()) {
            throw new UnsupportedOperatorException(node + ": Expand's shape must be known when the model loads");
        }
        long[] target = in.get(1).longs();
        int[] t = new int[target.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) target[i];
        }
        int[] out = Backend.broadcastShape(x.shape(), t);
        int[] strides = Backend.broadcastStrides(x.shape(), out);
        return Step.of(Meta.of(out, x.type()), (b, ts) -> List.of(b.strided(ts.get(0), 0, strides, out)));
    }
}
