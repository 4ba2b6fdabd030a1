package org.neuralj.backend.opencl;

import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ResizeSpec;

/** Naive Java references written from the Backend Javadoc, for the OpenCL tests. */
final class Ref {
    private Ref() {
    }

    static float act(Activation f, float x) {
        float a = f.a(), b = f.b();
        switch (f.op()) {
            case IDENTITY: return x;
            case RELU: return Math.max(x, 0f);
            case LEAKY_RELU: return x >= 0 ? x : a * x;
            case ELU: return x > 0 ? x : a * ((float) Math.exp(x) - 1);
            case SELU: return b * (x > 0 ? x : a * ((float) Math.exp(x) - 1));
            case SIGMOID: return 1f / (1f + (float) Math.exp(-x));
            case HARD_SIGMOID: return Math.max(0f, Math.min(1f, a * x + b));
            case HARD_SWISH: return x * Math.max(0f, Math.min(1f, x / 6f + 0.5f));
            case TANH: return (float) Math.tanh(x);
            case CLIP: return Math.min(Math.max(x, a), b);
            case SQRT: return (float) Math.sqrt(x);
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case NEG: return -x;
            case ABS: return Math.abs(x);
            case SOFTPLUS: return x > 20 ? x : (float) Math.log1p(Math.exp(x));
            case SOFTSIGN: return x / (1 + Math.abs(x));
            case RECIPROCAL: return 1f / x;
            case THRESHOLDED_RELU: return x > a ? x : 0f;
            case ERF: return (float) erf(x);
            case FLOOR: return (float) Math.floor(x);
            case CEIL: return (float) Math.ceil(x);
            case ROUND: return (float) Math.rint(x);
            case TRUNC: return (float) (x < 0 ? Math.ceil(x) : Math.floor(x));
            case NOT_ZERO: return x != 0 ? 1f : 0f;
            case AFFINE: return x * a + b;
            default: throw new IllegalArgumentException(f.op().toString());
        }
    }

    /** erf to ~1e-15 by its Taylor series (|x| < 3) or the continued fraction of erfc. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }

    // y[n][m][oy][ox] = act(bias[m] + sum x[n][g*Cg+c][iy][ix] * w[m][c][ky][kx])
    static float[] conv(float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s) {
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], M = ws[0], Cg = ws[1], kH = ws[2], kW = ws[3];
        int Mg = M / s.groups();
        float[] y = new float[N * M * s.outH() * s.outW()];
        int i = 0;
        for (int n = 0; n < N; n++)
            for (int m = 0; m < M; m++)
                for (int oy = 0; oy < s.outH(); oy++)
                    for (int ox = 0; ox < s.outW(); ox++) {
                        int g = m / Mg;
                        double sum = bias == null ? 0 : bias[m];
                        for (int c = 0; c < Cg; c++)
                            for (int ky = 0; ky < kH; ky++)
                                for (int kx = 0; kx < kW; kx++) {
                                    int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                                    int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                    sum += x[((n * C + g * Cg + c) * H + iy) * W + ix] * w[((m * Cg + c) * kH + ky) * kW + kx];
                                }
                        y[i++] = act(s.activation(), (float) sum);
                    }
        return y;
    }

    // scatter form, exactly as ConvSpec describes the transposed convolution
    static float[] convTranspose(float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s) {
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], Mg = ws[1], kH = ws[2], kW = ws[3];
        int M = Mg * s.groups(), Cg = C / s.groups(), oH = s.outH(), oW = s.outW();
        double[] acc = new double[N * M * oH * oW];
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int iy = 0; iy < H; iy++)
                    for (int ix = 0; ix < W; ix++) {
                        int g = c / Cg;
                        float xv = x[((n * C + c) * H + iy) * W + ix];
                        for (int mp = 0; mp < Mg; mp++)
                            for (int ky = 0; ky < kH; ky++)
                                for (int kx = 0; kx < kW; kx++) {
                                    int oy = iy * s.strideH() - s.padTop() + ky * s.dilationH();
                                    int ox = ix * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (oy < 0 || oy >= oH || ox < 0 || ox >= oW) continue;
                                    acc[((n * M + g * Mg + mp) * oH + oy) * oW + ox] += xv * w[((c * Mg + mp) * kH + ky) * kW + kx];
                                }
                    }
        float[] y = new float[acc.length];
        for (int i = 0; i < y.length; i++) {
            int m = (i / (oH * oW)) % M;
            y[i] = act(s.activation(), (float) (acc[i] + (bias == null ? 0 : bias[m])));
        }
        return y;
    }

    static float[] pool(float[] x, int[] xs, PoolSpec s) {
        int NC = xs[0] * xs[1], H = xs[2], W = xs[3];
        float[] y = new float[NC * s.outH() * s.outW()];
        int i = 0;
        for (int nc = 0; nc < NC; nc++)
            for (int oy = 0; oy < s.outH(); oy++)
                for (int ox = 0; ox < s.outW(); ox++) {
                    float max = Float.NEGATIVE_INFINITY;
                    double sum = 0;
                    int inside = 0, box = 0;
                    for (int ky = 0; ky < s.kernelH(); ky++)
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                            int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                            if (iy >= -s.padTop() && iy < H + s.padBottom() && ix >= -s.padLeft() && ix < W + s.padRight()) box++;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            float v = x[(nc * H + iy) * W + ix];
                            max = Math.max(max, v);
                            sum += v;
                            inside++;
                        }
                    y[i++] = s.kind() == PoolSpec.Kind.MAX ? max : (float) (sum / (s.countIncludePad() ? box : inside));
                }
        return y;
    }

    static float[] resize(float[] x, int[] xs, ResizeSpec s) {
        int NC = xs[0] * xs[1], H = xs[2], W = xs[3];
        float[] y = new float[NC * s.outH() * s.outW()];
        int i = 0;
        for (int nc = 0; nc < NC; nc++)
            for (int oy = 0; oy < s.outH(); oy++)
                for (int ox = 0; ox < s.outW(); ox++) {
                    float cy = ResizeSpec.sourceCoordinate(s.coordinateMode(), oy, H, s.outH(), s.scaleH());
                    float cx = ResizeSpec.sourceCoordinate(s.coordinateMode(), ox, W, s.outW(), s.scaleW());
                    int base = nc * H * W;
                    switch (s.mode()) {
                        case NEAREST:
                            y[i++] = x[base + nearest(cy, s.nearestMode(), H) * W + nearest(cx, s.nearestMode(), W)];
                            break;
                        case LINEAR: {
                            double[] wy = new double[H], wx = new double[W];
                            linear(cy, H, wy);
                            linear(cx, W, wx);
                            y[i++] = (float) separable(x, base, H, W, wy, wx);
                            break;
                        }
                        default: {
                            double[] wy = new double[H], wx = new double[W];
                            cubic(cy, H, s.cubicA(), s.excludeOutside(), wy);
                            cubic(cx, W, s.cubicA(), s.excludeOutside(), wx);
                            y[i++] = (float) separable(x, base, H, W, wy, wx);
                        }
                    }
                }
        return y;
    }

    private static double separable(float[] x, int base, int H, int W, double[] wy, double[] wx) {
        double v = 0;
        for (int a = 0; a < H; a++)
            for (int b = 0; b < W; b++) v += wy[a] * wx[b] * x[base + a * W + b];
        return v;
    }

    private static int nearest(float c, ResizeSpec.NearestMode m, int in) {
        double f = Math.floor(c), d = c - f, r;
        switch (m) {
            case ROUND_PREFER_FLOOR: r = d > 0.5 ? f + 1 : f; break;
            case ROUND_PREFER_CEIL: r = d >= 0.5 ? f + 1 : f; break;
            case FLOOR: r = f; break;
            default: r = Math.ceil(c);
        }
        return (int) Math.max(0, Math.min(in - 1, r));
    }

    // weights over all input positions
    private static void linear(float c, int in, double[] w) {
        double p = Math.max(0, Math.min(in - 1, c));
        int i0 = (int) Math.floor(p);
        int i1 = Math.min(i0 + 1, in - 1);
        double t = p - i0;
        w[i0] += 1 - t;
        w[i1] += t;
    }

    private static void cubic(float c, int in, float A, boolean exclude, double[] w) {
        double f = Math.floor(c), t = c - f;
        double[] k = new double[4];
        for (int j = 0; j < 4; j++) {
            double d = Math.abs(t - (j - 1)); // distance to neighbour floor(c)-1+j
            k[j] = d <= 1 ? ((A + 2) * d - (A + 3)) * d * d + 1
                    : d < 2 ? ((A * d - 5 * A) * d + 8 * A) * d - 4 * A : 0;
        }
        double total = 0;
        for (int j = 0; j < 4; j++) {
            int idx = (int) f - 1 + j;
            if (exclude && (idx < 0 || idx >= in)) k[j] = 0;
            total += k[j];
        }
        for (int j = 0; j < 4; j++) {
            int idx = (int) f - 1 + j;
            w[Math.max(0, Math.min(in - 1, idx))] += exclude ? k[j] / total : k[j];
        }
    }
}
