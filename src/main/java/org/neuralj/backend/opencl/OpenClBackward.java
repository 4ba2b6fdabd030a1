package org.neuralj.backend.opencl;

import java.util.Arrays;
import org.neuralj.backend.Activation;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;

/**
 * The training kernels of {@link OpenClBackend} (kernels/backward.cl): activation derivatives, pooling
 * backward in gather form (each x position sums the windows that chose it, so no atomics and the
 * result is deterministic) and the counter-based dropout mask.
 */
final class OpenClBackward {
    private OpenClBackward() {
    }

    static Tensor unaryBackward(OpenClBackend cl, Tensor x, Tensor dy, Activation f) {
        if (!Arrays.equals(x.shape(), dy.shape())) {
            throw new ShapeMismatchException("unaryBackward: x " + Arrays.toString(x.shape()) + " and dy "
                    + Arrays.toString(dy.shape()) + " differ");
        }
        Tensor dx = cl.allocate(x.shape());
        int n = x.size();
        cl.run("backward.cl", "", "unary_backward", new long[] {n}, null, cl.mem(x), cl.mem(dy), cl.mem(dx), n,
                OpenClBackend.actCode(f.op()), f.a(), f.b());
        return dx;
    }

    static Tensor pool2dBackward(OpenClBackend cl, Tensor x, Tensor dy, PoolSpec s) {
        int[] xs = x.shape();
        if (xs.length != 4) {
            throw new ShapeMismatchException("pool2dBackward needs x [N, C, H, W]; got " + Arrays.toString(xs));
        }
        int[] expected = {xs[0], xs[1], s.outH(), s.outW()};
        if (!Arrays.equals(expected, dy.shape())) {
            throw new ShapeMismatchException("pool2dBackward: dy " + Arrays.toString(dy.shape()) + " must be "
                    + Arrays.toString(expected) + " for x " + Arrays.toString(xs));
        }
        int nc = xs[0] * xs[1];
        Tensor dx = cl.allocate(xs);
        long[] global = {xs[3], xs[2], nc};
        if (s.kind() == PoolSpec.Kind.MAX) {
            cl.run("backward.cl", "", "max_pool2d_backward", global, null, cl.mem(x), cl.mem(dy), cl.mem(dx), nc,
                    xs[2], xs[3], s.outH(), s.outW(), s.kernelH(), s.kernelW(), s.strideH(), s.strideW(),
                    s.padTop(), s.padLeft(), s.dilationH(), s.dilationW());
        } else {
            cl.run("backward.cl", "", "avg_pool2d_backward", global, null, cl.mem(dy), cl.mem(dx), nc,
                    xs[2], xs[3], s.outH(), s.outW(), s.kernelH(), s.kernelW(), s.strideH(), s.strideW(),
                    s.padTop(), s.padLeft(), s.padBottom(), s.padRight(), s.dilationH(), s.dilationW(),
                    s.countIncludePad() ? 1 : 0);
        }
        return dx;
    }

    static Tensor dropoutMask(OpenClBackend cl, float p, long seed, int[] shape) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), was " + p);
        }
        Tensor m = cl.allocate(shape);
        int n = m.size();
        cl.run("backward.cl", "", "dropout_mask", new long[] {n}, null, cl.mem(m), n, p, 1f / (1f - p),
                (int) seed, (int) (seed >>> 32));
        return m;
    }
}
