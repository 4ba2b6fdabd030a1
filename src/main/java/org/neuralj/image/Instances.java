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
        return relabel(label, w, h);
    }

    private static void push(int[][] bucket, int[] size, int level, int i) {
        if (bucket[level] == null) {
            bucket[level] = new int[256];
        } else if (size[level] == bucket[level].length) {
            bucket[level] = java.util.Arrays.copyOf(bucket[level], size[level] * 2);
        }
        bucket[level][size[level]++] = i;
    }

    /** Objects smaller than {@code minArea} pixels removed, the rest renumbered 1..N (raster order). */
    public static ImageProcessor removeSmall(ImageProcessor labels, int minArea) {
        if (minArea <= 1) {
            return labels;
        }
        int n = labels.getPixelCount();
        java.util.Map<Integer, Integer> area = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            int l = (int) labels.getf(i);
            if (l != 0) {
                area.merge(l, 1, Integer::sum);
            }
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int l = (int) labels.getf(i);
            out[i] = l != 0 && area.get(l) >= minArea ? l : 0;
        }
        return relabel(out, labels.getWidth(), labels.getHeight());
    }

    /** Labels renumbered 1..N in raster order of first appearance, 16-bit (32-bit beyond 65535). */
    static ImageProcessor relabel(int[] label, int w, int h) {
        java.util.Map<Integer, Integer> map = new java.util.HashMap<>();
        int[] out = new int[label.length];
        for (int i = 0; i < label.length; i++) {
            if (label[i] != 0) {
                out[i] = map.computeIfAbsent(label[i], k -> map.size() + 1);
            }
        }
        if (map.size() > 65535) {
            float[] f = new float[out.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = out[i];
            }
            return new FloatProcessor(w, h, f);
        }
        short[] s = new short[out.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) out[i];
        }
        ShortProcessor sp = new ShortProcessor(w, h, s, null);
        sp.setMinAndMax(0, Math.max(1, map.size()));
        return sp;
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
