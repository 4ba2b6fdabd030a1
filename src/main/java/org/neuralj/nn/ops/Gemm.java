package org.neuralj.nn.ops;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;

/** ONNX Gemm: Y = alpha * A' B' + beta * C, A' = transA ? A^T : A, C broadcast to [M, N]. */
public final class Gemm implements Op {
    private final NodeInfo node;

    public Gemm(NodeInfo node) {
        this.node = node;
    }

    @Override
    public Step prepare(List<Meta> in) {
        boolean transA = node.getInt("transA", 0) != 0;
        boolean transB = node.getInt("transB", 0) != 0;
        float alpha = node.getFloat("alpha", 1f);
        float beta = node.getFloat("beta", 1f);
        int[] a = in.get(0).shape();
        int[] bs = in.get(1).shape();
        if (a.length != 2 || bs.length != 2) {
            throw new ShapeMismatchException(node + ": Gemm needs 2-D A and B, got " + java.util.Arrays.toString(a)
                    + " and " + java.util.Arrays.toString(bs));
        }
        int m = transA ? a[1] : a[0];
        int k = transA ? a[0] : a[1];
        int kb = transB ? bs[1] : bs[0];
        int n = transB ? bs[0] : bs[1];
        if (k != kb) {
            throw new ShapeMismatchException(node + ": inner dimensions differ: A' is " + m + "x" + k + ", B' is " + kb + "x" + n);
        }
        boolean hasC = in.size() > 2 && in.get(2) != null;
        return Step.of(Meta.of(new int[] {m, n}, in.get(0).type()), (b, t) -> {
            try (Temporaries temps = new Temporaries()) {
                Tensor z;
                if (transB && m == 1) {
                    // one row against a [N, K] weight (a batch-1 classifier head): (a B^T)^T = B a^T, where a^T is
                    // a reshape: no copy of B, which a transpose would make on every run
                    Tensor aColumn = temps.keep(t.get(0).reshape(k, 1));
                    z = temps.keep(b.matmul(t.get(1), aColumn)).reshape(1, n);
                } else {
                    Tensor x = transA ? temps.keep(Transpose.transpose(b, t.get(0), new int[] {1, 0})) : t.get(0);
                    Tensor y = transB ? temps.keep(Transpose.transpose(b, t.get(1), new int[] {1, 0})) : t.get(1);
                    z = b.matmul(x, y);
                }
                if (alpha != 1f) {
                    z = replace(z, b.unary(z, new Activation(UnaryOp.AFFINE, alpha, 0f)));
                }
                if (hasC && beta != 0f) {
                    Tensor c = t.get(2);
                    if (beta != 1f) {
                        c = temps.keep(b.unary(c, new Activation(UnaryOp.AFFINE, beta, 0f)));
                    }
                    z = replace(z, b.binary(z, c, BinaryOp.ADD));
                }
                return List.of(z);
            }
        });
    }


    private static Tensor replace(Tensor old, Tensor next) {
        old.close();
        return next;
    }
}
