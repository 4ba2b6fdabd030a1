package org.neuralj.filter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A convolution kernel of odd width and height, row-major: {@code values[ky * width + kx]}, applied as
 * a cross-correlation centred on the middle element (as ImageJ's Process › Filters › Convolve does).
 */
public record Kernel2D(int width, int height, float[] values) {

    public Kernel2D {
        if (width < 1 || height < 1) {
            throw new FilterException("the kernel is empty");
        }
        if (width % 2 == 0 || height % 2 == 0) {
            throw new FilterException("the kernel is " + width + "x" + height
                    + ": width and height must be odd (3x3, 5x5, 7x1, ...), so it has a centre");
        }
        if (values == null || values.length != width * height) {
            throw new FilterException("a " + width + "x" + height + " kernel needs " + width * height + " values, got "
                    + (values == null ? 0 : values.length));
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new FilterException("kernel value " + values[i] + " at row " + (i / width + 1) + ", column "
                        + (i % width + 1) + " is not a finite number");
            }
        }
        values = values.clone();
    }

    /** A square kernel from its values (length must be an odd square). */
    public static Kernel2D square(float... values) {
        int side = (int) Math.round(Math.sqrt(values.length));
        if (side * side != values.length) {
            throw new FilterException(values.length + " kernel values do not make a square kernel");
        }
        return new Kernel2D(side, side, values);
    }

    @Override
    public float[] values() {
        return values.clone();
    }

    /** The value at row ky, column kx. */
    public float at(int ky, int kx) {
        return values[ky * width + kx];
    }

    public int radiusX() {
        return width / 2;
    }

    public int radiusY() {
        return height / 2;
    }

    /** Sum of all values. */
    public double sum() {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }

    /** Divided by its sum when the sum is not 0 (ImageJ's "Normalize Kernel"); unchanged otherwise. */
    public Kernel2D normalized() {
        double sum = sum();
        if (sum == 0) {
            return this;
        }
        float[] v = new float[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (values[i] / sum);
        }
        return new Kernel2D(width, height, v);
    }

    /**
     * Parses kernel text as ImageJ's Convolve dialog takes it: numbers separated by spaces, tabs or
     * commas, one kernel row per line; a single line of n*n numbers is a square kernel. Width and
     * height must be odd.
     */
    public static Kernel2D parse(String text) {
        if (text == null || text.isBlank()) {
            throw new FilterException("the kernel is empty: type rows of numbers, e.g. \"-1 -1 -1\\n-1 8 -1\\n-1 -1 -1\"");
        }
        List<float[]> rows = new ArrayList<>();
        String[] lines = text.split("\\r?\\n|\\r|\\\\n");
        for (String line : lines) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] tokens = t.split("[\\s,;]+");
            float[] row = new float[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                try {
                    row[i] = Float.parseFloat(tokens[i]);
                } catch (NumberFormatException e) {
                    throw new FilterException("kernel text: '" + tokens[i] + "' (row " + (rows.size() + 1)
                            + ", column " + (i + 1) + ") is not a number");
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new FilterException("the kernel is empty (no numbers found)");
        }
        if (rows.size() == 1) {
            float[] v = rows.get(0);
            int side = (int) Math.round(Math.sqrt(v.length));
            if (side * side == v.length && v.length > 1) {
                return new Kernel2D(side, side, v);
            }
            return new Kernel2D(v.length, 1, v);
        }
        int w = rows.get(0).length;
        float[] all = new float[w * rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r).length != w) {
                throw new FilterException("kernel text: row " + (r + 1) + " has " + rows.get(r).length
                        + " numbers but row 1 has " + w + "; every row needs the same count");
            }
            System.arraycopy(rows.get(r), 0, all, r * w, w);
        }
        return new Kernel2D(w, rows.size(), all);
    }

    /** Reads a kernel text file (as saved by ImageJ's Convolve dialog: rows of numbers). */
    public static Kernel2D read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FilterException("kernel file not found: " + file);
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (FilterException e) {
            throw new FilterException(file + ": " + e.getMessage());
        }
    }

    /**
     * When the kernel is an outer product {@code col[ky] * row[kx]} (within float rounding), returns
     * {row, col}; else null. Separable kernels run as two 1-D passes: kw + kh instead of kw * kh
     * multiply-adds per pixel.
     */
    public float[][] separate() {
        // pivot: the largest magnitude element
        int pi = 0;
        for (int i = 1; i < values.length; i++) {
            if (Math.abs(values[i]) > Math.abs(values[pi])) {
                pi = i;
            }
        }
        double pv = values[pi];
        if (pv == 0) {
            return null;
        }
        int py = pi / width, px = pi % width;
        float[] row = new float[width];
        float[] col = new float[height];
        for (int kx = 0; kx < width; kx++) {
            row[kx] = values[py * width + kx];
        }
        for (int ky = 0; ky < height; ky++) {
            col[ky] = (float) (values[ky * width + px] / pv);
        }
        double scale = Math.abs(pv);
        for (int ky = 0; ky < height; ky++) {
            for (int kx = 0; kx < width; kx++) {
                double d = (double) col[ky] * row[kx] - values[ky * width + kx];
                if (Math.abs(d) > 1e-6 * scale) {
                    return null;
                }
            }
        }
        return new float[][] {row, col};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Kernel2D k && k.width == width && k.height == height && Arrays.equals(k.values, values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int ky = 0; ky < height; ky++) {
            if (ky > 0) {
                sb.append('\n');
            }
            for (int kx = 0; kx < width; kx++) {
                if (kx > 0) {
                    sb.append(' ');
                }
                float v = at(ky, kx);
                sb.append(v == (int) v ? Integer.toString((int) v) : Float.toString(v));
            }
        }
        return sb.toString();
    }
}
