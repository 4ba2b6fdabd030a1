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

    /** The number of objects in a label image (its largest label). */
    public static int count(ImageProcessor labels) {
        int max = 0;
        for (int i = 0; i < labels.getPixelCount(); i++) {
            max = Math.max(max, (int) labels.getf(i));
        }
        return max;
    }
}
