package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import org.neuralj.nn.HostTensor;

/** Conversions between ImageJ images and NCHW tensors. */
public final class ImageTensors {
    private ImageTensors() {
    }

    /** One 2-D plane (any bit depth; RGB as luminance) as a [1, 1, H, W] tensor. */
    public static HostTensor fromProcessor(ImageProcessor ip) {
        FloatProcessor fp = ip.convertToFloatProcessor();
        float[] pixels = (float[]) fp.getPixels();
        return new HostTensor(new int[] {1, 1, ip.getHeight(), ip.getWidth()}, pixels.clone());
    }

    /**
     * A [1, C, H, W] (or [C, H, W] / [H, W]) tensor as a 32-bit image with one slice per channel,
     * labelled "channel c"; calibration is copied from {@code like} when given.
     */
    public static ImagePlus toImage(HostTensor t, String title, ImagePlus like) {
        int[] s = t.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("a tensor of shape " + java.util.Arrays.toString(s) + " is not an image");
        }
        int h = s[s.length - 2];
        int w = s[s.length - 1];
        int planes = t.data().length / (h * w);
        ImageStack stack = new ImageStack(w, h);
        for (int c = 0; c < planes; c++) {
            float[] plane = new float[w * h];
            System.arraycopy(t.data(), c * w * h, plane, 0, w * h);
            stack.addSlice("channel " + c, new FloatProcessor(w, h, plane));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        if (like != null) {
            imp.setCalibration(like.getCalibration().copy());
        }
        imp.resetDisplayRange();
        return imp;
    }
}
