package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX MaxPool and AveragePool, 1-D and 2-D, with pads, auto_pad, dilations, ceil_mode, count_include_pad. */
public final class Pool implements Op {
    private final NodeInfo node;
    private final PoolSpec.Kind kind;

    public Pool(NodeInfo node) {
        this.node = node;
        this.kind = node.opType().equals("MaxPool") ? PoolSpec.Kind.MAX : PoolSpec.Kind.AVERAGE;
        if (kind == PoolSpec.Kind.MAX && node.getInt("storage_order", 0) != 0) {
            throw new UnsupportedOperatorException(node + ": MaxPool storage_order=1 is not supported");
        }
        if (node.outputCount() > 1) {
            throw new UnsupportedOperatorException(node + ": MaxPool's Indices output is not supported");
        }
    }

    /** MaxPool (not AveragePool). */
    public boolean isMax() {
        return kind == PoolSpec.Kind.MAX;
    }

    /** The node this pooling runs (for summaries of the convolution it was fused into). */
    public NodeInfo node() {
        return node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int spatial = x.rank() - 2;
        int n = x.dim(0);
        int c = x.dim(1);
        int h = spatial == 2 ? x.dim(2) : 1;
        int w = x.dim(-1);
        PoolSpec spec = spec(spatial, h, w);
        int[] outShape = outShape(spatial, n, c, spec);
        return Step.of(Meta.of(outShape, x.type()), (b, t) -> {
            try (Tensor x4 = t.get(0).reshape(n, c, h, w)) {
                Tensor y = b.pool2d(x4, spec);
                if (spatial == 2) {
                    return List.of(y);
                }
                try (y) {
                    return List.of(y.reshape(outShape));
                }
            }
        });
    }

    /** The pooling of an input with {@code spatial} (1 or 2) dimensions, h x w (h = 1 for 1-D), as a 2-D spec. */
    public PoolSpec spec(int spatial, int h, int w) {
        Geometry g = Geometry.of(node, spatial, null);
        boolean ceil = node.getInt("ceil_mode", 0) != 0;
        int[] p = g.resolvePads(h, w);
        int outH = outSize(h, g.kernelH(), g.strideH(), p[0], p[2], g.dilationH(), ceil);
        int outW = outSize(w, g.kernelW(), g.strideW(), p[1], p[3], g.dilationW(), ceil);
        if (g.autoPad().startsWith("SAME")) {
            outH = (h + g.strideH() - 1) / g.strideH();
            outW = (w + g.strideW() - 1) / g.strideW();
        }
        return new PoolSpec(kind, g.kernelH(), g.kernelW(), g.strideH(), g.strideW(),
                p[0], p[1], p[2], p[3], g.dilationH(), g.dilationW(),
                node.getInt("count_include_pad", 0) != 0, outH, outW);
    }

    /** The output's shape, [n, c, outH, outW] (2-D) or [n, c, outW] (1-D). */
    public static int[] outShape(int spatial, int n, int c, PoolSpec spec) {
        return spatial == 2 ? new int[] {n, c, spec.outH(), spec.outW()} : new int[] {n, c, spec.outW()};
    }

    /** Output length; with ceil_mode a last window must still start inside the input or left pad. */
    static int outSize(int in, int k, int stride, int padBegin, int padEnd, int dilation, boolean ceil) {
        int span = in + padBegin + padEnd - dilation * (k - 1) - 1;
        if (!ceil) {
            return Math.floorDiv(span, stride) + 1;
        }
        int out = Math.floorDiv(span + stride - 1, stride) + 1;
        if ((out - 1) * stride >= in + padBegin) {
            out--;
        }
        return out;
    }
}
