package org.neuralj.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.neuralj.backend.Tensor;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * Activation maximisation and DeepDream: gradient ascent on the input image so that a chosen channel
 * of a layer (its mean activation), or a whole layer (the mean of its squared activations, DeepDream),
 * or a class logit (the network's output) grows. Each step shifts the image by a random jitter
 * (rolled, so nothing is lost at the edges), takes the gradient, normalises it by its mean magnitude
 * and adds it; a small decay pulls the image towards zero. Octaves run the ascent at growing scales
 * (the image is resized up between them), which brings out structure at several sizes. The forward
 * pass stops at the chosen layer.
 */
public final class Dream {
    private Dream() {
    }

    /**
     * @param steps ascent steps per octave
     * @param stepSize the step, in units of the normalised gradient
     * @param jitter the largest random shift in pixels (0: none)
     * @param octaves number of scales (1: the image size only)
     * @param octaveScale size ratio between octaves (e.g. 1.4)
     * @param decay the fraction of the image removed each step (L2 decay; 0: none)
     */
    public record Settings(int steps, float stepSize, int jitter, int octaves, float octaveScale, float decay, long seed) {
        public static Settings defaults() {
            return new Settings(40, 0.05f, 2, 1, 1.4f, 0.0f, 1);
        }
    }

    /** The made image [1, C, H, W] and the objective before and after, measured without jitter. */
    public record Result(float[] image, int[] shape, float before, float after) {
    }

    private static final class Stop extends RuntimeException {
        final transient Var value;

        Stop(Var value) {
            super(null, null, false, false);
            this.value = value;
        }
    }

    /**
     * Noise to start from: mean 0, standard deviation {@code sigma}, seeded.
     */
    public static float[] noise(int[] shape, float sigma, long seed) {
        Random r = new Random(seed);
        float[] x = new float[org.neuralj.backend.Tensor.elementCount(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = sigma * (float) r.nextGaussian();
        }
        return x;
    }

    /**
     * Maximises the objective at {@code layer} (a point name; null: the network's output) for
     * {@code channel} (-1: the whole layer, DeepDream), starting from {@code start} [1, C, H, W].
     */
    public static Result maximise(TapNet net, String layer, int channel, float[] start, int[] shape, Settings s) {
        String point = layer == null ? null : net.point(layer);
        return Explain.frozen(net, () -> {
            float before = objective(net, point, channel, start, shape, null);
            Random r = new Random(s.seed());
            int c = shape[1], h = shape[2], w = shape[3];
            float[] img = start.clone();
            int curH = h, curW = w;
            for (int o = 0; o < s.octaves(); o++) {
                double f = Math.pow(s.octaveScale(), s.octaves() - 1 - o);
                int oh = Math.max(8, (int) Math.round(h / f)), ow = Math.max(8, (int) Math.round(w / f));
                img = resize(img, c, curH, curW, oh, ow);
                curH = oh;
                curW = ow;
                int[] os = {1, c, oh, ow};
                for (int step = 0; step < s.steps(); step++) {
                    int dx = s.jitter() == 0 ? 0 : r.nextInt(2 * s.jitter() + 1) - s.jitter();
                    int dy = s.jitter() == 0 ? 0 : r.nextInt(2 * s.jitter() + 1) - s.jitter();
                    float[] shifted = roll(img, c, oh, ow, dx, dy);
                    float[] g = new float[shifted.length];
                    objective(net, point, channel, shifted, os, g);
                    g = roll(g, c, oh, ow, -dx, -dy);
                    double mean = 0;
                    for (float v : g) {
                        mean += Math.abs(v);
                    }
                    mean = mean / g.length + 1e-8;
                    for (int i = 0; i < img.length; i++) {
                        img[i] = (float) ((1 - s.decay()) * img[i] + s.stepSize() * g[i] / mean);
                    }
                }
            }
            img = resize(img, c, curH, curW, h, w);
            float after = objective(net, point, channel, img, shape, null);
            return new Result(img, shape.clone(), before, after);
        });
    }

    /** The objective for image x; with {@code grad} != null also its input gradient (written there). */
    static float objective(TapNet net, String point, int channel, float[] x, int[] shape, float[] grad) {
        List<Tensor> owned = new ArrayList<>();
        try (Tensor xt = net.backend().upload(x, shape); Tape t = new Tape(net.backend(), Tape.EVAL)) {
            Var in = t.input(xt, grad != null);
            Var a;
            try {
                a = net.forward(t, in, (p, v) -> {
                    if (p.equals(point)) {
                        throw new Stop(v);
                    }
                    return v;
                });
            } catch (Stop stop) {
                a = stop.value;
            }
            Var obj;
            if (channel < 0) {
                obj = t.mean(t.mul(a, a));
            } else {
                int per = a.value().size() / (a.dim(0) * a.dim(1));
                obj = t.scale(Explain.score(t, a, channel, owned), 1f / (a.dim(0) * per), 0f);
            }
            if (grad != null) {
                t.backward(obj);
                float[] g = net.backend().download(in.grad());
                System.arraycopy(g, 0, grad, 0, g.length);
            }
            return obj.download()[0];
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /** x[c][y][x] moved by (dx, dy), wrapping around. */
    static float[] roll(float[] x, int c, int h, int w, int dx, int dy) {
        if (dx == 0 && dy == 0) {
            return x.clone();
        }
        float[] out = new float[x.length];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int ty = Math.floorMod(y + dy, h);
                for (int xx = 0; xx < w; xx++) {
                    out[ch * h * w + ty * w + Math.floorMod(xx + dx, w)] = x[ch * h * w + y * w + xx];
                }
            }
        }
        return out;
    }

    private static float[] resize(float[] x, int c, int h, int w, int oh, int ow) {
        if (h == oh && w == ow) {
            return x;
        }
        float[] out = new float[c * oh * ow];
        for (int ch = 0; ch < c; ch++) {
            float[] plane = new float[h * w];
            System.arraycopy(x, ch * h * w, plane, 0, h * w);
            float[] r = new Heatmap(w, h, plane).resized(ow, oh).values();
            System.arraycopy(r, 0, out, ch * oh * ow, oh * ow);
        }
        return out;
    }
}
