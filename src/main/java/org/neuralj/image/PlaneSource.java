package org.neuralj.image;

import ij.process.ColorProcessor;
import ij.process.ImageProcessor;

/**
 * One image plane as the network's input channels, read pixel by pixel (so a huge 8-bit image is
 * never copied to float as a whole): a grey plane is one channel; an RGB plane is three channels
 * (R, G, B) for a colour model or its luminance for a one-channel model.
 */
public interface PlaneSource {
    int width();

    int height();

    int channels();

    /** The raw value of channel {@code c} at (x, y), inside the image. */
    float get(int c, int x, int y);

    /** The plane of {@code ip} with {@code channels} channels (1 or 3); refuses what does not fit, naming both. */
    static PlaneSource of(ImageProcessor ip, int channels) {
        if (channels == 3) {
            if (!(ip instanceof ColorProcessor cp)) {
                throw new org.neuralj.backend.ShapeMismatchException("the model expects an RGB image (3 channels) but this image is "
                        + ip.getBitDepth() + "-bit grey: convert it with Image > Type > RGB Color first");
            }
            int[] rgb = (int[]) cp.getPixels();
            int w = ip.getWidth();
            return new PlaneSource() {
                public int width() {
                    return w;
                }

                public int height() {
                    return ip.getHeight();
                }

                public int channels() {
                    return 3;
                }

                public float get(int c, int x, int y) {
                    return (rgb[y * w + x] >> (16 - 8 * c)) & 0xff;
                }
            };
        }
        if (channels != 1) {
            throw new org.neuralj.backend.ShapeMismatchException("the model expects " + channels
                    + " input channels; NeuralJ feeds a grey plane (1 channel) or an RGB plane (3 channels)");
        }
        return new PlaneSource() {
            public int width() {
                return ip.getWidth();
            }

            public int height() {
                return ip.getHeight();
            }

            public int channels() {
                return 1;
            }

            public float get(int c, int x, int y) {
                return ip.getf(x, y); // RGB: ColorProcessor.getf is the luminance (as ImageTensors)
            }
        };
    }
}
