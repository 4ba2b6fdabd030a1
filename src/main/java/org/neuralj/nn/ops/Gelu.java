package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * Activations that are products of simpler ones, run as a few element-wise passes: Gelu
 * (0.5 x (1 + erf(x/sqrt 2)), or the tanh approximation) and Mish (x tanh(softplus(x))).
 */
public final class Gelu implements Op {
    private final boolean mish;
    private final boolean tanhApproximation;

    public Gelu(NodeInfo node) {
        this.mish = node.opType().equals("Mish");
        String approximate = node.getString("approximate", "none");
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new UnsupportedOperatorException(node + ": unknown approximate='" + approximate + "'");
        }
        this.tanhApproximation = approximate.equals("tanh");
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        return Step.of(Meta.of(x.shape(), x.type()), (b, t) -> List.of(mish ? mish(b, t.get(0)) : gelu(b, t.get(0))));
    }

    private static Tensor mish(Backend b, Tensor x) {
        try (Tensor sp = b.unary(x, Activation.of(UnaryOp.SOFTPLUS)); Tensor th = b.unary(sp, Activation.of(UnaryOp.TANH))) {
            return b.binary(x, th, BinaryOp.MUL);
        }
    }

    private Tensor gelu(Backend b, Tensor x) {
        try (Temporaries temps = new Temporaries()) {
            Tensor inner;
            if (tanhApproximation) {
                // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
                Tensor x2 = temps.keep(b.binary(x, x, BinaryOp.MUL));
                Tensor x3 = temps.keep(b.binary(x2, x, BinaryOp.MUL));
                Tensor cubic = temps.keep(b.unary(x3, new Activation(UnaryOp.AFFINE, 0.044715f, 0f)));
                Tensor sum = temps.keep(b.binary(x, cubic, BinaryOp.ADD));
                Tensor scaled = temps.keep(b.unary(sum, new Activation(UnaryOp.AFFINE, (float) Math.sqrt(2 / Math.PI), 0f)));
                inner = temps.keep(b.unary(scaled, Activation.of(UnaryOp.TANH)));
            } else {
                Tensor scaled = temps.keep(b.unary(x, new Activation(UnaryOp.AFFINE, (float) (1 / Math.sqrt(2)), 0f)));
                inner = temps.keep(b.unary(scaled, Activation.of(UnaryOp.ERF)));
            }
            Tensor half = temps.keep(b.unary(inner, new Activation(UnaryOp.AFFINE, 0.5f, 0.5f)));
            return b.binary(x, half, BinaryOp.MUL);
        }
    }

}
