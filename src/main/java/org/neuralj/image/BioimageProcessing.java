package org.neuralj.image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.HostTensor;

/**
 * The pre- or post-processing of one tensor of a bioimage.io model (description format 0.4 and 0.5):
 * a chain of steps, each applied to what the step before made. Statistics (mean, standard deviation,
 * percentiles) are those of the whole image plane — over all channels, or per channel when the step's
 * {@code axes} leave the channel axis out — computed once, so each tile is processed exactly as the
 * whole image would be. Supported: {@code zero_mean_unit_variance} (per sample, or fixed mean and std),
 * {@code fixed_zero_mean_unit_variance}, {@code scale_range} (percentiles), {@code scale_linear},
 * {@code clip}, {@code binarize}, {@code sigmoid} and {@code ensure_dtype} to a float type; anything
 * else, and statistics over a dataset, is refused naming the step. Post-processing runs tile by tile,
 * so there it takes only steps without per-sample statistics.
 */
public final class BioimageProcessing {

    /** The map of one value of channel {@code c}, for one image. */
    @FunctionalInterface
    interface Pointwise {
        float apply(int c, float v);
    }

    /** One step of the chain. */
    public sealed interface Step permits ZeroMeanUnitVariance, ScaleRange, ScaleLinear, Clip, Binarize, Sigmoid {
        /** True when the step needs statistics of the whole image (mean, std, percentiles). */
        boolean needsStatistics();

        /** The step for this image: statistics come from {@code src} (the previous steps' result). */
        Pointwise resolve(PlaneSource src);

        /** The step in words, as the description names it. */
        String describe();
    }

    /**
     * (x - mean) / (std + eps), population std; {@code mean} and {@code std} null: the image's own
     * (per channel or over all of them), else fixed values (one, or one per channel).
     */
    public record ZeroMeanUnitVariance(boolean perChannel, float[] mean, float[] std, double eps) implements Step {
        public String describe() {
            return "zero_mean_unit_variance (" + (mean == null ? "per image" : "fixed") + (perChannel ? ", per channel" : "") + ")";
        }

        public boolean needsStatistics() {
            return mean == null;
        }

        public Pointwise resolve(PlaneSource src) {
            int n = perChannel ? src.channels() : 1;
            double[] m = new double[n], sd = new double[n];
            if (mean != null) {
                for (int k = 0; k < n; k++) {
                    m[k] = at(mean, k);
                    sd[k] = at(std, k);
                }
            } else {
                meanAndStd(src, perChannel, m, sd);
            }
            return (c, v) -> {
                int k = perChannel ? c : 0;
                return (float) ((v - m[k]) / (sd[k] + eps));
            };
        }
    }

    /** (x - p_low) / (p_high - p_low + eps) with the image's percentiles (numpy's linear method). */
    public record ScaleRange(boolean perChannel, double minPercentile, double maxPercentile, double eps) implements Step {
        public String describe() {
            return "scale_range (percentiles " + trim(minPercentile) + " to " + trim(maxPercentile) + (perChannel ? ", per channel" : "") + ")";
        }

        public boolean needsStatistics() {
            return true;
        }

        public Pointwise resolve(PlaneSource src) {
            int n = perChannel ? src.channels() : 1;
            double[] lo = new double[n], hi = new double[n];
            for (int k = 0; k < n; k++) {
                float[] sorted = values(src, perChannel ? k : -1);
                Arrays.sort(sorted);
                lo[k] = Normalization.percentile(sorted, minPercentile);
                hi[k] = Normalization.percentile(sorted, maxPercentile);
            }
            return (c, v) -> {
                int k = perChannel ? c : 0;
                return (float) ((v - lo[k]) / (hi[k] - lo[k] + eps));
            };
        }
    }

    /** x * gain + offset (each one value, or one per channel). */
    public record ScaleLinear(float[] gain, float[] offset) implements Step {
        public String describe() {
            return "scale_linear (gain " + Arrays.toString(gain) + ", offset " + Arrays.toString(offset) + ")";
        }

        public boolean needsStatistics() {
            return false;
        }

        public Pointwise resolve(PlaneSource src) {
            return (c, v) -> v * at(gain, c) + at(offset, c);
        }
    }

    /** min(max(x, min), max). */
    public record Clip(double min, double max) implements Step {
        public String describe() {
            return "clip (" + trim(min) + " to " + trim(max) + ")";
        }

        public boolean needsStatistics() {
            return false;
        }

        public Pointwise resolve(PlaneSource src) {
            return (c, v) -> (float) Math.min(Math.max(v, min), max);
        }
    }

    /** 1 where x > threshold (one, or one per channel), else 0. */
    public record Binarize(float[] threshold) implements Step {
        public String describe() {
            return "binarize (threshold " + Arrays.toString(threshold) + ")";
        }

        public boolean needsStatistics() {
            return false;
        }

        public Pointwise resolve(PlaneSource src) {
            return (c, v) -> v > at(threshold, c) ? 1f : 0f;
        }
    }

    /** 1 / (1 + exp(-x)). */
    public record Sigmoid() implements Step {
        public String describe() {
            return "sigmoid";
        }

        public boolean needsStatistics() {
            return false;
        }

        public Pointwise resolve(PlaneSource src) {
            return (c, v) -> (float) (1 / (1 + Math.exp(-v)));
        }
    }

    /** Above this many values a percentile is taken from a regular subsample (as {@link NormalizationStats}). */
    private static final int MAX_SORT = 1 << 24;

    private final List<Step> steps;

    public BioimageProcessing(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    public List<Step> steps() {
        return steps;
    }

    public boolean isEmpty() {
        return steps.isEmpty();
    }

    /** The plane after every step (each step's statistics over the previous one's result). */
    public PlaneSource apply(PlaneSource src) {
        PlaneSource out = src;
        for (Step s : steps) {
            out = mapped(out, s.resolve(out));
        }
        return out;
    }

    /** The tile model with every step applied to each output tile (per channel of [1, K, h, w]). */
    public Tiler.TileModel apply(Tiler.TileModel model) {
        if (steps.isEmpty()) {
            return model;
        }
        return (input, c, h, w) -> {
            HostTensor out = model.run(input, c, h, w);
            float[] d = out.data().clone();
            int[] s = out.shape();
            int plane = s.length >= 2 ? d.length / (s[0] * s[1]) : d.length;
            int k = s.length >= 2 ? s[1] : 1;
            for (Step step : steps) {
                Pointwise f = step.resolve(null); // post-processing steps need no statistics (refused in parse)
                for (int i = 0; i < d.length; i++) {
                    d[i] = f.apply((i / plane) % k, d[i]);
                }
            }
            return new HostTensor(s, d);
        };
    }

    private static PlaneSource mapped(PlaneSource src, Pointwise f) {
        return PlaneSource.of(src.width(), src.height(), src.channels(), (c, x, y) -> f.apply(c, src.get(c, x, y)));
    }

    // ---- reading a description's steps --------------------------------------------------------

    /**
     * The steps listed in {@code yaml} (the value of a tensor's {@code preprocessing} or
     * {@code postprocessing}; null: none) for a tensor with {@code channels} channels and id
     * {@code tensor}; {@code where} names the list in errors ("FILE: inputs[0].preprocessing").
     */
    static BioimageProcessing parse(Object yaml, String where, String tensor, int channels, boolean output) {
        if (yaml == null) {
            return new BioimageProcessing(List.of());
        }
        if (!(yaml instanceof List<?> list)) {
            throw new NeuralJException(where + " must be a list of steps");
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new NeuralJException(at + " must be a mapping with 'id' (or 'name') and 'kwargs'");
            }
            Object id = m.containsKey("id") ? m.get("id") : m.get("name");
            if (!(id instanceof String name)) {
                throw new NeuralJException(at + " has no 'id' (format 0.5) or 'name' (format 0.4)");
            }
            Object k = m.get("kwargs");
            if (k != null && !(k instanceof Map<?, ?>)) {
                throw new NeuralJException(at + ".kwargs must be a mapping");
            }
            Map<?, ?> kw = k == null ? Map.of() : (Map<?, ?>) k;
            Step step = step(name, kw, at + " (" + name + ")", tensor, channels, output);
            if (step == null) {
                continue; // ensure_dtype to a float type: NeuralJ computes in float32 anyway
            }
            if (output && step.needsStatistics()) {
                throw new NeuralJException(at + " (" + name + "): post-processing with statistics of the whole output is not"
                        + " supported (NeuralJ segments tile by tile); supported there: scale_linear, fixed"
                        + " zero_mean_unit_variance, clip, binarize, sigmoid");
            }
            steps.add(step);
        }
        return new BioimageProcessing(steps);
    }

    private static Step step(String name, Map<?, ?> kw, String at, String tensor, int channels, boolean output) {
        String mode = kw.get("mode") instanceof String s ? s : "per_sample";
        if (mode.equals("per_dataset")) {
            throw new NeuralJException(at + ": mode per_dataset needs the statistics of the training set, which the package"
                    + " does not hold; NeuralJ supports per_sample and fixed");
        }
        Object ref = kw.get("reference_tensor");
        if (ref != null && !ref.equals(tensor)) {
            throw new NeuralJException(at + ": statistics of another tensor ('" + ref + "') are not supported");
        }
        switch (name) {
            case "zero_mean_unit_variance":
            case "fixed_zero_mean_unit_variance": {
                double eps = number(kw, "eps", 1e-6, at);
                boolean fixed = name.startsWith("fixed") || mode.equals("fixed") || kw.containsKey("mean");
                if (fixed) {
                    float[] mean = perChannel(kw, "mean", null, channels, at);
                    float[] std = perChannel(kw, "std", null, channels, at);
                    return new ZeroMeanUnitVariance(mean.length > 1 || std.length > 1, mean, std, eps);
                }
                return new ZeroMeanUnitVariance(perChannelAxes(kw.get("axes"), at), null, null, eps);
            }
            case "scale_range": {
                double lo = number(kw, "min_percentile", 0, at), hi = number(kw, "max_percentile", 100, at);
                if (!(lo >= 0 && lo < hi && hi <= 100)) {
                    throw new NeuralJException(at + ": percentiles must satisfy 0 <= min_percentile < max_percentile <= 100, not "
                            + lo + " and " + hi);
                }
                return new ScaleRange(perChannelAxes(kw.get("axes"), at), lo, hi, number(kw, "eps", 1e-6, at));
            }
            case "scale_linear":
                return new ScaleLinear(perChannel(kw, "gain", 1f, channels, at), perChannel(kw, "offset", 0f, channels, at));
            case "clip":
                return new Clip(number(kw, "min", Double.NEGATIVE_INFINITY, at), number(kw, "max", Double.POSITIVE_INFINITY, at));
            case "binarize":
                return new Binarize(perChannel(kw, "threshold", null, channels, at));
            case "sigmoid":
                return new Sigmoid();
            case "ensure_dtype": {
                String dtype = String.valueOf(kw.get("dtype"));
                if (dtype.equals("float32") || dtype.equals("float64") || output) {
                    return null; // outputs: NeuralJ writes its own image types
                }
                throw new NeuralJException(at + ": casting the input to " + dtype + " is not supported (NeuralJ feeds float32)");
            }
            default:
                throw new NeuralJException(at + ": processing step '" + name + "' is not supported; NeuralJ supports"
                        + " zero_mean_unit_variance, fixed_zero_mean_unit_variance, scale_range, scale_linear, clip, binarize,"
                        + " sigmoid and ensure_dtype");
        }
    }

    /** Statistics per channel unless the axes include the channel axis (absent axes: over everything). */
    private static boolean perChannelAxes(Object axes, String at) {
        if (axes == null) {
            return false;
        }
        List<String> names = new ArrayList<>();
        if (axes instanceof String s) {
            for (char c : s.toCharArray()) {
                names.add(String.valueOf(c));
            }
        } else if (axes instanceof List<?> l) {
            l.forEach(a -> names.add(String.valueOf(a)));
        } else {
            throw new NeuralJException(at + ": axes must be a string (\"xy\") or a list ([x, y])");
        }
        return !names.contains("c") && !names.contains("channel");
    }

    private static double number(Map<?, ?> kw, String key, double def, String at) {
        Object v = kw.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n)) {
            throw new NeuralJException(at + ": " + key + " must be a number, not '" + v + "'");
        }
        return n.doubleValue();
    }

    /** One value or one per channel; {@code def} null: required. */
    private static float[] perChannel(Map<?, ?> kw, String key, Float def, int channels, String at) {
        Object v = kw.get(key);
        if (v == null) {
            if (def == null) {
                throw new NeuralJException(at + ": " + key + " is required");
            }
            return new float[] {def};
        }
        if (v instanceof Number n) {
            return new float[] {n.floatValue()};
        }
        if (v instanceof List<?> l && (l.size() == 1 || l.size() == channels)) {
            float[] out = new float[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Number n)) {
                    throw new NeuralJException(at + ": " + key + "[" + i + "] must be a number");
                }
                out[i] = n.floatValue();
            }
            return out;
        }
        throw new NeuralJException(at + ": " + key + " must be a number or a list of " + channels + " (one per channel), not " + v);
    }

    private static float at(float[] v, int c) {
        return v.length == 1 ? v[0] : v[c];
    }

    // ---- statistics ---------------------------------------------------------------------------

    /** Mean and population std per channel (or of all channels in [0]), in double. */
    private static void meanAndStd(PlaneSource src, boolean perChannel, double[] mean, double[] std) {
        int n = perChannel ? src.channels() : 1;
        double[] sum = new double[n];
        long count = (long) src.width() * src.height() * (perChannel ? 1 : src.channels());
        for (int c = 0; c < src.channels(); c++) {
            for (int y = 0; y < src.height(); y++) {
                for (int x = 0; x < src.width(); x++) {
                    sum[perChannel ? c : 0] += src.get(c, x, y);
                }
            }
        }
        for (int k = 0; k < n; k++) {
            mean[k] = sum[k] / count;
        }
        double[] sq = new double[n];
        for (int c = 0; c < src.channels(); c++) {
            int k = perChannel ? c : 0;
            for (int y = 0; y < src.height(); y++) {
                for (int x = 0; x < src.width(); x++) {
                    double d = src.get(c, x, y) - mean[k];
                    sq[k] += d * d;
                }
            }
        }
        for (int k = 0; k < n; k++) {
            std[k] = Math.sqrt(sq[k] / count);
        }
    }

    /** The values of channel {@code channel} (-1: all channels), a regular subsample above 16 M values. */
    private static float[] values(PlaneSource src, int channel) {
        int c0 = channel < 0 ? 0 : channel, c1 = channel < 0 ? src.channels() : channel + 1;
        long count = (long) src.width() * src.height() * (c1 - c0);
        int step = (int) Math.max(1, (count + MAX_SORT - 1) / MAX_SORT);
        float[] v = new float[(int) ((count + step - 1) / step)];
        long i = 0;
        int k = 0;
        for (int c = c0; c < c1; c++) {
            for (int y = 0; y < src.height(); y++) {
                for (int x = 0; x < src.width(); x++, i++) {
                    if (i % step == 0 && k < v.length) {
                        v[k++] = src.get(c, x, y);
                    }
                }
            }
        }
        return Arrays.copyOf(v, k);
    }

    /** The steps in words, e.g. "zero_mean_unit_variance (per image), then sigmoid". */
    public String describe() {
        if (steps.isEmpty()) {
            return "none";
        }
        List<String> words = new ArrayList<>();
        for (Step s : steps) {
            words.add(s.describe());
        }
        return String.join(", then ", words);
    }

    private static String trim(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
