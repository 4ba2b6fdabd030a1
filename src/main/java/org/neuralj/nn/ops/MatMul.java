package org.neuralj.nn.ops;

import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/** ONNX MatMul (numpy semantics: 1-D operands get a temporary axis that is removed afterwards). */
public final class MatMul implements Op {
    private final NodeInfo node;

    public MatMul(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        int[] a = in.get(0).shape();
        int[] bs = in.get(1).shape();
        int[] a2 = a.length == 1 ? new int[] {1, a[0]} : a;
        int[] b2 = bs.length == 1 ? new int[] {bs[0], 1} : bs;
        if (a2[a2.length - 1] != b2[b2.length - 2]) {
            throw new ShapeMismatchException(node + ": cannot multiply " + Arrays.toString(a) + " by " + Arrays.toString(bs));
        }
        int[] batch = Backend.broadcastShape(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
        int m = a2[a2.length - 2];
        int n = b2[b2.length - 1];
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = m;
        full[batch.length + 1] = n;
        int[] out = full;
        if (a.length == 1) {
            out = dropAxis(out, out.length - 2);
        }
        if (bs.length == 1) {
            out = dropAxis(out, out.length - 1);
        }
        int[] outShape = out;
        return Step.of(Meta.of(outShape, in.get(0).type()), (b, t) -> {
            try (Tensor x = t.get(0).reshape(a2); Tensor y = t.get(1).reshape(b2); Tensor z = b.matmul(x, y)) {
                return List.of(z.reshape(outShape));
            }
        });
    }

    private static int[] dropAxis(int[] shape, int axis) {
        int[] out = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != axis) {
                out[j++] = shape[i];
            }
        }
        return out;
    }
}
