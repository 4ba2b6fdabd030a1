package org.neuralj.image;

/** How image intensities are scaled before a network sees them (as a model card names it). */
public enum Normalization {
    /** leave the values as they are */
    NONE,
    /** (x - mean) / (std + 1e-6) over the whole image, population std (bioimage.io zero_mean_unit_variance) */
    ZSCORE,
    /**
     * ZSCORE, negated when the image's median lies above its mean, i.e. when most of it is light (brightfield,
     * H&amp;E): objects then come out bright on a dark background in every modality. On DSB 2018 this flags 105
     * of 107 H&amp;E, 16 of 16 brightfield and 1 of 541 fluorescence images.
     */
    ZSCORE_INVERT_LIGHT,
    /** (x - p1) / (p99.8 - p1 + 1e-20), percentiles of the whole image (CSBDeep's default) */
    PERCENTILE;

    /** The name a model card and the command line use (zscore, zscore_invert_light, ...). */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Every {@link #id()}, in the order dialogs offer them (the default, zscore, first). */
    public static String[] ids() {
        return new String[] {ZSCORE.id(), ZSCORE_INVERT_LIGHT.id(), PERCENTILE.id(), NONE.id()};
    }

    public static Normalization parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown normalisation '" + s + "': use " + String.join(", ", ids()));
        }
    }

    /** A normalised copy of {@code x}, statistics over all of it ({@link NormalizationStats}). */
    public float[] apply(float[] x) {
        NormalizationStats stats = NormalizationStats.of(this, x);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = stats.apply(x[i]);
        }
        return out;
    }

    /** Linear-interpolated percentile of sorted data (numpy's default method). */
    static double percentile(float[] sorted, double p) {
        double pos = p / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }
}
