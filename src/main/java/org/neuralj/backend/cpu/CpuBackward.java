package org.neuralj.backend.cpu;

import org.neuralj.backend.Activation;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.UnaryOp;

/**
 * The CPU reference of the training kernels: derivatives of the element-wise functions, the
 * backward pass of pooling, and the counter-based dropout mask. Formulas as in
 * {@link org.neuralj.backend.Backend#unaryBackward}, {@link org.neuralj.backend.Backend#pool2dBackward}
 * and {@link org.neuralj.backend.Backend#dropoutMask}.
 */
final class CpuBackward {
    private static final int GRAIN = 1 << 14;

    private CpuBackward() {
    }

    /** dx[i] = dy[i] * f'(x[i]). */
    static float[] unaryBackward(CpuThreads threads, float[] x, float[] dy, int n, Activation f, float[] dx) {
        final UnaryOp op = f.op();
        final float a = f.a();
        final float b = f.b();
        threads.forRange(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                dx[i] = dy[i] * derivative(op, a, b, x[i]);
            }
        });
        return dx;
    }

    /** f'(x) for the op with parameters a, b (the formulas of Backend#unaryBackward). */
    static float derivative(UnaryOp op, float a, float b, float x) {
        switch (op) {
            case IDENTITY: return 1f;
            case RELU: return x > 0 ? 1f : 0f;
            case LEAKY_RELU: return x > 0 ? 1f : a;
            case ELU: return x > 0 ? 1f : a * (float) Math.exp(x);
            case SELU: return b * (x > 0 ? 1f : a * (float) Math.exp(x));
            case SIGMOID: {
                float s = (float) (1.0 / (1.0 + Math.exp(-x)));
                return s * (1f - s);
            }
            case HARD_SIGMOID: {
                float v = a * x + b;
                return v > 0 && v < 1 ? a : 0f;
            }
            case HARD_SWISH: return x < -3f ? 0f : x > 3f ? 1f : x / 3f + 0.5f;
            case TANH: {
                float t = (float) Math.tanh(x);
                return 1f - t * t;
            }
            case CLIP: return x > a && x < b ? 1f : 0f;
            case SQRT: return 0.5f / (float) Math.sqrt(x);
            case EXP: return (float) Math.exp(x);
            case LOG: return 1f / x;
            case NEG: return -1f;
            case ABS: return x > 0 ? 1f : x < 0 ? -1f : 0f;
            case SOFTPLUS: return (float) (1.0 / (1.0 + Math.exp(-x)));
            case SOFTSIGN: {
                float d = 1f + Math.abs(x);
                return 1f / (d * d);
            }
            case RECIPROCAL: return -1f / (x * x);
            case THRESHOLDED_RELU: return x > a ? 1f : 0f;
            case ERF: return 1.1283791670955126f * (float) Math.exp(-(double) x * x);
            case FLOOR: case CEIL: case ROUND: case TRUNC: case NOT_ZERO: return 0f;
            case AFFINE: return a;
            default: throw new IllegalArgumentException("no derivative for " + op);
        }
    }

    /**
     * dx of pooling, scattered per (n, c) plane: a max window sends dy to the first position (row-major
     * window order) holding its maximum; an average window sends dy / count to every position inside x.
     */
    static float[] pool2dBackward(CpuThreads threads, float[] x, int[] xs, float[] dy, PoolSpec s, float[] dx) {
        final int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
        final int oh = s.outH(), ow = s.outW();
        final boolean max = s.kind() == PoolSpec.Kind.MAX;
        threads.forRange(planes, 1, (from, to) -> {
            for (int pl = from; pl < to; pl++) {               // dx[pl][iy][ix] += dy[pl][oy][ox] ...
                int xo = pl * h * w;
                int yo = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * s.strideH() - s.padTop();
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * s.strideW() - s.padLeft();
                        float g = dy[yo + oy * ow + ox];
                        if (max) {
                            int best = -1;
                            float bestValue = Float.NEGATIVE_INFINITY;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = y0 + ky * s.dilationH();
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = x0 + kx * s.dilationW();
                                    if (ix < 0 || ix >= w) {
                                        continue;
                                    }
                                    float v = x[xo + iy * w + ix];
                                    if (best < 0 || v > bestValue) {
                                        best = iy * w + ix;
                                        bestValue = v;
                                    }
                                }
                            }
                            if (best >= 0) {
                                dx[xo + best] += g;
                            }
                        } else {
                            int inside = 0;
                            int padded = 0;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = y0 + ky * s.dilationH();
                                boolean rowInBox = iy >= -s.padTop() && iy < h + s.padBottom();
                                boolean rowIn = iy >= 0 && iy < h;
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = x0 + kx * s.dilationW();
                                    if (rowInBox && ix >= -s.padLeft() && ix < w + s.padRight()) {
                                        padded++;
                                    }
                                    if (rowIn && ix >= 0 && ix < w) {
                                        inside++;
                                    }
                                }
                            }
                            int count = s.countIncludePad() ? padded : inside;
                            if (count == 0) {
                                continue;
                            }
                            float share = g / count;
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = y0 + ky * s.dilationH();
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = x0 + kx * s.dilationW();
                                    if (ix >= 0 && ix < w) {
                                        dx[xo + iy * w + ix] += share;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
        return dx;
    }

    /** mask[i] = uniform(seed, i) >= p ? scale : 0 (see Backend#dropoutMask). */
    static float[] dropoutMask(CpuThreads threads, int n, float p, float scale, long seed, float[] m) {
        final int lo = (int) seed;
        final int hi = (int) (seed >>> 32);
        threads.forRange(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                m[i] = uniform(lo, hi, i) >= p ? scale : 0f;
            }
        });
        return m;
    }

    /** The counter-based uniform number in [0, 1) of element i: 24 bits of a two-round integer hash. */
    static float uniform(int seedLo, int seedHi, int i) {
        int u = hash(hash(i ^ seedLo) + seedHi) >>> 8;
        return u * (1f / 16777216f);
    }

    /** lowbias32 (C. Wellons): an invertible 32-bit integer mix, unsigned arithmetic. */
    static int hash(int x) {
        x ^= x >>> 16;
        x *= 0x7feb352d;
        x ^= x >>> 15;
        x *= 0x846ca68b;
        x ^= x >>> 16;
        return x;
    }
}
