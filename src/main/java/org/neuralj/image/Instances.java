package org.neuralj.image;

import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;

/**
 * Instance labels from a binary mask (non-zero = foreground): 8-connected components numbered 1..N in
 * raster order of their first pixel, optionally after ImageJ's distance-transform watershed (seeded by
 * the maxima of the Euclidean distance map: touching round objects are cut along the ridge lines).
 * Labels are 16-bit; more than 65535 objects give a 32-bit image (exact labels up to 2^24).
 */
public final class Instances {
    private Instances() {
    }

    public static ImageProcessor watershedLabels(ByteProcessor mask) {
        ByteProcessor m = binary(mask);
        new ij.plugin.filter.EDM().toWatershed(m);
        return components(m);
    }

    /** Binary copy with foreground 255 (EDM expects it). */
    static ByteProcessor binary(ByteProcessor mask) {
        byte[] src = (byte[]) mask.getPixels();
        byte[] dst = new byte[src.length];
        for (int i = 0; i < src.length; i++) {
            dst[i] = src[i] != 0 ? (byte) 255 : 0;
        }
        return new ByteProcessor(mask.getWidth(), mask.getHeight(), dst);
    }

    /** 8-connected components of the non-zero pixels. */
    public static ImageProcessor components(ByteProcessor mask) {
        int w = mask.getWidth();
        int h = mask.getHeight();
        byte[] m = (byte[]) mask.getPixels();
        int[] labels = null; // only when more than 65535 objects
        short[] s = new short[w * h];
        int next = 0;
        int[] stack = new int[1024];
        for (int start = 0; start < m.length; start++) {
            if (m[start] == 0 || (labels != null ? labels[start] != 0 : s[start] != 0)) {
                continue;
            }
            next++;
            if (next == 65536 && labels == null) {
                labels = new int[w * h];
                for (int i = 0; i < s.length; i++) {
                    labels[i] = s[i] & 0xffff;
                }
                s = null;
            }
            int sp = 0;
            stack[sp++] = start;
            set(s, labels, start, next);
            while (sp > 0) {
                int p = stack[--sp];
                int px = p % w;
                int py = p / w;
                for (int dy = -1; dy <= 1; dy++) {
                    int y = py + dy;
                    if (y < 0 || y >= h) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int x = px + dx;
                        if (x < 0 || x >= w || (dx == 0 && dy == 0)) {
                            continue;
                        }
                        int q = y * w + x;
                        if (m[q] != 0 && (labels != null ? labels[q] == 0 : s[q] == 0)) {
                            set(s, labels, q, next);
                            if (sp == stack.length) {
                                stack = java.util.Arrays.copyOf(stack, stack.length * 2);
                            }
                            stack[sp++] = q;
                        }
                    }
                }
            }
        }
        if (labels != null) {
            float[] f = new float[w * h];
            for (int i = 0; i < f.length; i++) {
                f[i] = labels[i];
            }
            return new FloatProcessor(w, h, f);
        }
        ShortProcessor sp = new ShortProcessor(w, h, s, null);
        sp.setMinAndMax(0, Math.max(1, next));
        return sp;
    }

    private static void set(short[] s, int[] labels, int i, int label) {
        if (labels != null) {
            labels[i] = label;
        } else {
            s[i] = (short) label;
        }
    }

    /** Seeds smaller than this (pixels) are ignored unless a card says otherwise ("min_seed"). */
    public static final int MIN_SEED = 4;
    /** Object-core level (0..255) seeds must exceed unless a card says otherwise ("seed_threshold" 0.5). */
    public static final int SEED_LEVEL = 127;

    /**
     * A watershed seeded by the network's object cores: seeds are the 8-connected components of
     * {@code core > seedLevel} inside the foreground ({@code prob > threshold}) of at least {@code minSeed}
     * pixels; every seed grows over the foreground, highest core probability first (a priority flood with 256
     * levels). The core channel falls from each object's middle towards its edge, so touching objects
     * meet along the valley between their middles. Foreground pieces that no seed reaches become
     * objects of their own.
     *
     * @param prob      foreground probability quantised to 0..255 (row-major w x h)
     * @param core      object-core probability quantised to 0..255
     * @param threshold foreground threshold on the 0..255 scale
     * @param seedLevel core threshold on the 0..255 scale
     * @param minSeed   smaller seeds are noise: dropped (their pixels are flooded by a neighbour)
     */
    public static ImageProcessor seededWatershed(byte[] prob, byte[] core, int w, int h, int threshold, int seedLevel, int minSeed) {
        return relabel(seededWatershedLabels(prob, core, w, h, threshold, seedLevel, minSeed), w, h);
    }

    /** As {@link #seededWatershed}, the labels as they come (any numbering, 0 = background). */
    static int[] seededWatershedLabels(byte[] prob, byte[] core, int w, int h, int threshold, int seedLevel, int minSeed) {
        byte[] seedMask = new byte[w * h];
        for (int i = 0; i < seedMask.length; i++) {
            seedMask[i] = (core[i] & 0xff) > seedLevel && (prob[i] & 0xff) > threshold ? (byte) 255 : 0;
        }
        ImageProcessor seedLabels = components(new ByteProcessor(w, h, seedMask));
        int[] area = new int[count(seedLabels) + 1];
        for (int i = 0; i < w * h; i++) {
            area[(int) seedLabels.getf(i)]++;
        }
        int[] label = new int[w * h];
        int next = 0;
        int[][] bucket = new int[256][];
        int[] size = new int[256];
        for (int i = 0; i < label.length; i++) {
            label[i] = (int) seedLabels.getf(i);
            if (label[i] != 0 && area[label[i]] < minSeed) {
                label[i] = 0;
            }
            next = Math.max(next, label[i]);
            if (label[i] != 0) {
                push(bucket, size, core[i] & 0xff, i);
            }
        }
        for (int level = 255; level >= 0; level--) {
            while (size[level] > 0) {
                int p = bucket[level][--size[level]];
                int px = p % w, py = p / w;
                for (int k = 0; k < 4; k++) {
                    int x = px + (k == 0 ? -1 : k == 1 ? 1 : 0), y = py + (k == 2 ? -1 : k == 3 ? 1 : 0);
                    if (x < 0 || y < 0 || x >= w || y >= h) {
                        continue;
                    }
                    int q = y * w + x;
                    if (label[q] == 0 && (prob[q] & 0xff) > threshold) {
                        label[q] = label[p];
                        push(bucket, size, Math.min(core[q] & 0xff, level), q); // never above the current level: flooding order
                    }
                }
            }
        }
        // foreground no seed reached: its own objects
        byte[] rest = new byte[w * h];
        boolean any = false;
        for (int i = 0; i < rest.length; i++) {
            if (label[i] == 0 && (prob[i] & 0xff) > threshold) {
                rest[i] = (byte) 255;
                any = true;
            }
        }
        if (any) {
            ImageProcessor extra = components(new ByteProcessor(w, h, rest));
            for (int i = 0; i < label.length; i++) {
                int e = (int) extra.getf(i);
                if (e != 0) {
                    label[i] = next + e;
                }
            }
        }
        return label;
    }

    private static void push(int[][] bucket, int[] size, int level, int i) {
        if (bucket[level] == null) {
            bucket[level] = new int[256];
        } else if (size[level] == bucket[level].length) {
            bucket[level] = java.util.Arrays.copyOf(bucket[level], size[level] * 2);
        }
        bucket[level][size[level]++] = i;
    }

    /**
     * Objects smaller than {@code minArea} pixels removed, the rest renumbered 1..N (raster order of their
     * first pixel). Segment does this inside {@link #label}; this whole-plane form is what the tests compare it with.
     */
    static ImageProcessor removeSmall(ImageProcessor labels, int minArea) {
        if (minArea <= 1) {
            return labels;
        }
        int n = labels.getPixelCount();
        int[] area = new int[count(labels) + 1];
        for (int i = 0; i < n; i++) {
            area[(int) labels.getf(i)]++;
        }
        int[] id = new int[area.length];
        Numbered out = new Numbered(labels.getWidth(), labels.getHeight());
        for (int i = 0; i < n; i++) {
            int l = (int) labels.getf(i);
            if (l != 0 && area[l] >= minArea) {
                if (id[l] == 0) {
                    id[l] = out.next();
                }
                out.set(i, id[l]);
            }
        }
        return out.image();
    }

    /** Labels a window of rows: any numbering, 0 = background, {@code band.rows()} rows of the plane's width. */
    @FunctionalInterface
    public interface WindowLabeller {
        int[] labels(Bands.Band band);
    }

    /**
     * The instance labels of a {@code w x h} plane, made band by band ({@link Bands#forObjects}) so a plane of
     * any size needs only its result and one band's maps: each object is taken from the band that owns its
     * top row, objects under {@code minArea} pixels are dropped, the rest numbered 1..N in raster order of
     * their first pixel. A plane of one band gives exactly the labeller's objects. Objects that reach a
     * band window's cut edge (taller than {@link Bands#OBJECT_MARGIN}) are counted to {@code warn}.
     */
    public static ImageProcessor label(int w, int h, int minArea, WindowLabeller labeller, java.util.function.Consumer<String> warn) {
        Numbered out = new Numbered(w, h);
        int cut = 0;
        for (Bands.Band band : Bands.forObjects(w, h)) {
            int[] local = labeller.labels(band);
            int max = 0;
            for (int l : local) {
                max = Math.max(max, l);
            }
            int[] first = new int[max + 1];
            java.util.Arrays.fill(first, -1);
            int[] area = new int[max + 1];
            boolean[] reachesEdge = new boolean[max + 1];
            for (int i = 0; i < local.length; i++) {
                int l = local[i];
                if (l != 0) {
                    if (first[l] < 0) {
                        first[l] = i;
                    }
                    area[l]++;
                    reachesEdge[l] |= band.cutEdge(i / w, h);
                }
            }
            int[] id = new int[max + 1];
            int offset = band.y0() * w;
            for (int i = 0; i < local.length; i++) {
                int l = local[i];
                if (l == 0) {
                    continue;
                }
                if (first[l] == i && band.owns(i / w) && area[l] >= Math.max(1, minArea)) {
                    id[l] = out.next();
                    if (reachesEdge[l]) {
                        cut++;
                    }
                }
                if (id[l] != 0 && out.get(offset + i) == 0) {
                    out.set(offset + i, id[l]);
                }
            }
        }
        if (cut > 0 && warn != null) {
            warn.accept(cut + " object(s) reach past the " + Bands.OBJECT_MARGIN + " rows read around each band of this large plane "
                    + "and may be cut there");
        }
        return out.image();
    }

    /** A label image being numbered 1, 2, ...: 16-bit, turned 32-bit when a label passes 65535. */
    private static final class Numbered {
        private final int w;
        private final int h;
        private short[] s;
        private float[] f;
        private int next;

        Numbered(int w, int h) {
            this.w = w;
            this.h = h;
            this.s = new short[w * h];
        }

        int next() {
            next++;
            if (next == 65536) {
                f = new float[s.length];
                for (int i = 0; i < s.length; i++) {
                    f[i] = s[i] & 0xffff;
                }
                s = null;
            }
            return next;
        }

        int get(int i) {
            return f != null ? (int) f[i] : s[i] & 0xffff;
        }

        void set(int i, int label) {
            if (f != null) {
                f[i] = label;
            } else {
                s[i] = (short) label;
            }
        }

        ImageProcessor image() {
            if (f != null) {
                return new FloatProcessor(w, h, f);
            }
            ShortProcessor sp = new ShortProcessor(w, h, s, null);
            sp.setMinAndMax(0, Math.max(1, next));
            return sp;
        }
    }

    /** Labels renumbered 1..N in raster order of first appearance, 16-bit (32-bit beyond 65535). */
    static ImageProcessor relabel(int[] label, int w, int h) {
        int max = 0;
        for (int l : label) {
            max = Math.max(max, l);
        }
        int[] id = new int[max + 1];
        Numbered out = new Numbered(w, h);
        for (int i = 0; i < label.length; i++) {
            int l = label[i];
            if (l != 0) {
                if (id[l] == 0) {
                    id[l] = out.next();
                }
                out.set(i, id[l]);
            }
        }
        return out.image();
    }

    /** A label image's values as ints, row-major (what {@code Metrics.Counts} and {@code Sample} hold). */
    public static int[] values(ImageProcessor labels) {
        int[] v = new int[labels.getPixelCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) labels.getf(i);
        }
        return v;
    }

    /** The number of objects in a label image (its largest label). */
    public static int count(ImageProcessor labels) {
        int max = 0;
        for (int i = 0; i < labels.getPixelCount(); i++) {
            max = Math.max(max, (int) labels.getf(i));
        }
        return max;
    }
}
