package org.neuralj.train;

import java.util.Random;

/** Small synthetic data sets for the end-to-end training tests. */
final class Synthetic {
    private Synthetic() {
    }

    /** A batch of n images [n, 1, s, s] with 1 to 3 bright discs on a noisy background, and their masks. */
    static float[][] discs(Random r, int n, int s) {
        float[] img = new float[n * s * s];
        float[] mask = new float[n * s * s];
        for (int i = 0; i < n; i++) {
            int o = i * s * s;
            float bg = 0.1f + 0.2f * r.nextFloat();
            int count = 1 + r.nextInt(3);
            float[] cx = new float[count], cy = new float[count], rad = new float[count], val = new float[count];
            for (int k = 0; k < count; k++) {
                rad[k] = 3 + 4 * r.nextFloat();
                cx[k] = rad[k] + r.nextFloat() * (s - 2 * rad[k]);
                cy[k] = rad[k] + r.nextFloat() * (s - 2 * rad[k]);
                val[k] = 0.6f + 0.4f * r.nextFloat();
            }
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    float v = bg;
                    for (int k = 0; k < count; k++) {
                        float dx = x + 0.5f - cx[k], dy = y + 0.5f - cy[k];
                        if (dx * dx + dy * dy <= rad[k] * rad[k]) {
                            v = val[k];
                            mask[o + y * s + x] = 1f;
                        }
                    }
                    img[o + y * s + x] = v + 0.12f * (float) r.nextGaussian();
                }
            }
        }
        return new float[][] {img, mask};
    }

    /** n images [n, 1, s, s] of horizontal (class 0) or vertical (class 1) stripes, and one-hot labels [n, 2]. */
    static float[][] stripes(Random r, int n, int s) {
        float[] img = new float[n * s * s];
        float[] label = new float[n * 2];
        for (int i = 0; i < n; i++) {
            int cls = r.nextInt(2);
            label[i * 2 + cls] = 1f;
            float period = 3 + 3 * r.nextFloat();
            float phase = r.nextFloat() * 6.3f;
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    float u = cls == 0 ? y : x;
                    img[i * s * s + y * s + x] = 0.5f + 0.4f * (float) Math.sin(2 * Math.PI * u / period + phase)
                            + 0.3f * (float) r.nextGaussian();
                }
            }
        }
        return new float[][] {img, label};
    }
}
