package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/** ONNX Transpose (default: reverse the axes), as a strided copy. */
public final class Transpose implements Op {
    private final NodeInfo node;

    public Transpose(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        int[] perm = node.getInts("perm", null);
        if (perm == null) {
            perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        if (perm.length != rank) {
            throw new UnsupportedOperatorException(node + ": perm has " + perm.length + " axes for rank " + rank);
        }
        int[] p = perm;
        return Step.of(Meta.of(permuted(x.shape(), p), x.type()), (b, t) -> List.of(transpose(b, t.get(0), p)));
    }

    static int[] permuted(int[] shape, int[] perm) {
        int[] out = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = shape[perm[i]];
        }
        return out;
    }

    /** y = x with axes permuted: y axis i is x axis perm[i]. */
    public static Tensor transpose(Backend b, Tensor x, int[] perm) {
        int[] strides = Tensor.stridesOf(x.shape());
        return b.strided(x, 0, permuted(strides, perm), permuted(x.shape(), perm));
    }
}
