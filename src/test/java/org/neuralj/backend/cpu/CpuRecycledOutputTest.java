package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Activation;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/**
 * The CPU ops write their results into recycled arrays (a model's activations reuse the arrays of freed
 * ones instead of fresh, zeroed memory): each op must write every element. Here the pool is first filled
 * with NaN arrays of the output's length, so an element an op leaves unwritten shows up as NaN.
 */
class CpuRecycledOutputTest {
    private static final int N = 1, C = 8, H = 96, W = 96;   // 73,728 floats (a pooled max-pool's output 18,432): pooled

    @Test
    void everyOpWritesEveryElementOfARecycledArray() {
        Random r = new Random(3);
        float[] x = random(r, N * C * H * W);
        float[] x2 = random(r, N * C * H * W);
        float[] w3 = random(r, C * C * 9), wDepth = random(r, C * 9), w1 = random(r, C * C), bias = random(r, C);
        ConvSpec same = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, H, W, Activation.of(UnaryOp.RELU));
        ConvSpec depthwise = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, C, H, W, Activation.NONE);
        ConvSpec pointwise = new ConvSpec(1, 1, 0, 0, 0, 0, 1, 1, 1, H, W, Activation.NONE);
        PoolSpec max = new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, H, W);
        PoolSpec resnetMax = new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, H / 2, W / 2);
        PoolSpec avg = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true, H, W);
        ResizeSpec nearest = new ResizeSpec(2 * H, 2 * W, 2f, 2f, ResizeSpec.Mode.NEAREST, ResizeSpec.CoordinateMode.ASYMMETRIC,
                ResizeSpec.NearestMode.FLOOR, -0.75f, false);
        ResizeSpec linear = new ResizeSpec(2 * H, 2 * W, 2f, 2f, ResizeSpec.Mode.LINEAR, ResizeSpec.CoordinateMode.HALF_PIXEL,
                ResizeSpec.NearestMode.FLOOR, -0.75f, false);
        ResizeSpec cubic = new ResizeSpec(2 * H, 2 * W, 2f, 2f, ResizeSpec.Mode.CUBIC, ResizeSpec.CoordinateMode.HALF_PIXEL,
                ResizeSpec.NearestMode.FLOOR, -0.75f, false);
        try (CpuBackend b = new CpuBackend()) {
            Tensor xt = b.upload(x, N, C, H, W), x2t = b.upload(x2, N, C, H, W), bt = b.upload(bias, C);
            Tensor w3t = b.upload(w3, C, C, 3, 3), wdt = b.upload(wDepth, C, 1, 3, 3), w1t = b.upload(w1, C, C, 1, 1);
            Tensor rowT = b.upload(random(r, W), 1, 1, 1, W);
            float[] reversed = new float[C];
            for (int c = 0; c < C; c++) {
                reversed[c] = C - 1 - c;
            }
            Tensor channelsReversed = b.upload(reversed, C);
            List<Function<CpuBackend, Tensor>> ops = List.of(
                    be -> be.conv2d(xt, w3t, bt, same),
                    be -> be.conv2d(xt, wdt, bt, depthwise),
                    be -> be.conv2d(xt, wdt, null, depthwise),
                    be -> be.conv2d(xt, w1t, null, pointwise),
                    be -> be.pool2d(xt, max),
                    be -> be.pool2d(xt, resnetMax),
                    be -> be.pool2d(xt, avg),
                    be -> be.softmax(xt, 1, false),
                    be -> be.strided(xt, 0, new int[] {C * H * W, H * W, 1, W}, new int[] {N, C, W, H}),
                    be -> be.gather(xt, channelsReversed, 1),
                    be -> be.resize(xt, nearest),
                    be -> be.resize(xt, linear),
                    be -> be.resize(xt, cubic),
                    be -> be.concat(List.of(xt, x2t), 1),
                    be -> be.unary(xt, Activation.of(UnaryOp.SIGMOID)),
                    be -> be.binary(xt, x2t, BinaryOp.ADD),
                    be -> be.binary(xt, rowT, BinaryOp.MUL));
            for (int i = 0; i < ops.size(); i++) {
                float[] fresh;
                try (Tensor y = ops.get(i).apply(b)) {
                    fresh = b.download(y);
                }
                float[] nan = new float[fresh.length];
                Arrays.fill(nan, Float.NaN);
                // hold the array the first result gave back, so the next op of this length gets the NaN one
                try (Tensor held = b.upload(new float[fresh.length], fresh.length)) {
                    b.upload(nan, fresh.length).close();
                    try (Tensor y = ops.get(i).apply(b)) {
                        assertArrayEquals(fresh, b.download(y), "op " + i + " left elements of a recycled array unwritten");
                    }
                }
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
