package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import java.util.Arrays;

/**
 * ONNX Conv, 1-D and 2-D: x [N, C, (H,) W], w [M, C/group, (kH,) kW], optional bias [M]. 1-D runs as
 * 2-D with H = 1. The graph optimiser may fuse in an Add that alone reads the output ({@link #fuseResidual}: a fourth
 * input, the Add's other operand) and then a following activation ({@link #fuse}): act(conv + bias + residual); or a
 * MaxPool that alone reads the output ({@link #fusePooling}), which then is this node's output.
 */
public final class Conv implements Op {
    private final NodeInfo node;
    private Activation activation = Activation.NONE;
    private boolean residual;
    private Pool pooling;

    public Conv(NodeInfo node) {
        this.node = node;
    }

    /** Fuses an element-wise activation into this convolution's epilogue (after the residual, if there is one). */
    public void fuse(Activation act) {
        this.activation = act;
    }

    public Activation activation() {
        return activation;
    }

    /** Adds input 3 (the other operand of an Add the graph optimiser folded in) to the output, before the activation. */
    public void fuseResidual() {
        this.residual = true;
    }

    public boolean hasResidual() {
        return residual;
    }

    /** Pools the output (activation applied) with {@code pool}, a MaxPool the graph optimiser folded in. */
    public void fusePooling(Pool pool) {
        this.pooling = pool;
    }

    /** The pooling folded in, or null. */
    public Pool pooling() {
        return pooling;
    }

    /** The convolution's output shape (before a pooling folded in) for input and weight shapes x and w. */
    public int[] convolvedShape(int[] x, int[] w) {
        return outShape(x, w[0], spec(x, w));
    }

    /** [n, m, outH, outW] (2-D) or [n, m, outW] (1-D) for input shape x. */
    private static int[] outShape(int[] x, int m, ConvSpec spec) {
        return x.length == 4 ? new int[] {x[0], m, spec.outH(), spec.outW()} : new int[] {x[0], m, spec.outW()};
    }

    private ConvSpec spec(int[] x, int[] w) {
        int spatial = x.length - 2;
        Geometry g = Geometry.of(node, spatial, Arrays.copyOfRange(w, 2, w.length));
        int h = spatial == 2 ? x[2] : 1;
        int[] p = g.resolvePads(h, x[x.length - 1]);
        int outH = ConvSpec.convOut(h, g.kernelH(), g.strideH(), p[0], p[2], g.dilationH());
        int outW = ConvSpec.convOut(x[x.length - 1], g.kernelW(), g.strideW(), p[1], p[3], g.dilationW());
        return new ConvSpec(g.strideH(), g.strideW(), p[0], p[1], p[2], p[3],
                g.dilationH(), g.dilationW(), node.getInt("group", 1), outH, outW, activation);
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        Meta w = in.get(1);
        int spatial = x.rank() - 2;
        if (w.rank() != x.rank()) {
            throw new ShapeMismatchException(node + ": input " + Arrays.toString(x.shape())
                    + " and weights " + Arrays.toString(w.shape()) + " differ in rank");
        }
        int group = node.getInt("group", 1);
        int n = x.dim(0);
        int c = x.dim(1);
        int m = w.dim(0);
        if (c != w.dim(1) * group || m % group != 0) {
            throw new ShapeMismatchException(node + ": input has " + c + " channels but weights "
                    + Arrays.toString(w.shape()) + " with group=" + group + " expect " + w.dim(1) * group);
        }
        if (in.size() > 2 && in.get(2) != null && in.get(2).shape().length == 1 && in.get(2).dim(0) != m) {
            throw new ShapeMismatchException(node + ": bias has " + in.get(2).dim(0) + " values for " + m + " output channels");
        }
        int h = spatial == 2 ? x.dim(2) : 1;
        int wd = x.dim(-1);
        ConvSpec spec = spec(x.shape(), w.shape());
        int[] outShape = outShape(x.shape(), m, spec);
        PoolSpec pool = pooling == null ? null : pooling.spec(spatial, spec.outH(), spec.outW());
        int kH = spatial == 2 ? w.dim(2) : 1;
        int kW = w.dim(-1);
        // the Add folded in broadcast its operands: a residual of another shape is added after the convolution as the Add did
        boolean addedInPlace = residual && spatial == 2 && Arrays.equals(in.get(3).shape(), outShape);
        int[] resultShape = residual ? addedShape(outShape, in.get(3).shape()) : pool == null ? outShape : Pool.outShape(spatial, n, m, pool);
        return Step.of(Meta.of(resultShape, x.type()), (b, t) -> {
            try (Tensor x4 = t.get(0).reshape(n, c, h, wd);
                 Tensor w4 = t.get(1).reshape(m, c / group, kH, kW)) {
                Tensor bias = t.size() > 2 ? t.get(2) : null;
                if (pool != null) {                     // the optimiser folds a pooling in only without a residual
                    Tensor y4 = b.conv2dPool(x4, w4, bias, spec, pool);
                    if (spatial == 2) {
                        return List.of(y4);
                    }
                    try (y4) {
                        return List.of(y4.reshape(resultShape));
                    }
                }
                if (addedInPlace) {
                    return List.of(b.conv2d(x4, w4, bias, spec, t.get(3)));
                }
                Tensor y4 = b.conv2d(x4, w4, bias, residual ? spec.withActivation(Activation.NONE) : spec);
                Tensor y;
                if (spatial == 2) {
                    y = y4;
                } else {
                    try (y4) {
                        y = y4.reshape(outShape);
                    }
                }
                if (!residual) {
                    return List.of(y);
                }
                try (y) {
                    return List.of(b.binary(y, t.get(3), org.neuralj.backend.BinaryOp.ADD, activation));
                }
            }
        });
    }

    /** The shape of the convolution's output plus the residual folded in, broadcast as the Add did. */
    private int[] addedShape(int[] outShape, int[] residualShape) {
        try {
            return org.neuralj.backend.Backend.broadcastShape(outShape, residualShape);
        } catch (ShapeMismatchException e) {
            throw new ShapeMismatchException(node + " (with the Add after it): " + e.getMessage());
        }
    }
}
