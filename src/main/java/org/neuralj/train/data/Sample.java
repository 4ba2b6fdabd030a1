package org.neuralj.train.data;

import org.neuralj.image.ObjectScale;

/**
 * One training image: pixels [C][H][W] (raw values), and either a label map [H][W] (segmentation: 0 =
 * background, 1..N = objects, or 1 = foreground for binary masks) or a class index (classification).
 *
 * @param file   where it came from (messages name it)
 * @param group  the key a validation split keeps together (e.g. the source image of a crop)
 */
public record Sample(String file, String group, int channels, int height, int width, float[] pixels, int[] labels, int classIndex) {

    /**
     * This segmentation sample resized by {@code factor}: pixels bilinear (averaged when shrinking, as
     * Segment resizes images), labels by nearest neighbour.
     */
    public Sample resized(double factor) {
        int w = Math.max(1, (int) Math.round(width * factor));
        int h = Math.max(1, (int) Math.round(height * factor));
        float[] p = new float[channels * w * h];
        for (int c = 0; c < channels; c++) {
            float[] plane = java.util.Arrays.copyOfRange(pixels, c * width * height, (c + 1) * width * height);
            ij.process.ImageProcessor resized = ObjectScale.resize(new ij.process.FloatProcessor(width, height, plane), factor);
            System.arraycopy((float[]) resized.getPixels(), 0, p, c * w * h, w * h);
        }
        int[] l = new int[w * h];
        for (int y = 0; y < h; y++) {
            int sy = Math.min(height - 1, (int) ((y + 0.5) * height / h));
            for (int x = 0; x < w; x++) {
                l[y * w + x] = labels[sy * width + Math.min(width - 1, (int) ((x + 0.5) * width / w))];
            }
        }
        return new Sample(file, group, channels, h, w, p, l, classIndex);
    }
}
