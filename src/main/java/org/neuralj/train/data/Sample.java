package org.neuralj.train.data;

/**
 * One training image: pixels [C][H][W] (raw values), and either a label map [H][W] (segmentation: 0 =
 * background, 1..N = objects, or 1 = foreground for binary masks) or a class index (classification).
 *
 * @param file   where it came from (messages name it)
 * @param group  the key a validation split keeps together (e.g. the source image of a crop)
 */
public record Sample(String file, String group, int channels, int height, int width, float[] pixels, int[] labels, int classIndex) {
}
