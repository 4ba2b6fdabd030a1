package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.DataType;

/**
 * ONNX Cast and CastLike. Data stays float32 on the device; a cast to an integer type truncates
 * toward zero, to bool maps non-zero to 1, to a float type copies.
 */
public final class Cast implements Op {
    private final NodeInfo node;

    public Cast(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        DataType to = node.opType().equals("CastLike") ? in.get(1).type() : DataType.fromCode(node.getInt("to", 1));
        if (to == null || !(to.isFloatingPoint() || to.isInteger())) {
            throw new UnsupportedOperatorException(node + ": cast to " + to + " is not supported");
        }
        UnaryOp f = to == DataType.BOOL ? UnaryOp.NOT_ZERO
                : to.isFloatingPoint() || !x.type().isFloatingPoint() ? UnaryOp.IDENTITY : UnaryOp.TRUNC;
        Activation act = Activation.of(f);
        return Step.of(Meta.of(x.shape(), to), (b, t) -> List.of(f == UnaryOp.IDENTITY
                ? t.get(0).reshape(t.get(0).shape()) : b.unary(t.get(0), act)));
    }
}
