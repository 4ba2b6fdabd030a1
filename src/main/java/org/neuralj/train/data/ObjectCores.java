package org.neuralj.train.data;

/**
 * The seed target of a segmentation net: each object's core, the pixels at least {@link #FRACTION} of
 * the object's largest inner distance away from its edge. A core is a blob in the middle of its object
 * (a quarter of a round object's area), so the cores of touching objects are far apart and a network
 * can learn them; a thin rim (one pixel eroded) would leave touching cores a pixel or two apart and be
 * predicted merged. Small objects keep a core too: the fraction scales with the object.
 */
public final class ObjectCores {
    /** Core = inner distance at least this fraction of the object's largest. */
    public static final double FRACTION = 0.5;

    private ObjectCores() {
    }

    /**
     * @param labels label map [h][w] (0 = background, objects 1..N; a binary mask is one object per blob)
     * @return 1 on the cores, 0 elsewhere (row-major w x h)
     */
    public static byte[] of(int[] labels, int w, int h) {
        float[] d = innerDistance(labels, w, h);
        java.util.Map<Integer, Float> max = new java.util.HashMap<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 0) {
                max.merge(labels[i], d[i], Math::max);
            }
        }
        byte[] core = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 0 && d[i] >= FRACTION * max.get(labels[i])) {
                core[i] = 1;
            }
        }
        return core;
    }

    /**
     * Chamfer (1, sqrt 2) distance from each object pixel to the nearest pixel with another label
     * (background or a touching object), through pixels of its own object. The image border is no edge:
     * an object cut by the border keeps its core away from its real edges only.
     */
    static float[] innerDistance(int[] labels, int w, int h) {
        final float diag = (float) Math.sqrt(2);
        float[] d = new float[labels.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = labels[i] == 0 ? 0 : Float.MAX_VALUE;
        }
        // forward pass: neighbours above and to the left; backward: below and to the right
        int[][] forward = {{-1, 0}, {-1, -1}, {0, -1}, {1, -1}};
        for (int pass = 0; pass < 2; pass++) {
            int sign = pass == 0 ? 1 : -1;
            for (int k = 0; k < labels.length; k++) {
                int i = pass == 0 ? k : labels.length - 1 - k;
                int l = labels[i];
                if (l == 0) {
                    continue;
                }
                int x = i % w, y = i / w;
                float best = d[i];
                for (int[] o : forward) {
                    int qx = x + sign * o[0], qy = y + sign * o[1];
                    if (qx < 0 || qy < 0 || qx >= w || qy >= h) {
                        continue;
                    }
                    int q = qy * w + qx;
                    float step = o[0] != 0 && o[1] != 0 ? diag : 1f;
                    // a pixel of another label is outside: the edge lies between it and this pixel
                    float via = labels[q] == l ? d[q] + step : step;
                    best = Math.min(best, via);
                }
                d[i] = best;
            }
        }
        return d;
    }
}
