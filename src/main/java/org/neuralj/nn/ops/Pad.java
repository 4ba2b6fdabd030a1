package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.PadMode;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX Pad: constant, reflect, edge or wrap; pads from the attribute (opset < 11) or constant inputs, with optional axes. */
public final class Pad implements Op {
    private final NodeInfo node;

    public Pad(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        long[] pads;
        float value = 0f;
        if (node.opset() < 11) {
            pads = node.getLongs("pads");
            value = node.getFloat("value", 0f);
        } else {
            if (in.size() < 2 || in.get(1) == null || !in.get(1).isConstant()) {
                throw new UnsupportedOperatorException(node + ": pads must be known when the model loads");
            }
            pads = in.get(1).longs();
            if (in.size() > 2 && in.get(2) != null) {
                if (!in.get(2).isConstant()) {
                    throw new UnsupportedOperatorException(node + ": constant_value must be a constant");
                }
                value = in.get(2).constant().length > 0 ? in.get(2).constant()[0] : 0f;
            }
        }
        long[] axes = null;
        if (in.size() > 3 && in.get(3) != null) {
            axes = in.get(3).longs();
        }
        int[] before = new int[rank];
        int[] after = new int[rank];
        int n = axes == null ? rank : axes.length;
        if (pads.length != 2 * n) {
            throw new UnsupportedOperatorException(node + ": " + pads.length + " pads for " + n + " axes");
        }
        for (int i = 0; i < n; i++) {
            int axis = axes == null ? i : Axes.normalize(axes[i], rank, node);
            before[axis] = (int) pads[i];
            after[axis] = (int) pads[i + n];
        }
        PadMode mode;
        switch (node.getString("mode", "constant")) {
            case "constant": mode = PadMode.CONSTANT; break;
            case "reflect": mode = PadMode.REFLECT; break;
            case "edge": mode = PadMode.EDGE; break;
            case "wrap": mode = PadMode.WRAP; break;
            default: throw new UnsupportedOperatorException(node + ": unknown pad mode '" + node.getString("mode", "") + "'");
        }
        int[] out = x.shape();
        for (int i = 0; i < rank; i++) {
            out[i] += before[i] + after[i];
        }
        float v = value;
        return Step.of(Meta.of(out, x.type()), (b, t) -> List.of(b.pad(t.get(0), before, after, mode, v)));
    }
}
