package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/**
 * The element-wise ONNX activations and maths functions that map to one {@link UnaryOp}: Relu,
 * LeakyRelu, Elu, Selu, Sigmoid, HardSigmoid, HardSwish, Tanh, Sqrt, Exp, Log, Neg, Abs, Softplus,
 * Softsign, ThresholdedRelu, Erf, Floor, Ceil, Round, Reciprocal. Shape and type pass through.
 * (One class for the family: each member is one line of parameters, not a separate algorithm.)
 */
public final class Unary implements Op {
    private final Activation f;

    public Unary(Activation f) {
        this.f = f;
    }

    /** The activation an ONNX node of this family computes, with its attribute defaults. */
    public static Activation activationOf(NodeInfo n) {
        switch (n.opType()) {
            case "Relu": return Activation.of(UnaryOp.RELU);
            case "LeakyRelu": return new Activation(UnaryOp.LEAKY_RELU, n.getFloat("alpha", 0.01f), 0);
            case "Elu": return new Activation(UnaryOp.ELU, n.getFloat("alpha", 1f), 0);
            case "Selu": return new Activation(UnaryOp.SELU, n.getFloat("alpha", 1.67326319217681884765625f),
                    n.getFloat("gamma", 1.05070102214813232421875f));
            case "Sigmoid": return Activation.of(UnaryOp.SIGMOID);
            case "HardSigmoid": return new Activation(UnaryOp.HARD_SIGMOID, n.getFloat("alpha", 0.2f), n.getFloat("beta", 0.5f));
            case "HardSwish": return Activation.of(UnaryOp.HARD_SWISH);
            case "Tanh": return Activation.of(UnaryOp.TANH);
            case "Sqrt": return Activation.of(UnaryOp.SQRT);
            case "Exp": return Activation.of(UnaryOp.EXP);
            case "Log": return Activation.of(UnaryOp.LOG);
            case "Neg": return Activation.of(UnaryOp.NEG);
            case "Abs": return Activation.of(UnaryOp.ABS);
            case "Softplus": return Activation.of(UnaryOp.SOFTPLUS);
            case "Softsign": return Activation.of(UnaryOp.SOFTSIGN);
            case "ThresholdedRelu": return new Activation(UnaryOp.THRESHOLDED_RELU, n.getFloat("alpha", 1f), 0);
            case "Erf": return Activation.of(UnaryOp.ERF);
            case "Floor": return Activation.of(UnaryOp.FLOOR);
            case "Ceil": return Activation.of(UnaryOp.CEIL);
            case "Round": return Activation.of(UnaryOp.ROUND);
            case "Reciprocal": return Activation.of(UnaryOp.RECIPROCAL);
            default: throw new IllegalArgumentException("not a unary op: " + n.opType());
        }
    }

    public static final List<String> OP_TYPES = List.of("Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid",
            "HardSigmoid", "HardSwish", "Tanh", "Sqrt", "Exp", "Log", "Neg", "Abs", "Softplus", "Softsign",
            "ThresholdedRelu", "Erf", "Floor", "Ceil", "Round", "Reciprocal");

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        return Step.of(Meta.of(x.shape(), x.type()), (b, t) -> List.of(b.unary(t.get(0), f)));
    }
}
