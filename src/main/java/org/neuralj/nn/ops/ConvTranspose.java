package org.neuralj.nn.ops;

import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/**
 * ONNX ConvTranspose, 1-D and 2-D: x [N, C, (H,) W], w [C, M/group, (kH,) kW]. Output size
 * (in-1)*stride + output_padding + (k-1)*dilation + 1 - pads, or output_shape with pads derived
 * from auto_pad (SAME_UPPER puts the odd pad at the end) as the ONNX spec says.
 */
public final class ConvTranspose implements Op {
    private final NodeInfo node;

    public ConvTranspose(NodeInfo node) {
        this.node = node;
    }

    /**
     * Pads that give the asked output size: the full transposed extent minus the output, split in
     * half with the odd pixel at the end (at the start for SAME_LOWER).
     */
    private static int[] padsFor(Geometry g, int h, int w, int opH, int opW, int outH, int outW) {
        int totalH = Math.max(0, g.strideH() * (h - 1) + opH + (g.kernelH() - 1) * g.dilationH() + 1 - outH);
        int totalW = Math.max(0, g.strideW() * (w - 1) + opW + (g.kernelW() - 1) * g.dilationW() + 1 - outW);
        boolean lower = g.autoPad().equals("SAME_LOWER");
        return new int[] {lower ? totalH - totalH / 2 : totalH / 2, lower ? totalW - totalW / 2 : totalW / 2,
                lower ? totalH / 2 : totalH - totalH / 2, lower ? totalW / 2 : totalW - totalW / 2};
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        Meta w = in.get(1);
        int spatial = x.rank() - 2;
        ConvSpec spec = spec(x, w);
        int group = spec.groups();
        int n = x.dim(0);
        int c = x.dim(1);
        int m = w.dim(1) * group;
        int h = spatial == 2 ? x.dim(2) : 1;
        int wd = x.dim(-1);
        int[] outShape = spatial == 2 ? new int[] {n, m, spec.outH(), spec.outW()} : new int[] {n, m, spec.outW()};
        int kH = spatial == 2 ? w.dim(2) : 1;
        int kW = w.dim(-1);
        return Step.of(Meta.of(outShape, x.type()), (b, t) -> {
            try (Tensor x4 = t.get(0).reshape(n, c, h, wd);
                 Tensor w4 = t.get(1).reshape(c, m / group, kH, kW)) {
                Tensor y = b.convTranspose2d(x4, w4, t.size() > 2 ? t.get(2) : null, spec);
                if (spatial == 2) {
                    return List.of(y);
                }
                try (y) {
                    return List.of(y.reshape(outShape));
                }
            }
        });
    }

    /**
     * The 2-D geometry (1-D as H = 1) for input x and weights w, with the output size and pads the
     * attributes ask for; the planner and the tape ops of {@code org.neuralj.viz} share it.
     */
    public ConvSpec spec(Meta x, Meta w) {
        int spatial = x.rank() - 2;
        Geometry g = Geometry.of(node, spatial, Arrays.copyOfRange(w.shape(), 2, w.rank()));
        int group = node.getInt("group", 1);
        int c = x.dim(1);
        if (w.dim(0) != c) {
            throw new ShapeMismatchException(node + ": input has " + c + " channels, weights "
                    + Arrays.toString(w.shape()) + " expect " + w.dim(0));
        }
        int h = spatial == 2 ? x.dim(2) : 1;
        int wd = x.dim(-1);
        int[] outPadding = node.getInts("output_padding", new int[spatial]);
        int[] outputShape = node.getInts("output_shape", null);
        int opH = spatial == 2 ? outPadding[0] : 0;
        int opW = outPadding[spatial - 1];
        int[] p;
        int outH;
        int outW;
        if (outputShape != null) {
            int[] target = outputShape.length > spatial ? Arrays.copyOfRange(outputShape, outputShape.length - spatial, outputShape.length) : outputShape;
            outH = spatial == 2 ? target[0] : 1;
            outW = target[spatial - 1];
            p = padsFor(g, h, wd, opH, opW, outH, outW);
        } else {
            if (g.autoPad().startsWith("SAME")) {
                outH = h * g.strideH();
                outW = wd * g.strideW();
                p = padsFor(g, h, wd, opH, opW, outH, outW);
            } else {
                p = g.autoPad().equals("VALID") ? new int[4] : g.pads();
                outH = g.strideH() * (h - 1) + opH + (g.kernelH() - 1) * g.dilationH() + 1 - p[0] - p[2];
                outW = g.strideW() * (wd - 1) + opW + (g.kernelW() - 1) * g.dilationW() + 1 - p[1] - p[3];
            }
        }
        return new ConvSpec(g.strideH(), g.strideW(), p[0], p[1], p[2], p[3],
                g.dilationH(), g.dilationW(), group, outH, outW, null);
    }
}
