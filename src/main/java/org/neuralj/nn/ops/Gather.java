package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/** ONNX Gather along one axis; output shape x[:axis] + indices + x[axis+1:]. */
public final class Gather implements Op {
    private final NodeInfo node;

    public Gather(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int[] idx = in.get(1).shape();
        int axis = Axes.normalize(node.getInt("axis", 0), x.rank(), node);
        int[] s = x.shape();
        int[] out = new int[s.length - 1 + idx.length];
        int j = 0;
        for (int i = 0; i < axis; i++) {
            out[j++] = s[i];
        }
        for (int d : idx) {
            out[j++] = d;
        }
        for (int i = axis + 1; i < s.length; i++) {
            out[j++] = s[i];
        }
        return Step.of(Meta.of(out, x.type()), (b, t) -> List.of(b.gather(t.get(0), t.get(1), axis)));
    }
}
