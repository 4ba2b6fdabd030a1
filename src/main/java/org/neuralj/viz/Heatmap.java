package org.neuralj.viz;

/**
 * A 2-D map of importance over an image (saliency, Grad-CAM, occlusion), row-major:
 * {@code values[y * width + x]}.
 */
public record Heatmap(int width, int height, float[] values) {

    public Heatmap {
        if (values.length != width * height) {
            throw new IllegalArgumentException("heat map of " + width + "x" + height + " has " + values.length + " values");
        }
    }

    public float at(int x, int y) {
        return values[y * width + x];
    }

    public float min() {
        float m = Float.POSITIVE_INFINITY;
        for (float v : values) {
            m = Math.min(m, v);
        }
        return m;
    }

    public float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Index of the largest value (the first, on ties). */
    public int argmax() {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Scaled to [0, 1] by min and max (all zeros when flat). */
    public Heatmap normalized() {
        float lo = min(), hi = max();
        float[] out = new float[values.length];
        if (hi > lo) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (values[i] - lo) / (hi - lo);
            }
        }
        return new Heatmap(width, height, out);
    }

    /**
     * Bilinear resize to {@code w x h}, pixel centres aligned (half-pixel coordinates, edges clamped):
     * how a Grad-CAM map of a feature layer is laid over the input.
     */
    public Heatmap resized(int w, int h) {
        if (w == width && h == height) {
            return new Heatmap(w, h, values.clone());
        }
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            float sy = Math.max(0f, Math.min(height - 1f, (y + 0.5f) * height / h - 0.5f));
            int y0 = (int) sy, y1 = Math.min(height - 1, y0 + 1);
            float fy = sy - y0;
            for (int x = 0; x < w; x++) {
                float sx = Math.max(0f, Math.min(width - 1f, (x + 0.5f) * width / w - 0.5f));
                int x0 = (int) sx, x1 = Math.min(width - 1, x0 + 1);
                float fx = sx - x0;
                float top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
                float bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
                out[y * w + x] = top * (1 - fy) + bottom * fy;
            }
        }
        return new Heatmap(w, h, out);
    }

    /** Element-wise product with another map of the same size (Guided Grad-CAM). */
    public Heatmap times(Heatmap other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("maps of different sizes");
        }
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] * other.values[i];
        }
        return new Heatmap(width, height, out);
    }

    /**
     * Intersection over union of the map's top region (the {@code area} pixels with the largest values,
     * i.e. as many pixels as the box holds when {@code area} is the box area) with the box
     * [x0, x1) x [y0, y1): 1 when the map's strongest pixels are exactly the box.
     */
    public double iouTop(int area, int x0, int y0, int x1, int y1) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(values[b], values[a]));
        int inter = 0;
        int boxArea = (x1 - x0) * (y1 - y0);
        for (int k = 0; k < Math.min(area, order.length); k++) {
            int x = order[k] % width, y = order[k] / width;
            if (x >= x0 && x < x1 && y >= y0 && y < y1) {
                inter++;
            }
        }
        return inter / (double) (Math.min(area, order.length) + boxArea - inter);
    }

    /** The fraction of the map's positive mass inside the box [x0, x1) x [y0, y1). */
    public double massInside(int x0, int y0, int x1, int y1) {
        double in = 0, all = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float v = Math.max(0f, at(x, y));
                all += v;
                if (x >= x0 && x < x1 && y >= y0 && y < y1) {
                    in += v;
                }
            }
        }
        return all == 0 ? 0 : in / all;
    }
}
