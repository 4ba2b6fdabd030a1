package org.neuralj.train;

import java.util.List;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;

/** Max or average pooling with a square window (no parameters); exported as MaxPool / AveragePool. */
public final class Pool2d implements Layer {
    private final PoolSpec.Kind kind;
    private final int kernel;
    private final int stride;
    private final int pad;

    public Pool2d(PoolSpec.Kind kind, int kernel, int stride, int pad) {
        this.kind = kind;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
    }

    /** k x k max pooling with stride k. */
    public static Pool2d max(int k) {
        return new Pool2d(PoolSpec.Kind.MAX, k, k, 0);
    }

    /** k x k average pooling with stride k. */
    public static Pool2d average(int k) {
        return new Pool2d(PoolSpec.Kind.AVERAGE, k, k, 0);
    }

    @Override
    public Var forward(Tape t, Var x) {
        int oh = ConvSpec.convOut(x.dim(2), kernel, stride, pad, pad, 1);
        int ow = ConvSpec.convOut(x.dim(3), kernel, stride, pad, pad, 1);
        return t.pool2d(x, new PoolSpec(kind, kernel, kernel, stride, stride, pad, pad, pad, pad, 1, 1, false, oh, ow));
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
