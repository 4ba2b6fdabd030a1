package org.neuralj.viz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.train.Parameter;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * Gradient explanations of one image's score for one class (or output channel), computed with the
 * training tape on the network's backend:
 * <ul>
 *   <li>{@link #saliency}: |d score / d input|, the largest over the input channels (Simonyan et al. 2014);</li>
 *   <li>{@link #smoothGrad}: the mean saliency over noisy copies of the image (Smilkov et al. 2017), the
 *       noise in antithetic pairs;</li>
 *   <li>{@link #guidedBackprop}: the input gradient with ReLU's backward replaced by the guided rule
 *       ({@link Tape.ReluBackward#GUIDED}, Springenberg et al. 2015);</li>
 *   <li>{@link #gradCam}: ReLU(sum_k alpha_k A_k), A the activations of a layer, alpha_k the spatial
 *       mean of d score / d A_k (Selvaraju et al. 2017), and {@link #guidedGradCam}, its product with
 *       guided backprop.</li>
 * </ul>
 * The {@link Score} is the log-probability of class {@code cls} (softmax over the classes; {@link Target}) or
 * its logit, summed over the spatial axes of a dense output or over a {@link Region} of them (a
 * segmentation model explained for the objects in a rectangle). The image is [1, C, H, W] on the
 * network's backend; the network's weights are frozen for the call (no weight gradients are computed;
 * their frozen flags are restored).
 */
public final class Explain {
    private Explain() {
    }

    /**
     * What is explained: output channel {@code channel} (a classifier's class, a dense model's output
     * channel) as its {@link Target}, summed over {@code region} of a dense output (null: over all of
     * it, and over the batch).
     */
    public record Score(int channel, Target target, Region region) {
        public Score {
            target = target == null ? Target.LOG_PROBABILITY : target;
        }

        /** Channel {@code channel}'s log-probability, over the whole output. */
        public static Score of(int channel) {
            return new Score(channel, Target.LOG_PROBABILITY, null);
        }

        public Score in(Region r) {
            return new Score(channel, target, r);
        }

        public Score as(Target t) {
            return new Score(channel, t, region);
        }
    }

    /**
     * A rectangle in input pixels (x, y: top left). On a dense output of another size (a strided
     * network) it covers the output cells whose pixels it touches.
     */
    public record Region(int x, int y, int width, int height) {
        public Region {
            if (width < 1 || height < 1 || x < 0 || y < 0) {
                throw new IllegalArgumentException("region " + x + "," + y + " " + width + "x" + height
                        + ": the corner must be inside the image and the size at least 1x1");
            }
        }

        /** [y0, y1, x0, x1) on an output grid of oh x ow for an input of ih x iw; refuses a region outside. */
        int[] onGrid(int ih, int iw, int oh, int ow) {
            if (x + width > iw || y + height > ih) {
                throw new IllegalArgumentException("region " + x + "," + y + " " + width + "x" + height + " is outside the "
                        + iw + "x" + ih + " image");
            }
            return new int[] {(int) ((long) y * oh / ih), (int) Math.min(oh, ((long) (y + height) * oh + ih - 1) / ih),
                    (int) ((long) x * ow / iw), (int) Math.min(ow, ((long) (x + width) * ow + iw - 1) / iw)};
        }
    }

    /** The input gradient [C, H, W] of one pass, and the value of the score. */
    public record Gradient(int channels, int height, int width, float[] data, float score) {
        /** max over channels of |g| (guided: of max(g, 0)). */
        public Heatmap magnitude() {
            float[] m = new float[width * height];
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < m.length; i++) {
                    m[i] = Math.max(m[i], Math.abs(data[c * m.length + i]));
                }
            }
            return new Heatmap(width, height, m);
        }
    }

    /** A Grad-CAM map: at the layer's resolution, resized to the input, the layer and the score. */
    public record GradCam(String layer, Heatmap map, Heatmap atInput, float score) {
    }

    /** The network's outputs for {@code x} (logits), flattened. */
    public static float[] scores(TapNet net, Tensor x) {
        try (Tape t = new Tape(net.backend(), Tape.EVAL)) {
            return net.forward(t, t.input(x), TapNet.Tap.NONE).download();
        }
    }

    /** The shape of the network's output for {@code x}. */
    public static int[] outputShape(TapNet net, Tensor x) {
        try (Tape t = new Tape(net.backend(), Tape.EVAL)) {
            return net.forward(t, t.input(x), TapNet.Tap.NONE).shape();
        }
    }

    /** The index of the largest output of the first image (a dense output: the channel with the largest sum). */
    public static int predictedClass(TapNet net, Tensor x) {
        return predictedClass(net, x, null);
    }

    /** The class (channel) with the largest output summed over {@code region} (null: everywhere) of the first image. */
    public static int predictedClass(TapNet net, Tensor x, Region region) {
        int[] s;
        float[] z;
        try (Tape t = new Tape(net.backend(), Tape.EVAL)) {
            Var out = net.forward(t, t.input(x), TapNet.Tap.NONE);
            s = out.shape();
            z = out.download();
        }
        int k = s.length > 1 ? s[1] : z.length;
        int oh = s.length == 4 ? s[2] : 1, ow = s.length == 4 ? s[3] : z.length / Math.max(1, s[0] * k);
        int[] box = region == null || s.length != 4 ? new int[] {0, oh, 0, ow} : region.onGrid(x.dim(2), x.dim(3), oh, ow);
        int best = 0;
        double bestSum = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double sum = 0;
            for (int y = box[0]; y < box[1]; y++) {
                for (int i = box[2]; i < box[3]; i++) {
                    sum += z[(c * oh + y) * ow + i];
                }
            }
            if (sum > bestSum) {
                best = c;
                bestSum = sum;
            }
        }
        return best;
    }

    /** d score(cls) / d x with the given ReLU rule. */
    public static Gradient gradient(TapNet net, Tensor x, int cls, Tape.ReluBackward rule) {
        return gradient(net, x, Score.of(cls), rule);
    }

    /** d score(cls) / d x with the given ReLU rule and target. */
    public static Gradient gradient(TapNet net, Tensor x, int cls, Tape.ReluBackward rule, Target target) {
        return gradient(net, x, Score.of(cls).as(target), rule);
    }

    /** d score / d x with the given ReLU rule. */
    public static Gradient gradient(TapNet net, Tensor x, Score what, Tape.ReluBackward rule) {
        int[] s = x.shape();
        return frozen(net, () -> {
            List<Tensor> owned = new ArrayList<>();
            try (Tape t = new Tape(net.backend(), Tape.EVAL).reluBackward(rule)) {
                Var in = t.input(x, true);
                Var score = explained(t, net.forward(t, in, TapNet.Tap.NONE), what, s, owned);
                t.backward(score);
                float value = score.download()[0];
                return new Gradient(s[1], s[2], s[3], net.backend().download(in.grad()), value);
            } finally {
                owned.forEach(Tensor::close);
            }
        });
    }

    /** Vanilla gradient saliency: max over channels of |d score / d x|. */
    public static Heatmap saliency(TapNet net, Tensor x, int cls) {
        return saliency(net, x, Score.of(cls));
    }

    public static Heatmap saliency(TapNet net, Tensor x, Score what) {
        return gradient(net, x, what, Tape.ReluBackward.EXACT).magnitude();
    }

    /** SmoothGrad's defaults: 32 noisy copies (16 antithetic pairs) with noise 0.1 of the image's range. */
    public static final int SMOOTHGRAD_SAMPLES = 32;
    public static final float SMOOTHGRAD_NOISE = 0.1f;

    /**
     * SmoothGrad (Smilkov et al. 2017): the mean of the saliency maps |d score / d x| of
     * {@code samples} copies of x with Gaussian noise of standard deviation {@code noise} times
     * (max - min) of x (the paper suggests 0.1 to 0.2). The noise comes in antithetic pairs, x + e
     * and x - e, which cancels the first-order part of the noise in the mean and so needs fewer
     * samples for the same map (on the bright-square test, 16 pairs give a sharper map than 32
     * independent draws).
     */
    public static Heatmap smoothGrad(TapNet net, Tensor x, int cls, int samples, float noise, long seed) {
        return smoothGrad(net, x, Score.of(cls), samples, noise, seed);
    }

    public static Heatmap smoothGrad(TapNet net, Tensor x, Score what, int samples, float noise, long seed) {
        if (samples < 1 || !(noise >= 0)) {
            throw new IllegalArgumentException("SmoothGrad needs at least 1 sample and a noise level >= 0, not " + samples + " and " + noise);
        }
        Backend b = net.backend();
        float[] data = b.download(x);
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float sigma = noise * (hi - lo);
        Random r = new Random(seed);
        float[] sum = null;
        float[] e = new float[data.length];
        Heatmap last = null;
        for (int k = 0; k < samples; k++) {
            float[] noisy = new float[data.length];
            for (int i = 0; i < data.length; i++) {
                if (k % 2 == 0) {
                    e[i] = sigma * (float) r.nextGaussian();
                }
                noisy[i] = k % 2 == 0 ? data[i] + e[i] : data[i] - e[i];   // odd samples: the pair's mirror
            }
            try (Tensor xn = b.upload(noisy, x.shape())) {
                last = saliency(net, xn, what);
            }
            if (sum == null) {
                sum = new float[last.values().length];
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] += last.values()[i] / samples;
            }
        }
        return new Heatmap(last.width(), last.height(), sum);
    }

    /** Guided backpropagation: the input gradient with guided ReLUs. */
    public static Gradient guidedBackprop(TapNet net, Tensor x, int cls) {
        return guidedBackprop(net, x, Score.of(cls));
    }

    public static Gradient guidedBackprop(TapNet net, Tensor x, Score what) {
        return gradient(net, x, what, Tape.ReluBackward.GUIDED);
    }

    /** Grad-CAM at {@code layer} (a point of the network; null: {@link TapNet#lastSpatialPoint}). */
    public static GradCam gradCam(TapNet net, Tensor x, int cls, String layer) {
        return gradCam(net, x, Score.of(cls), layer);
    }

    /** Grad-CAM of the given target. */
    public static GradCam gradCam(TapNet net, Tensor x, int cls, String layer, Target target) {
        return gradCam(net, x, Score.of(cls).as(target), layer);
    }

    /** Grad-CAM of the given score. */
    public static GradCam gradCam(TapNet net, Tensor x, Score what, String layer) {
        String point = layer == null ? net.lastSpatialPoint(x.shape()) : net.point(layer);
        return frozen(net, () -> {
            List<Tensor> owned = new ArrayList<>();
            Var[] cut = new Var[1];
            try (Tape t = new Tape(net.backend(), Tape.EVAL)) {
                Var z = net.forward(t, t.input(x), (p, v) -> {
                    if (p.equals(point)) {
                        cut[0] = t.input(v.value(), true); // the graph is cut here: its gradient is kept
                        return cut[0];
                    }
                    return v;
                });
                if (cut[0] == null || cut[0].shape().length != 4) {
                    throw new IllegalArgumentException("Grad-CAM needs a layer with an [N, C, H, W] output; '" + point + "' has "
                            + (cut[0] == null ? "none" : Arrays.toString(cut[0].shape())));
                }
                Var score = explained(t, z, what, x.shape(), owned);
                t.backward(score);
                int[] as = cut[0].shape();
                float[] a = cut[0].download();
                float[] g = net.backend().download(cut[0].grad());
                int c = as[1], h = as[2], w = as[3], hw = h * w;
                float[] cam = new float[hw];
                for (int k = 0; k < c; k++) {
                    double alpha = 0;                      // alpha_k = mean over (y, x) of dS/dA[k][y][x]
                    for (int i = 0; i < hw; i++) {
                        alpha += g[k * hw + i];
                    }
                    alpha /= hw;
                    for (int i = 0; i < hw; i++) {         // cam[y][x] += alpha_k * A[k][y][x]
                        cam[i] += (float) (alpha * a[k * hw + i]);
                    }
                }
                for (int i = 0; i < hw; i++) {
                    cam[i] = Math.max(0f, cam[i]);
                }
                Heatmap map = new Heatmap(w, h, cam);
                return new GradCam(point, map, map.resized(x.dim(3), x.dim(2)), score.download()[0]);
            } finally {
                owned.forEach(Tensor::close);
            }
        });
    }

    /** Guided Grad-CAM: guided backprop's magnitude times the Grad-CAM map at input resolution. */
    public static Heatmap guidedGradCam(TapNet net, Tensor x, int cls, String layer) {
        return guidedGradCam(net, x, Score.of(cls), layer);
    }

    public static Heatmap guidedGradCam(TapNet net, Tensor x, Score what, String layer) {
        Heatmap cam = gradCam(net, x, what, layer).atInput();
        return guidedBackprop(net, x, what).magnitude().times(cam);
    }

    /**
     * What is explained: the class's raw output (logit), or its log-probability after a softmax over
     * the classes (log p = z_cls - logsumexp z), which leaves out what all classes share and so
     * shows what tells this class from the others. Default {@link #LOG_PROBABILITY}. A one-channel
     * output has no softmax: its logit is explained.
     */
    public enum Target { LOGIT, LOG_PROBABILITY }

    /**
     * The score explained, for network output z and input shape {@code in}: the log-probability or
     * logit of channel {@code what.channel()}, summed over N and over the region (or all) of space.
     */
    static Var explained(Tape t, Var z, Score what, int[] in, List<Tensor> owned) {
        int[] zs = z.shape();
        int cls = what.channel();
        if (zs.length < 2 || cls < 0 || cls >= zs[1]) {
            throw new IllegalArgumentException("class " + cls + " is outside the network's output " + Arrays.toString(zs));
        }
        int positions = z.value().size() / zs[1];
        int inner = positions / zs[0];
        float[] where = new float[inner];                   // where[y][x]: 1 inside the region
        if (what.region() == null) {
            Arrays.fill(where, 1f);
        } else {
            if (zs.length != 4) {
                throw new IllegalArgumentException("a region needs a dense [N, C, H, W] output; this network's is " + Arrays.toString(zs));
            }
            int[] box = what.region().onGrid(in[2], in[3], zs[2], zs[3]);
            for (int y = box[0]; y < box[1]; y++) {
                Arrays.fill(where, y * zs[3] + box[2], y * zs[3] + box[3], 1f);
            }
        }
        if (what.target() == Target.LOGIT || zs[1] == 1) {
            int[] ms = zs.clone();                          // mask [1, C, ...], broadcast over N
            ms[0] = 1;
            float[] mask = new float[z.value().size() / zs[0]];
            System.arraycopy(where, 0, mask, cls * inner, inner);
            Tensor m = t.backend().upload(mask, ms);
            owned.add(m);
            return t.sum(t.mul(z, t.input(m)));
        }
        // log p_cls = z_cls - logsumexp(z) summed over the region: softmaxCrossEntropy's gradient needs a
        // target that sums to 1 at every position, so the target is one-hot everywhere and the logits
        // outside the region are zeroed (uniform there: a constant log(1/K) each, added back)
        float[] onehot = new float[z.value().size()];
        for (int n = 0; n < zs[0]; n++) {
            Arrays.fill(onehot, (n * zs[1] + cls) * inner, (n * zs[1] + cls + 1) * inner, 1f);
        }
        Tensor m = t.backend().upload(onehot, zs);
        owned.add(m);
        Var logits = z;
        int outside = 0;
        if (what.region() != null) {
            int[] ws = zs.clone();
            ws[0] = 1;
            ws[1] = 1;
            Tensor keep = t.backend().upload(where, ws);
            owned.add(keep);
            logits = t.mul(z, t.input(keep));
            for (float v : where) {
                outside += v == 0f ? zs[0] : 0;
            }
        }
        return t.scale(t.softmaxCrossEntropy(logits, m), -positions, (float) (outside * Math.log(zs[1])));
    }

    /** score = sum of z[:, cls, ...] (a one-hot mask of z's shape, broadcast over N and space). */
    static Var score(Tape t, Var z, int cls, List<Tensor> owned) {
        int[] zs = z.shape();
        if (zs.length < 2 || cls < 0 || cls >= zs[1]) {
            throw new IllegalArgumentException("class " + cls + " is outside the network's output " + Arrays.toString(zs));
        }
        int[] ms = new int[zs.length];
        Arrays.fill(ms, 1);
        ms[1] = zs[1];
        float[] onehot = new float[zs[1]];
        onehot[cls] = 1f;
        Tensor m = t.backend().upload(onehot, ms);
        owned.add(m);
        return t.sum(t.mul(z, t.input(m)));
    }

    /** Runs {@code body} with every parameter of the network frozen, then restores the flags. */
    static <T> T frozen(TapNet net, Supplier<T> body) {
        List<Parameter> ps = net.parameters();
        boolean[] was = new boolean[ps.size()];
        for (int i = 0; i < was.length; i++) {
            was[i] = ps.get(i).frozen();
            ps.get(i).freeze(true);
        }
        try {
            return body.get();
        } finally {
            for (int i = 0; i < was.length; i++) {
                ps.get(i).freeze(was[i]);
            }
        }
    }
}
