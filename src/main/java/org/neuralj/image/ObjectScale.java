package org.neuralj.image;

import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Object size, for running a segmentation model at the scale it was trained at. A network sees a
 * window of fixed size: nuclei three times larger than those it learnt from are cut into pieces along
 * their chromatin texture, tiny ones lose their outline. The typical object size of an image is its
 * mask's <em>inscribed diameter</em> (per 8-connected component, twice the largest distance to the
 * background; the median over components weighted by area): touching objects merged into one component still give the
 * width of one object, which an area-based size would not. The model card keeps the same measure of its
 * training masks ({@code object_diameter}); an image whose objects differ from it by more than the
 * card's tolerance is resized by reference / estimate before the network and its maps resized back.
 */
public final class ObjectScale {
    /** Components smaller than this (pixels) are noise to the estimate. */
    public static final int MIN_AREA = 20;
    /** An estimate below this many pixels across (edges, specks) says nothing of an image's object size: auto ignores it. */
    public static final double MIN_DIAMETER = 4;
    /** Resizing is clamped to this range: a quarter to twice the image's side. */
    public static final double MIN_FACTOR = 0.25;
    public static final double MAX_FACTOR = 2;

    private ObjectScale() {
    }

    /**
     * How a plane is scaled for the network, as asked: the card's choice ({@link #CARD}), none ({@link #OFF}),
     * estimated from a first pass ({@link #AUTO}), or the objects' diameter in the image, in pixels.
     */
    public record Rescale(Kind kind, double diameter) {
        public enum Kind { CARD, OFF, AUTO, DIAMETER }

        public static final Rescale CARD = new Rescale(Kind.CARD, 0);
        public static final Rescale OFF = new Rescale(Kind.OFF, 0);
        public static final Rescale AUTO = new Rescale(Kind.AUTO, 0);

        public Rescale {
            if (kind == null) {
                kind = Kind.CARD;
            }
            if (kind == Kind.DIAMETER && !(diameter > 0 && Double.isFinite(diameter))) {
                throw new IllegalArgumentException("object diameter must be a positive number of pixels, not " + diameter);
            }
        }

        public static Rescale diameter(double pixels) {
            return new Rescale(Kind.DIAMETER, pixels);
        }

        /** "auto", "off", a diameter in pixels, or null / "" / "model's" for the card's choice. */
        public static Rescale parse(String s) {
            if (s == null || s.isBlank() || s.equals("model's") || s.equals("card")) {
                return CARD;
            }
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.equals("auto")) {
                return AUTO;
            }
            if (t.equals("off") || t.equals("none")) {
                return OFF;
            }
            try {
                return diameter(Double.parseDouble(t));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("object diameter '" + s + "': auto, off or a size in pixels such as 30");
            }
        }

        /** As {@link #parse} reads it back ("" for the card's). */
        public String text() {
            return switch (kind) {
                case CARD -> "";
                case OFF -> "off";
                case AUTO -> "auto";
                case DIAMETER -> diameter == Math.rint(diameter) ? String.valueOf((long) diameter) : String.valueOf(diameter);
            };
        }
    }

    /**
     * The median inscribed diameter of the non-zero pixels' 8-connected components of at least
     * {@link #MIN_AREA} pixels, weighted by their area (half the foreground lies in components no wider),
     * or NaN when there are none.
     */
    public static double medianDiameter(byte[] mask, int width, int height) {
        // per component: its deepest distance to the background and its area, band by band on a huge plane
        float[] deepest = new float[64];
        int[] area = new int[64];
        int k = 0;
        long total = 0;
        for (Bands.Band band : Bands.forObjects(width, height)) {
            byte[] rows = Bands.rows(mask, width, band);
            ByteProcessor m = new ByteProcessor(width, band.rows());
            byte[] b = (byte[]) m.getPixels();
            for (int i = 0; i < b.length; i++) {
                b[i] = rows[i] != 0 ? (byte) 255 : 0;
            }
            FloatProcessor edm = new ij.plugin.filter.EDM().makeFloatEDM(m, 0, false);
            ImageProcessor components = Instances.components(m);
            int n = Instances.count(components);
            float[] d = new float[n + 1];
            int[] a = new int[n + 1];
            boolean[] owned = new boolean[n + 1];
            for (int i = 0; i < b.length; i++) {
                int c = (int) components.getf(i);
                if (c > 0) {
                    if (a[c] == 0) {
                        owned[c] = band.owns(i / width); // components are numbered from their top row
                    }
                    a[c]++;
                    d[c] = Math.max(d[c], edm.getf(i));
                }
            }
            for (int c = 1; c <= n; c++) {
                if (owned[c] && a[c] >= MIN_AREA) {
                    if (k == area.length) {
                        deepest = Arrays.copyOf(deepest, 2 * k);
                        area = Arrays.copyOf(area, 2 * k);
                    }
                    deepest[k] = d[c];
                    area[k++] = a[c];
                    total += a[c];
                }
            }
        }
        if (k == 0) {
            return Double.NaN;
        }
        // weighted by area: the size of the objects most of the foreground belongs to, not of the specks
        long[] order = new long[k];
        for (int j = 0; j < k; j++) {
            order[j] = ((long) Float.floatToIntBits(deepest[j]) << 32) | j; // positive floats sort as their bits
        }
        Arrays.sort(order);
        long seen = 0;
        for (long o : order) {
            int j = (int) o;
            seen += area[j];
            if (2 * seen >= total) {
                return 2 * deepest[j];
            }
        }
        throw new AssertionError();
    }

    /** The median inscribed diameter of a label map's foreground (label &gt; 0), row by row {@code width} wide. */
    public static double medianDiameter(int[] labels, int width, int height) {
        byte[] m = new byte[labels.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = labels[i] > 0 ? (byte) 1 : 0;
        }
        return medianDiameter(m, width, height);
    }

    /** The median inscribed diameter of a label or binary mask image's foreground (label &gt; 0). */
    public static double medianDiameter(ImageProcessor labels) {
        return medianDiameter(Instances.values(labels), labels.getWidth(), labels.getHeight());
    }

    /**
     * The factor to resize a plane whose objects measure {@code diameter} so they measure
     * {@code reference}: 1 when within the tolerance (a ratio of at most {@code tolerance} either way) or
     * when the diameter is unknown, else reference / diameter clamped to [{@link #MIN_FACTOR},
     * {@link #MAX_FACTOR}].
     */
    public static double factor(double reference, double diameter, double tolerance) {
        if (!(diameter > 0) || !(reference > 0)) {
            return 1;
        }
        double f = reference / diameter;
        if (f <= tolerance && f >= 1 / tolerance) {
            return 1;
        }
        return Math.max(MIN_FACTOR, Math.min(MAX_FACTOR, f));
    }

    /** The plane resized by {@code factor} (bilinear; averaged when shrinking, so textures do not alias). */
    public static ImageProcessor resize(ImageProcessor ip, double factor) {
        int w = Math.max(1, (int) Math.round(ip.getWidth() * factor));
        int h = Math.max(1, (int) Math.round(ip.getHeight() * factor));
        java.awt.Rectangle roi = ip.getRoi();
        // no copy of the (possibly huge) plane unless a ROI would narrow what resize reads
        ImageProcessor src = roi.width == ip.getWidth() && roi.height == ip.getHeight() ? ip : ip.duplicate();
        int interpolation = src.getInterpolationMethod();
        src.setInterpolationMethod(ImageProcessor.BILINEAR);
        try {
            return src.resize(w, h, factor < 1);
        } finally {
            src.setInterpolationMethod(interpolation);
        }
    }

    /**
     * A map of {@code w0 x h0} values brought to {@code w x h} (bilinear, pixel centres aligned, edges held),
     * each value handed to {@code out} with its index: the full-size map is never held, so a plane of any size
     * costs only its resized maps.
     */
    static void resizeInto(float[] map, int w0, int h0, int w, int h, Segmenter.PixelWriter out) {
        int[] x0 = new int[w];
        float[] fx = new float[w];
        for (int x = 0; x < w; x++) {
            double sx = Math.max(0, Math.min(w0 - 1, (x + 0.5) * w0 / w - 0.5));
            x0[x] = Math.min((int) sx, Math.max(0, w0 - 2));
            fx[x] = (float) (sx - x0[x]);
        }
        for (int y = 0; y < h; y++) {
            double sy = Math.max(0, Math.min(h0 - 1, (y + 0.5) * h0 / h - 0.5));
            int y0 = Math.min((int) sy, Math.max(0, h0 - 2));
            float fy = (float) (sy - y0);
            int r0 = y0 * w0;
            int r1 = Math.min(y0 + 1, h0 - 1) * w0;
            for (int x = 0; x < w; x++) {
                int a = x0[x];
                int b = Math.min(a + 1, w0 - 1);
                float top = map[r0 + a] + fx[x] * (map[r0 + b] - map[r0 + a]);
                float bottom = map[r1 + a] + fx[x] * (map[r1 + b] - map[r1 + a]);
                out.set(y * w + x, top + fy * (bottom - top));
            }
        }
    }
}
