package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/**
 * ONNX LRN (local response normalisation across channels, as in AlexNet and GoogLeNet):
 * y = x / (bias + alpha/size * sum of x^2 over the channel window)^beta. The window sum runs as an
 * average pool over the channel axis, so every backend does it with its own kernels.
 */
public final class Lrn implements Op {
    private final float alpha;
    private final float beta;
    private final float bias;
    private final int size;

    public Lrn(NodeInfo node) {
        alpha = node.getFloat("alpha", 1e-4f);
        beta = node.getFloat("beta", 0.75f);
        bias = node.getFloat("bias", 1f);
        size = node.getInt("size", 1);
        if (size < 1) {
            throw new org.neuralj.nn.UnsupportedOperatorException(node + ": LRN size must be >= 1, got " + size);
        }
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int[] shape = x.shape();
        int n = shape[0];
        int c = shape[1];
        int spatial = Axes.product(shape, 2, shape.length);
        int before = (size - 1) / 2;
        int after = size - 1 - before;
        PoolSpec window = new PoolSpec(PoolSpec.Kind.AVERAGE, size, 1, 1, 1, before, 0, after, 0, 1, 1, true, c, spatial);
        return Step.of(Meta.of(shape, x.type()), (b, t) -> List.of(run(b, t.get(0), n, c, spatial, window)));
    }

    private Tensor run(Backend b, Tensor x, int n, int c, int spatial, PoolSpec window) {
        try (Temporaries temps = new Temporaries()) {
            Tensor squares = temps.keep(b.binary(x, x, BinaryOp.MUL));
            Tensor view = temps.keep(squares.reshape(n, 1, c, spatial));
            Tensor mean = temps.keep(b.pool2d(view, window)); // sum / size
            Tensor base = temps.keep(b.unary(mean, new Activation(UnaryOp.AFFINE, alpha, bias)));
            Tensor exponent = temps.keep(b.upload(new float[] {beta}, 1));
            Tensor denominator = temps.keep(b.binary(base, exponent, BinaryOp.POW));
            Tensor d = temps.keep(denominator.reshape(x.shape()));
            return b.binary(x, d, BinaryOp.DIV);
        }
    }

}
