package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX Clip: bounds from attributes (opset < 11) or from constant inputs min and max (opset >= 11). */
public final class Clip implements Op {
    private final NodeInfo node;

    public Clip(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        float lo = node.getFloat("min", Float.NEGATIVE_INFINITY);
        float hi = node.getFloat("max", Float.POSITIVE_INFINITY);
        if (in.size() > 1 && in.get(1) != null) {
            lo = scalar(in.get(1), "min");
        }
        if (in.size() > 2 && in.get(2) != null) {
            hi = scalar(in.get(2), "max");
        }
        Activation f = new Activation(UnaryOp.CLIP, lo, hi);
        Meta x = in.get(0);
        return Step.of(Meta.of(x.shape(), x.type()), (b, t) -> List.of(b.unary(t.get(0), f)));
    }

    private float scalar(Meta m, String what) {
        if (!m.isConstant() || m.constant().length != 1) {
            throw new UnsupportedOperatorException(node + ": Clip " + what + " must be a constant scalar");
        }
        return m.constant()[0];
    }
}
