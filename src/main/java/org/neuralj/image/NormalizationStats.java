package org.neuralj.image;

import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.util.Arrays;

/**
 * A {@link Normalization} as one affine map {@code (x - offset) * scale} computed from the whole
 * image once, so each tile is normalised exactly as the untiled image would be. Streams over the
 * pixels (no float copy of a huge image): mean/std in double; percentiles exact from the histogram
 * for 8- and 16-bit images, from a sorted copy up to 16 M values, else from a regular subsample.
 */
public record NormalizationStats(float offset, float scale) {
    private static final int MAX_SORT = 1 << 24;

    public static final NormalizationStats IDENTITY = new NormalizationStats(0f, 1f);

    public float apply(float v) {
        return (v - offset) * scale;
    }

    /** Statistics over all of {@code values} (one plane or a whole tensor's data). */
    public static NormalizationStats of(Normalization n, float[] values) {
        PlaneSource row = PlaneSource.of(values.length, 1, 1, (c, x, y) -> values[x]);
        return of(n, row, null);
    }

    /** Statistics over every channel value of {@code src} (channels share one map: colour ratios stay). */
    public static NormalizationStats of(Normalization n, PlaneSource src, ImageProcessor ip) {
        switch (n) {
            case NONE:
                return IDENTITY;
            case ZSCORE:
            case ZSCORE_INVERT_LIGHT: {
                double sum = 0, sq = 0;
                long count = (long) src.width() * src.height() * src.channels();
                for (int c = 0; c < src.channels(); c++) {
                    for (int y = 0; y < src.height(); y++) {
                        for (int x = 0; x < src.width(); x++) {
                            sum += src.get(c, x, y);
                        }
                    }
                }
                double mean = sum / count;
                for (int c = 0; c < src.channels(); c++) {
                    for (int y = 0; y < src.height(); y++) {
                        for (int x = 0; x < src.width(); x++) {
                            double d = src.get(c, x, y) - mean;
                            sq += d * d;
                        }
                    }
                }
                double std = Math.sqrt(sq / count);
                float scale = (float) (1 / (std + 1e-6));
                boolean light = n == Normalization.ZSCORE_INVERT_LIGHT && percentiles(src, ip, 50.0)[0] > mean;
                return new NormalizationStats((float) mean, light ? -scale : scale);
            }
            case PERCENTILE: {
                double[] p = percentiles(src, ip, 1.0, 99.8);
                return new NormalizationStats((float) p[0], (float) (1 / (p[1] - p[0] + 1e-20)));
            }
            default:
                throw new IllegalStateException(n.name());
        }
    }

    /**
     * numpy's linear percentiles of every channel value of {@code src}: exact from the histogram for an 8 or
     * 16-bit plane, from a sorted copy up to 16 M values, else from a regular subsample.
     */
    private static double[] percentiles(PlaneSource src, ImageProcessor ip, double... ps) {
        double[] out = new double[ps.length];
        if (src.channels() == 1 && ip != null && (ip instanceof ByteProcessor || ip instanceof ShortProcessor)) {
            long[] hist = new long[ip instanceof ByteProcessor ? 256 : 65536];
            for (int y = 0; y < ip.getHeight(); y++) {
                for (int x = 0; x < ip.getWidth(); x++) {
                    hist[ip.get(x, y)]++;
                }
            }
            long total = (long) ip.getWidth() * ip.getHeight();
            for (int i = 0; i < ps.length; i++) {
                out[i] = histPercentile(hist, total, ps[i]);
            }
            return out;
        }
        long count = (long) src.width() * src.height() * src.channels();
        int step = (int) Math.max(1, (count + MAX_SORT - 1) / MAX_SORT);
        float[] v = new float[(int) ((count + step - 1) / step)];
        long i = 0;
        int k = 0;
        for (int c = 0; c < src.channels(); c++) {
            for (int y = 0; y < src.height(); y++) {
                for (int x = 0; x < src.width(); x++, i++) {
                    if (i % step == 0 && k < v.length) {
                        v[k++] = src.get(c, x, y);
                    }
                }
            }
        }
        v = Arrays.copyOf(v, k);
        Arrays.sort(v);
        for (int j = 0; j < ps.length; j++) {
            out[j] = Normalization.percentile(v, ps[j]);
        }
        return out;
    }

    /** numpy's linear percentile of the values counted in {@code hist}. */
    static double histPercentile(long[] hist, long total, double p) {
        double pos = p / 100.0 * (total - 1);
        long i = (long) Math.floor(pos);
        double a = valueAtRank(hist, i);
        double b = valueAtRank(hist, Math.min(i + 1, total - 1));
        return a + (pos - i) * (b - a);
    }

    private static int valueAtRank(long[] hist, long rank) {
        long seen = 0;
        for (int v = 0; v < hist.length; v++) {
            seen += hist[v];
            if (seen > rank) {
                return v;
            }
        }
        return hist.length - 1;
    }
}
