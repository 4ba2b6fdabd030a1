package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * ONNX BatchNormalization (inference: y = (x - mean) / sqrt(var + eps) * scale + bias per channel)
 * and InstanceNormalization (mean and variance per sample and channel over the spatial axes), and
 * GroupNormalization (the same over groups of channels; scale and bias per channel from opset 21,
 * per group before).
 * Batch norm with constant statistics folds to one multiply-add per channel.
 */
public final class Normalization implements Op {
    private final NodeInfo node;

    public Normalization(NodeInfo node) {
        this.node = node;
        if (node.opType().equals("BatchNormalization") && node.getInt("training_mode", 0) != 0) {
            throw new UnsupportedOperatorException(node + ": training_mode=1 is not supported for inference");
        }
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        float eps = node.getFloat("epsilon", 1e-5f);
        int c = rank > 1 ? x.dim(1) : 1;
        int[] perChannel = new int[rank];
        java.util.Arrays.fill(perChannel, 1);
        if (rank > 1) {
            perChannel[1] = c;
        }
        if (node.opType().equals("BatchNormalization")) {
            return Step.of(Meta.of(x.shape(), x.type()), (b, t) -> List.of(batchNorm(b, t, perChannel, eps)));
        }
        boolean[] spatial = new boolean[rank];
        for (int i = 2; i < rank; i++) {
            spatial[i] = true;
        }
        if (node.opType().equals("GroupNormalization")) {
            return groupNorm(x, eps);
        }
        return Step.of(Meta.of(x.shape(), x.type()), (b, t) -> List.of(instanceNorm(b, t, perChannel, spatial, eps)));
    }

    /** Normalises [N, G, C/G * spatial] rows, then applies scale and bias per channel (or per group before opset 21). */
    private Step groupNorm(Meta x, float eps) {
        int groups = node.getInt("num_groups", 0);
        int[] shape = x.shape();
        int n = shape[0];
        int c = shape[1];
        if (groups < 1 || c % groups != 0) {
            throw new UnsupportedOperatorException(node + ": num_groups=" + groups + " does not divide " + c + " channels");
        }
        int perGroup = c / groups * Axes.product(shape, 2, shape.length);
        boolean perChannelAffine = node.opset() >= 21;
        int[] affine = new int[] {1, perChannelAffine ? c : groups, 1};
        int[] grouped = new int[] {n, groups, perGroup};
        int[] channelView = new int[] {n, c, perGroup / (c / groups)};
        return Step.of(Meta.of(shape, x.type()), (b, t) -> {
            try (Temporaries temps = new Temporaries()) {
                Tensor rows = temps.keep(t.get(0).reshape(grouped));
                Tensor normed = temps.keep(standardise(b, rows, new boolean[] {false, false, true}, eps, temps));
                Tensor view = temps.keep(normed.reshape(perChannelAffine ? channelView : grouped));
                Tensor scale = temps.keep(t.get(1).reshape(affine));
                Tensor bias = temps.keep(t.get(2).reshape(affine));
                Tensor scaled = temps.keep(b.binary(view, scale, BinaryOp.MUL));
                try (Tensor y = b.binary(scaled, bias, BinaryOp.ADD)) {
                    return List.of(y.reshape(shape));
                }
            }
        });
    }

    /** (x - mean) / sqrt(var + eps) over the masked axes; intermediates go to {@code temps}. */
    private static Tensor standardise(Backend b, Tensor x, boolean[] axes, float eps, Temporaries temps) {
        Tensor mean = temps.keep(b.reduce(x, ReduceOp.MEAN, axes));
        Tensor centred = temps.keep(b.binary(x, mean, BinaryOp.SUB));
        Tensor squares = temps.keep(b.binary(centred, centred, BinaryOp.MUL));
        Tensor var = temps.keep(b.reduce(squares, ReduceOp.MEAN, axes));
        Tensor std = temps.keep(b.unary(temps.keep(b.unary(var, new Activation(UnaryOp.AFFINE, 1f, eps))), Activation.of(UnaryOp.SQRT)));
        return b.binary(centred, std, BinaryOp.DIV);
    }

    private static Tensor batchNorm(Backend b, List<Tensor> t, int[] perChannel, float eps) {
        try (Temporaries temps = new Temporaries()) {
            Tensor scale = temps.keep(t.get(1).reshape(perChannel));
            Tensor bias = temps.keep(t.get(2).reshape(perChannel));
            Tensor mean = temps.keep(t.get(3).reshape(perChannel));
            Tensor var = temps.keep(t.get(4).reshape(perChannel));
            // a = scale / sqrt(var + eps); y = (x - mean) * a + bias
            Tensor std = temps.keep(b.unary(temps.keep(b.unary(var, new Activation(UnaryOp.AFFINE, 1f, eps))), Activation.of(UnaryOp.SQRT)));
            Tensor a = temps.keep(b.binary(scale, std, BinaryOp.DIV));
            Tensor centred = temps.keep(b.binary(t.get(0), mean, BinaryOp.SUB));
            Tensor scaled = temps.keep(b.binary(centred, a, BinaryOp.MUL));
            return b.binary(scaled, bias, BinaryOp.ADD);
        }
    }

    private static Tensor instanceNorm(Backend b, List<Tensor> t, int[] perChannel, boolean[] spatial, float eps) {
        try (Temporaries temps = new Temporaries()) {
            Tensor scale = temps.keep(t.get(1).reshape(perChannel));
            Tensor bias = temps.keep(t.get(2).reshape(perChannel));
            Tensor normed = temps.keep(standardise(b, t.get(0), spatial, eps, temps));
            Tensor scaled = temps.keep(b.binary(normed, scale, BinaryOp.MUL));
            return b.binary(scaled, bias, BinaryOp.ADD);
        }
    }

}
