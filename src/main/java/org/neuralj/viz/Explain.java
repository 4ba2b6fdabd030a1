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
 *   <li>{@link #smoothGrad}: the mean saliency over noisy copies of the image (Smilkov et al. 2017);</li>
 *   <li>{@link #guidedBackprop}: the input gradient with ReLU's backward replaced by the guided rule
 *       ({@link Tape.ReluBackward#GUIDED}, Springenberg et al. 2015);</li>
 *   <li>{@link #gradCam}: ReLU(sum_k alpha_k A_k), A the activations of a layer, alpha_k the spatial
 *       mean of d score / d A_k (Selvaraju et al. 2017), and {@link #guidedGradCam}, its product with
 *       guided backprop.</li>
 * </ul>
 * The score is the log-probability of class {@code cls} (softmax over the classes; {@link Target}) or
 * its logit, summed over any spatial axes. The image is [1, C, H, W] on the network's backend; the network's weights are
 * frozen for the call (no weight gradients are computed; their frozen flags are restored).
 */
public final class Explain {
    private Explain() {
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

    /** The index of the largest output of the first image. */
    public static int predictedClass(TapNet net, Tensor x) {
        float[] z = scores(net, x);
        int k = z.length / x.dim(0);
        int best = 0;
        for (int i = 1; i < k; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    /** d score(cls) / d x with the given ReLU rule. */
    public static Gradient gradient(TapNet net, Tensor x, int cls, Tape.ReluBackward rule) {
        return gradient(net, x, cls, rule, Target.LOG_PROBABILITY);
    }

    /** d score(cls) / d x with the given ReLU rule and target. */
    public static Gradient gradient(TapNet net, Tensor x, int cls, Tape.ReluBackward rule, Target target) {
        int[] s = x.shape();
        return frozen(net, () -> {
            List<Tensor> owned = new ArrayList<>();
            try (Tape t = new Tape(net.backend(), Tape.EVAL).reluBackward(rule)) {
                Var in = t.input(x, true);
                Var score = explained(t, net.forward(t, in, TapNet.Tap.NONE), cls, owned, target);
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
        return gradient(net, x, cls, Tape.ReluBackward.EXACT).magnitude();
    }

    /**
     * SmoothGrad: the mean of the saliency maps of {@code samples} copies of x with Gaussian noise of
     * standard deviation {@code noise} times (max - min) of x (the paper suggests 0.1 to 0.2).
     */
    public static Heatmap smoothGrad(TapNet net, Tensor x, int cls, int samples, float noise, long seed) {
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
        Heatmap last = null;
        for (int k = 0; k < samples; k++) {
            float[] noisy = new float[data.length];
            for (int i = 0; i < data.length; i++) {
                noisy[i] = data[i] + sigma * (float) r.nextGaussian();
            }
            try (Tensor xn = b.upload(noisy, x.shape())) {
                last = saliency(net, xn, cls);
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
        return gradient(net, x, cls, Tape.ReluBackward.GUIDED);
    }

    /** Grad-CAM at {@code layer} (a point of the network; null: the last layer with a spatial output). */
    public static GradCam gradCam(TapNet net, Tensor x, int cls, String layer) {
        return gradCam(net, x, cls, layer, Target.LOG_PROBABILITY);
    }

    /** Grad-CAM of the given target. */
    public static GradCam gradCam(TapNet net, Tensor x, int cls, String layer, Target target) {
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
                Var score = explained(t, z, cls, owned, target);
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
        Heatmap cam = gradCam(net, x, cls, layer).atInput();
        return guidedBackprop(net, x, cls).magnitude().times(cam);
    }

    /**
     * What is explained: the class's raw output (logit), or its log-probability after a softmax over
     * the classes (log p = z_cls - logsumexp z), which leaves out what all classes share and so
     * shows what tells this class from the others. Default {@link #LOG_PROBABILITY}.
     */
    public enum Target { LOGIT, LOG_PROBABILITY }

    /** The score explained: log-probability (default) or logit of class cls, summed over N and space. */
    static Var explained(Tape t, Var z, int cls, List<Tensor> owned, Target what) {
        if (what == Target.LOGIT || z.shape()[1] == 1) {
            return score(t, z, cls, owned);
        }
        int[] zs = z.shape();
        int positions = z.value().size() / zs[1];
        float[] onehot = new float[z.value().size()];
        int inner = positions / zs[0];
        for (int n = 0; n < zs[0]; n++) {
            for (int i = 0; i < inner; i++) {
                onehot[(n * zs[1] + cls) * inner + i] = 1f;
            }
        }
        Tensor m = t.backend().upload(onehot, zs);
        owned.add(m);
        // softmaxCrossEntropy = -mean over positions of log p_cls
        return t.scale(t.softmaxCrossEntropy(z, m), -positions, 0f);
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
