package org.neuralj.train.task;

import ij.process.AutoThresholder;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;

/**
 * Classic baselines for nucleus segmentation, scored by the same code as the networks: Otsu's threshold
 * on the 8-bit image (the side covering less than half of the image is taken as nuclei, so bright
 * fluorescent and dark stained nuclei both work), then connected components or ImageJ's
 * distance-transform watershed.
 */
public final class Baselines {
    private Baselines() {
    }

    public static ByteProcessor otsuMask(ImageProcessor ip) {
        ImageProcessor b = ip.convertToByte(true);
        int t = new AutoThresholder().getThreshold(AutoThresholder.Method.Otsu, b.getHistogram());
        byte[] px = (byte[]) b.getPixels();
        byte[] m = new byte[px.length];
        int above = 0;
        for (int i = 0; i < px.length; i++) {
            if ((px[i] & 0xff) > t) {
                m[i] = (byte) 255;
                above++;
            }
        }
        if (above > px.length / 2) {
            for (int i = 0; i < m.length; i++) {
                m[i] = (byte) (m[i] == 0 ? 255 : 0);
            }
        }
        return new ByteProcessor(b.getWidth(), b.getHeight(), m);
    }
}
