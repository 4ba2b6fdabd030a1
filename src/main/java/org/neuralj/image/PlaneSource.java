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

    /** Reads channel c at (x, y) (the pixels of {@link #of(int, int, int, Pixels)}). */
    interface Pixels {
        float get(int c, int x, int y);
    }

    /** A source of {@code width x height} pixels with {@code channels} channels that {@code pixels} reads. */
    static PlaneSource of(int width, int height, int channels, Pixels pixels) {
        return new Sized(width, height, channels, pixels);
    }

    /** What {@link #of(int, int, int, Pixels)} makes. */
    record Sized(int width, int height, int channels, Pixels pixels) implements PlaneSource {
        @Override
        public float get(int c, int x, int y) {
            return pixels.get(c, x, y);
        }
    }

    /**
     * The plane of {@code ip} with {@code channels} channels (1 or 3); refuses what does not fit, naming
     * both, and a 32-bit plane with NaN or infinite pixels ({@link #requireFinite}).
     */
    static PlaneSource of(ImageProcessor ip, int channels) {
        return of(ip, channels, false);
    }

    /**
     * As {@link #of(ImageProcessor, int)}; with {@code greyAsRgb} a grey plane given to a 3-channel model
     * is fed as R = G = B = its value (for models trained on grey images stored as RGB, card key
     * {@code "grey_input": "replicate"}) instead of being refused.
     */
    static PlaneSource of(ImageProcessor ip, int channels, boolean greyAsRgb) {
        return of(ip, channels, greyAsRgb, GreyConversion.LUMINANCE);
    }

    /** As {@link #of(ImageProcessor, int, boolean)}, an RGB plane given to a one-channel model seen by {@code grey}. */
    static PlaneSource of(ImageProcessor ip, int channels, boolean greyAsRgb, GreyConversion grey) {
        requireFinite(ip);
        if (channels == 3) {
            if (!(ip instanceof ColorProcessor cp)) {
                if (greyAsRgb) {
                    return replicated(of(ip, 1, false));
                }
                throw new org.neuralj.backend.ShapeMismatchException("the model expects an RGB image (3 channels) but this image is "
                        + ip.getBitDepth() + "-bit grey: convert it with Image > Type > RGB Color first");
            }
            int[] rgb = (int[]) cp.getPixels();
            int w = ip.getWidth();
            return of(w, ip.getHeight(), 3, (c, x, y) -> (rgb[y * w + x] >> (16 - 8 * c)) & 0xff);
        }
        if (channels != 1) {
            throw new org.neuralj.backend.ShapeMismatchException("the model expects " + channels
                    + " input channels; NeuralJ feeds a grey plane (1 channel) or an RGB plane (3 channels)");
        }
        if (ip instanceof ColorProcessor) { // RGB: its luminance or the card's channel (getf would give the packed integer)
            float[] v = grey.values(ip);
            int w = ip.getWidth();
            return of(w, ip.getHeight(), 1, (c, x, y) -> v[y * w + x]);
        }
        return of(ip.getWidth(), ip.getHeight(), 1, (c, x, y) -> ip.getf(x, y));
    }

    /** A grey source seen as three equal channels. */
    private static PlaneSource replicated(PlaneSource grey) {
        return of(grey.width(), grey.height(), 3, (c, x, y) -> grey.get(0, x, y));
    }

    /**
     * Refuses a 32-bit plane with NaN or infinite pixels, saying how many: a network mixes every pixel
     * with its neighbours (and normalisation with the whole image), so one NaN would spoil a whole
     * region or image without a word. The user decides what they stand for (ImageJ's Remove NaNs...).
     */
    static void requireFinite(ImageProcessor ip) {
        if (!(ip.getPixels() instanceof float[] px)) {
            return; // 8/16-bit and RGB pixels are always finite
        }
        long bad = 0;
        for (float v : px) {
            if (!Float.isFinite(v)) {
                bad++;
            }
        }
        if (bad > 0) {
            throw new org.neuralj.nn.InvalidInputException(bad + " of " + px.length + " pixels are NaN or infinite; the model "
                    + "commands need finite pixels: replace them first (Process > Noise > Remove NaNs..., or Process > Math > "
                    + "Set... on a selection)");
        }
    }
}
