package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/**
 * ONNX DepthToSpace (DCR and CRD modes) and SpaceToDepth on [N, C, H, W]: a reshape to rank 6, one
 * strided transpose, and a reshape back, exactly the ONNX definition.
 */
public final class DepthToSpace implements Op {
    private final NodeInfo node;

    public DepthToSpace(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int bs = node.getInt("blocksize", 0);
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int[] view;
        int[] perm;
        int[] out;
        if (node.opType().equals("SpaceToDepth")) {
            if (bs < 1 || h % bs != 0 || w % bs != 0) {
                throw new ShapeMismatchException(node + ": blocksize " + bs + " does not divide " + h + "x" + w);
            }
            view = new int[] {n, c, h / bs, bs, w / bs, bs};
            perm = new int[] {0, 3, 5, 1, 2, 4};
            out = new int[] {n, c * bs * bs, h / bs, w / bs};
        } else {
            if (bs < 1 || c % (bs * bs) != 0) {
                throw new ShapeMismatchException(node + ": blocksize " + bs + " does not divide " + c + " channels");
            }
            boolean crd = node.getString("mode", "DCR").equals("CRD");
            view = crd ? new int[] {n, c / (bs * bs), bs, bs, h, w} : new int[] {n, bs, bs, c / (bs * bs), h, w};
            perm = crd ? new int[] {0, 1, 4, 2, 5, 3} : new int[] {0, 3, 4, 1, 5, 2};
            out = new int[] {n, c / (bs * bs), h * bs, w * bs};
        }
        return Step.of(Meta.of(out, x.type()), (b, t) -> {
            try (Tensor v = t.get(0).reshape(view); Tensor y = Transpose.transpose(b, v, perm)) {
                return List.of(y.reshape(out));
            }
        });
    }
}
