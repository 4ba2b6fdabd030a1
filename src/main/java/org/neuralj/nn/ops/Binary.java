package org.neuralj.nn.ops;

import java.util.ArrayList;
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

/**
 * Element-wise ONNX ops on two or more tensors with numpy broadcasting: Add, Sub, Mul, Div, Pow,
 * PRelu, and the variadic Max, Min, Sum, Mean. Integer division truncates, as ONNX asks.
 */
public final class Binary implements Op {
    public static final List<String> OP_TYPES = List.of("Add", "Sub", "Mul", "Div", "Pow", "PRelu", "Max", "Min", "Sum", "Mean");

    private final String opType;
    private final int opset;
    private Activation after = Activation.NONE;

    public Binary(NodeInfo node) {
        this.opType = node.opType();
        this.opset = node.opset();
    }

    /**
     * Whether an activation reading this op's output can run in its pass instead (the graph optimiser's fusion): for
     * the two-input float ops, not Mean (its scaling comes after) nor the old per-channel PRelu.
     */
    public boolean fusable() {
        return List.of("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum").contains(opType);
    }

    /** Fuses an element-wise activation into this op's pass (see {@link #fusable}). */
    public void fuse(Activation act) {
        this.after = act;
    }

    @Override
    public Step prepare(List<Meta> in) {
        if (opType.equals("PRelu") && opset < 7 && in.get(1).rank() == 1 && in.get(0).rank() > 2
                && in.get(1).dim(0) == in.get(0).dim(1) && in.get(1).dim(0) > 1) {
            return perChannelPrelu(in);
        }
        int[] shape = in.get(0).shape();
        for (int i = 1; i < in.size(); i++) {
            shape = Backend.broadcastShape(shape, in.get(i).shape());
        }
        Meta out = Meta.of(shape, in.get(0).type());
        boolean integerDivision = opType.equals("Div") && !in.get(0).type().isFloatingPoint();
        int count = in.size();
        boolean fused = !after.isIdentity();
        if (fused && (count != 2 || integerDivision || !fusable())) {
            throw new IllegalStateException(opType + ": an activation is fused only into a two-input float " + opType);
        }
        return Step.of(out, (b, t) -> {
            if (fused) {
                List<Tensor> result = new ArrayList<>(1);
                result.add(b.binary(t.get(0), t.get(1), op(), after));
                return result;
            }
            Tensor acc = b.binary(t.get(0), count > 1 ? t.get(1) : t.get(0), count > 1 ? op() : BinaryOp.MAX);
            for (int i = 2; i < count; i++) {
                Tensor next = b.binary(acc, t.get(i), op());
                acc.close();
                acc = next;
            }
            if (opType.equals("Mean") && count > 1) {
                Tensor mean = b.unary(acc, new Activation(UnaryOp.AFFINE, 1f / count, 0f));
                acc.close();
                acc = mean;
            }
            if (integerDivision) {
                Tensor truncated = b.unary(acc, Activation.of(UnaryOp.TRUNC));
                acc.close();
                acc = truncated;
            }
            List<Tensor> result = new ArrayList<>(1);
            result.add(acc);
            return result;
        });
    }

    /** PRelu before opset 7: a 1-D slope of C values applies per channel (axis 1), not to the last axis. */
    private Step perChannelPrelu(List<Meta> in) {
        int[] slopeShape = new int[in.get(0).rank() - 1];
        java.util.Arrays.fill(slopeShape, 1);
        slopeShape[0] = in.get(1).dim(0);
        return Step.of(Meta.of(in.get(0).shape(), in.get(0).type()), (b, t) -> {
            try (Tensor slope = t.get(1).reshape(slopeShape)) {
                return List.of(b.binary(t.get(0), slope, BinaryOp.PRELU));
            }
        });
    }

    private BinaryOp op() {
        switch (opType) {
            case "Add":
            case "Sum":
            case "Mean":
                return BinaryOp.ADD;
            case "Sub": return BinaryOp.SUB;
            case "Mul": return BinaryOp.MUL;
            case "Div": return BinaryOp.DIV;
            case "Pow": return BinaryOp.POW;
            case "PRelu": return BinaryOp.PRELU;
            case "Max": return BinaryOp.MAX;
            case "Min": return BinaryOp.MIN;
            default: throw new IllegalStateException(opType);
        }
    }
}
