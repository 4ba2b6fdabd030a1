package org.neuralj.train.data;

import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.Random;
import org.neuralj.backend.PadMode;

/**
 * Random training views of a {@link Sample}, all drawn from one seeded {@link Random}: crops at a random
 * scale, horizontal/vertical flips, 90° rotations, brightness and contrast (on the normalised values),
 * and stain-like colour jitter (a random gain per RGB channel, as stains vary between slides).
 *
 * @param flips      random horizontal and vertical flips
 * @param rotate90   random multiples of 90°
 * @param scaleMin   smallest zoom factor (1: none)
 * @param scaleMax   largest zoom factor
 * @param brightness largest offset added to normalised values
 * @param contrast   largest relative change of contrast (0.2: factor in [0.8, 1.2])
 * @param colour     largest relative gain change per RGB channel (0: none)
 * @param elastic    elastic deformation of segmentation crops: the standard deviation, in crop pixels, of
 *                   random displacements on a coarse grid, interpolated smoothly over the crop (0: none);
 *                   image and mask move together, so cell outlines bend as they do between real cells
 */
public record Augment(boolean flips, boolean rotate90, double scaleMin, double scaleMax, double brightness, double contrast, double colour,
                      double elastic) {

    /** Control points per side of the elastic displacement grid (the deformation's smoothness). */
    private static final int ELASTIC_GRID = 4;

    public static final Augment NONE = new Augment(false, false, 1, 1, 0, 0, 0);

    public Augment(boolean flips, boolean rotate90, double scaleMin, double scaleMax, double brightness, double contrast, double colour) {
        this(flips, rotate90, scaleMin, scaleMax, brightness, contrast, colour, 0);
    }

    public Augment {
        if (!(elastic >= 0) || elastic > 1000) {
            throw new IllegalArgumentException("elastic deformation must be between 0 and 1000 pixels, not " + elastic);
        }
    }

    /** The same augmentation with elastic deformation of {@code sigma} crop pixels. */
    public Augment withElastic(double sigma) {
        return new Augment(flips, rotate90, scaleMin, scaleMax, brightness, contrast, colour, sigma);
    }

    /** Flips, rotations, zoom 0.8-1.25, brightness 0.1, contrast 0.2, colour 0.1. */
    public static final Augment DEFAULT = new Augment(true, true, 0.8, 1.25, 0.1, 0.2, 0.1);

    /**
     * A {@code size} x {@code size} view of a segmentation sample: {image [C][size][size] normalised with
     * {@code (x - offset) * scale}, foreground target [size][size] (label != 0)}.
     */
    public float[][] segmentationCrop(Sample s, int size, float offset, float scale, Random r) {
        return segmentationCrop(s, size, offset, scale, r, null);
    }

    /**
     * As {@link #segmentationCrop(Sample, int, float, float, Random)}; with {@code cores} (the sample's
     * {@link ObjectCores}, or null) the target has a second channel [size][size] after the first: the
     * object cores, the seeds that split touching objects.
     */
    public float[][] segmentationCrop(Sample s, int size, float offset, float scale, Random r, byte[] cores) {
        double z = zoom(r);
        int rot = rotate90 ? r.nextInt(4) : 0;
        boolean fx = flips && r.nextBoolean();
        boolean fy = flips && r.nextBoolean();
        double span = size / z; // source pixels covered
        double x0 = s.width() > span ? r.nextDouble() * (s.width() - span) : -(span - s.width()) * r.nextDouble();
        double y0 = s.height() > span ? r.nextDouble() * (s.height() - span) : -(span - s.height()) * r.nextDouble();
        float[] gains = gains(s.channels(), r);
        float contrastF = (float) (1 + contrast * (2 * r.nextDouble() - 1));
        float bright = (float) (brightness * (2 * r.nextDouble() - 1));
        // drawn last, and only when asked for, so runs without it draw the same numbers as before it existed
        float[][] warp = elastic > 0 ? displacementGrid(r) : null;
        float[] img = new float[s.channels() * size * size];
        float[] target = new float[(cores != null ? 2 : 1) * size * size];
        int w = s.width(), h = s.height();
        for (int j = 0; j < size; j++) {
            for (int i = 0; i < size; i++) {
                // view pixel (i, j) -> un-rotated, un-flipped crop pixel (u, v)
                int u = i, v = j;
                for (int k = 0; k < rot; k++) {
                    int t = u;
                    u = size - 1 - v;
                    v = t;
                }
                if (fx) {
                    u = size - 1 - u;
                }
                if (fy) {
                    v = size - 1 - v;
                }
                double eu = u, ev = v;
                if (warp != null) {
                    eu += interpolate(warp[0], u, v, size);
                    ev += interpolate(warp[1], u, v, size);
                }
                double sx = x0 + (eu + 0.5) / z - 0.5;
                double sy = y0 + (ev + 0.5) / z - 0.5;
                int nx = PadMode.REFLECT.sourceIndex((int) Math.round(sx), w);
                int ny = PadMode.REFLECT.sourceIndex((int) Math.round(sy), h);
                int label = s.labels()[ny * w + nx];
                target[j * size + i] = label != 0 ? 1f : 0f;
                if (cores != null) {
                    target[size * size + j * size + i] = cores[ny * w + nx];
                }
                int ax = (int) Math.floor(sx), ay = (int) Math.floor(sy);
                float fxw = (float) (sx - ax), fyw = (float) (sy - ay);
                PadMode m = PadMode.REFLECT;
                int xa = m.sourceIndex(ax, w), xb = m.sourceIndex(ax + 1, w), ya = m.sourceIndex(ay, h), yb = m.sourceIndex(ay + 1, h);
                for (int c = 0; c < s.channels(); c++) {
                    int o = c * w * h;
                    float[] p = s.pixels();
                    float val = (1 - fyw) * ((1 - fxw) * p[o + ya * w + xa] + fxw * p[o + ya * w + xb])
                            + fyw * ((1 - fxw) * p[o + yb * w + xa] + fxw * p[o + yb * w + xb]);
                    img[(c * size + j) * size + i] = (val * gains[c] - offset) * scale * contrastF + bright;
                }
            }
        }
        return new float[][] {img, target};
    }

    /**
     * A classification view: flips, rotations, a random crop-and-zoom of up to {@code scaleMax}, colour
     * gains, as an ImageJ processor (the classifier's own input path resizes and normalises it).
     */
    public ImageProcessor classificationView(Sample s, Random r) {
        ImageProcessor ip = processor(s);
        double z = zoom(r);
        if (z > 1) {
            int cw = Math.max(1, (int) Math.round(s.width() / z));
            int ch = Math.max(1, (int) Math.round(s.height() / z));
            ip.setRoi(r.nextInt(s.width() - cw + 1), r.nextInt(s.height() - ch + 1), cw, ch);
            ip = ip.crop();
        }
        if (flips && r.nextBoolean()) {
            ip.flipHorizontal();
        }
        if (flips && r.nextBoolean()) {
            ip.flipVertical();
        }
        int rot = rotate90 ? r.nextInt(4) : 0;
        for (int k = 0; k < rot; k++) {
            ip = ip.rotateRight();
        }
        float[] g = gains(s.channels(), r);
        if (ip instanceof ColorProcessor cp && colour > 0) {
            int[] px = (int[]) cp.getPixels();
            for (int i = 0; i < px.length; i++) {
                int rr = clamp(((px[i] >> 16) & 0xff) * g[0]);
                int gg = clamp(((px[i] >> 8) & 0xff) * g[1]);
                int bb = clamp((px[i] & 0xff) * g[2]);
                px[i] = 0xff000000 | (rr << 16) | (gg << 8) | bb;
            }
        }
        return ip;
    }

    /** Brightness/contrast on an already normalised network input, in place. */
    public void intensity(float[] x, Random r) {
        float c = (float) (1 + contrast * (2 * r.nextDouble() - 1));
        float b = (float) (brightness * (2 * r.nextDouble() - 1));
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] * c + b;
        }
    }

    /** The sample as an ImageJ processor (RGB for 3 channels, 32-bit for 1). */
    public static ImageProcessor processor(Sample s) {
        int n = s.width() * s.height();
        if (s.channels() == 3) {
            int[] px = new int[n];
            float[] p = s.pixels();
            for (int i = 0; i < n; i++) {
                px[i] = 0xff000000 | (clamp(p[i]) << 16) | (clamp(p[n + i]) << 8) | clamp(p[2 * n + i]);
            }
            return new ColorProcessor(s.width(), s.height(), px);
        }
        return new FloatProcessor(s.width(), s.height(), java.util.Arrays.copyOf(s.pixels(), n));
    }

    /** Random x and y displacements (crop pixels) at the (G+1) x (G+1) control points of the elastic grid. */
    private float[][] displacementGrid(Random r) {
        int n = (ELASTIC_GRID + 1) * (ELASTIC_GRID + 1);
        float[][] d = new float[2][n];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < n; i++) {
                d[k][i] = (float) (r.nextGaussian() * elastic);
            }
        }
        return d;
    }

    /** The displacement at crop pixel (u, v): bilinear between the grid's control points (smooth, no folds for small sigma). */
    static double interpolate(float[] grid, int u, int v, int size) {
        double gx = (u + 0.5) / size * ELASTIC_GRID, gy = (v + 0.5) / size * ELASTIC_GRID;
        int ix = Math.min(ELASTIC_GRID - 1, (int) gx), iy = Math.min(ELASTIC_GRID - 1, (int) gy);
        double fx = gx - ix, fy = gy - iy;
        int row = ELASTIC_GRID + 1;
        return (1 - fy) * ((1 - fx) * grid[iy * row + ix] + fx * grid[iy * row + ix + 1])
                + fy * ((1 - fx) * grid[(iy + 1) * row + ix] + fx * grid[(iy + 1) * row + ix + 1]);
    }

    private double zoom(Random r) {
        if (scaleMax <= scaleMin) {
            return scaleMin;
        }
        // log-uniform between the two factors
        return Math.exp(Math.log(scaleMin) + r.nextDouble() * (Math.log(scaleMax) - Math.log(scaleMin)));
    }

    private float[] gains(int channels, Random r) {
        float[] g = new float[channels];
        for (int c = 0; c < channels; c++) {
            g[c] = channels == 3 && colour > 0 ? (float) (1 + colour * (2 * r.nextDouble() - 1)) : 1f;
        }
        return g;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

}
