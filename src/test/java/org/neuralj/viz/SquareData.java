package org.neuralj.viz;

import java.util.Random;

/** Images with (class 1) or without (class 0) one bright square on a noisy background. */
final class SquareData {
    static final int SIZE = 24;
    static final int SQUARE = 6;

    final float[] images;
    final float[] oneHot;
    final int[] labels;
    final int[][] boxes; // {x0, y0} of the square, or null

    SquareData(Random r, int n, boolean alwaysSquare) {
        int s = SIZE;
        images = new float[n * s * s];
        oneHot = new float[n * 2];
        labels = new int[n];
        boxes = new int[n][];
        for (int i = 0; i < n; i++) {
            int cls = alwaysSquare ? 1 : r.nextInt(2);
            labels[i] = cls;
            oneHot[i * 2 + cls] = 1f;
            for (int p = 0; p < s * s; p++) {
                images[i * s * s + p] = 0.1f * (float) r.nextGaussian();
            }
            if (cls == 1) {
                int x0 = 1 + r.nextInt(s - SQUARE - 2), y0 = 1 + r.nextInt(s - SQUARE - 2);
                boxes[i] = new int[] {x0, y0};
                for (int y = y0; y < y0 + SQUARE; y++) {
                    for (int x = x0; x < x0 + SQUARE; x++) {
                        images[i * s * s + y * s + x] += 1.5f;
                    }
                }
            }
        }
    }

    float[] image(int i) {
        float[] x = new float[SIZE * SIZE];
        System.arraycopy(images, i * x.length, x, 0, x.length);
        return x;
    }

    /** The same images with the labels shuffled (a model trained on them learns no square). */
    void shuffleLabels(Random r) {
        for (int i = labels.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = labels[i];
            labels[i] = labels[j];
            labels[j] = t;
        }
        java.util.Arrays.fill(oneHot, 0f);
        for (int i = 0; i < labels.length; i++) {
            oneHot[i * 2 + labels[i]] = 1f;
        }
    }
}
