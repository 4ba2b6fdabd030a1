package org.neuralj.image;

import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.util.Locale;

/**
 * How a one-channel model sees an RGB image (card key {@code "rgb_to_grey"}): ImageJ's luminance (the
 * default, as Image › Type › 32-bit converts: (R + G + B) / 3 unless ImageJ's weighted conversion is on),
 * or one channel alone. In H&E the green channel holds more of the hematoxylin-stained nuclei's contrast
 * than the luminance does. Grey images stored as RGB (R = G = B) give the same value every way.
 */
public enum GreyConversion {
    LUMINANCE, RED, GREEN;

    /** The card's text for it. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** "luminance", "red" or "green" ({@code what} names the setting in the message). */
    public static GreyConversion parse(String s, String what) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException(what + " is '" + s + "': luminance, red or green");
        }
    }

    /**
     * The plane's values as this conversion sees them: a grey plane's own values, an RGB plane's luminance
     * or one channel. (ColorProcessor.getf is the packed RGB integer, not a grey value.)
     */
    public float[] values(ImageProcessor ip) {
        if (!(ip instanceof ColorProcessor cp)) {
            float[] out = new float[ip.getPixelCount()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ip.getf(i);
            }
            return out;
        }
        if (this == LUMINANCE) {
            return (float[]) cp.convertToFloatProcessor().getPixels();
        }
        int shift = this == RED ? 16 : 8;
        int[] rgb = (int[]) cp.getPixels();
        float[] out = new float[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            out[i] = (rgb[i] >> shift) & 0xff;
        }
        return out;
    }
}
