package org.neuralj.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Session;

/**
 * Occlusion sensitivity (Zeiler and Fergus 2014): a grey patch slides over the image and the drop of
 * the class score, base - occluded, is spread over the pixels the patch covered (averaged where
 * patches overlap). Forward passes only, so it runs on any model: an ONNX {@link Session} or a
 * {@link TapNet}. Occluded copies run in batches.
 */
public final class Occlusion {
    private Occlusion() {
    }

    /** Class scores of a batch: [N, C, H, W] in, N x K scores out (row-major; a dense model's channel means). */
    @FunctionalInterface
    public interface Scorer {
        float[] scores(Tensor batch);
    }

    /** Geometry and score of an occlusion map. */
    public record Settings(int patch, int stride, Float fill, boolean probability, int batch) {
        public Settings {
            if (patch < 1 || stride < 1 || batch < 1) {
                throw new IllegalArgumentException("occlusion patch, stride and batch must be >= 1");
            }
        }

        /** patch p, stride p/2, fill with the image mean, softmax probability, 16 copies per batch. */
        public static Settings of(int patch) {
            return new Settings(patch, Math.max(1, patch / 2), null, true, 16);
        }
    }

    public static Scorer scorer(TapNet net) {
        return batch -> Explain.scores(net, batch);
    }

    /** A one-input ONNX model's first output, through a session. */
    public static Scorer scorer(Session session) {
        String in = session.model().inputs().get(0).name();
        String out = session.model().outputNames().get(0);
        return batch -> {
            Map<String, Tensor> r = session.run(Map.of(in, batch));
            try {
                Tensor y = r.get(out);
                float[] z = session.backend().download(y);
                int[] s = y.shape();
                if (s.length <= 2) {
                    return z;
                }
                int n = s[0], k = s[1], per = z.length / (n * k);     // a dense output: mean over space per channel
                float[] mean = new float[n * k];
                for (int i = 0; i < n * k; i++) {
                    double sum = 0;
                    for (int j = 0; j < per; j++) {
                        sum += z[i * per + j];
                    }
                    mean[i] = (float) (sum / per);
                }
                return mean;
            } finally {
                r.values().forEach(Tensor::close);
            }
        };
    }

    /** The occlusion map of class {@code cls} for image {@code x} [1, C, H, W] (host data) on backend {@code b}. */
    public static Heatmap map(Scorer scorer, Backend b, float[] x, int[] shape, int cls, Settings s) {
        int c = shape[1], h = shape[2], w = shape[3], plane = h * w;
        float fill;
        if (s.fill() != null) {
            fill = s.fill();
        } else {
            double sum = 0;
            for (float v : x) {
                sum += v;
            }
            fill = (float) (sum / x.length);
        }
        float base;
        try (Tensor t = b.upload(x, shape)) {
            base = pick(scorer.scores(t), 1, cls, s.probability())[0];
        }
        List<int[]> positions = new ArrayList<>();
        for (int y0 = 0; y0 < h; y0 += s.stride()) {
            for (int x0 = 0; x0 < w; x0 += s.stride()) {
                positions.add(new int[] {x0, y0});
                if (x0 + s.patch() >= w) {
                    break;
                }
            }
            if (y0 + s.patch() >= h) {
                break;
            }
        }
        float[] drop = new float[plane];
        float[] count = new float[plane];
        for (int start = 0; start < positions.size(); start += s.batch()) {
            int n = Math.min(s.batch(), positions.size() - start);
            float[] batch = new float[n * c * plane];
            for (int k = 0; k < n; k++) {
                System.arraycopy(x, 0, batch, k * c * plane, c * plane);
                int[] p = positions.get(start + k);
                for (int ch = 0; ch < c; ch++) {
                    for (int y = p[1]; y < Math.min(h, p[1] + s.patch()); y++) {
                        for (int xx = p[0]; xx < Math.min(w, p[0] + s.patch()); xx++) {
                            batch[(k * c + ch) * plane + y * w + xx] = fill;
                        }
                    }
                }
            }
            float[] scores;
            try (Tensor t = b.upload(batch, n, c, h, w)) {
                scores = pick(scorer.scores(t), n, cls, s.probability());
            }
            for (int k = 0; k < n; k++) {
                int[] p = positions.get(start + k);
                for (int y = p[1]; y < Math.min(h, p[1] + s.patch()); y++) {
                    for (int xx = p[0]; xx < Math.min(w, p[0] + s.patch()); xx++) {
                        drop[y * w + xx] += base - scores[k];
                        count[y * w + xx]++;
                    }
                }
            }
        }
        for (int i = 0; i < plane; i++) {
            drop[i] = count[i] == 0 ? 0 : drop[i] / count[i];
        }
        return new Heatmap(w, h, drop);
    }

    /** Score of class cls for each of n rows of logits (softmax probability, or the raw value, always raw for one output). */
    static float[] pick(float[] z, int n, int cls, boolean probability) {
        int per = z.length / n;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            if (!probability || per == 1) {
                out[i] = z[i * per + cls];
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < per; k++) {
                max = Math.max(max, z[i * per + k]);
            }
            double sum = 0;
            for (int k = 0; k < per; k++) {
                sum += Math.exp(z[i * per + k] - max);
            }
            out[i] = (float) (Math.exp(z[i * per + cls] - max) / sum);
        }
        return out;
    }
}
