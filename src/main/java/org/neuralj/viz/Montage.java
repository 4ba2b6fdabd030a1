package org.neuralj.viz;

import java.util.List;

/**
 * A picture made of tiles on a grid, separated by a border: grey ({@code channels == 1}) or RGB
 * ({@code channels == 3}, planar: {@code data[c][y][x]}), values in [0, 1] when tiles are normalised.
 */
public record Montage(int width, int height, int channels, float[] data) {

    /** Tiles of equal size {@code w x h} with {@code channels} planes each, {@code columns} a row. */
    public static Montage grid(List<float[]> tiles, int w, int h, int channels, int columns, int border, float background) {
        int cols = Math.max(1, Math.min(columns, tiles.size()));
        int rows = (tiles.size() + cols - 1) / cols;
        int width = cols * w + (cols + 1) * border;
        int height = rows * h + (rows + 1) * border;
        float[] out = new float[channels * width * height];
        java.util.Arrays.fill(out, background);
        for (int k = 0; k < tiles.size(); k++) {
            int ox = border + (k % cols) * (w + border);
            int oy = border + (k / cols) * (h + border);
            float[] t = tiles.get(k);
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(t, c * w * h + y * w, out, c * width * height + (oy + y) * width + ox, w);
                }
            }
        }
        return new Montage(width, height, channels, out);
    }

    /** The feature maps, each channel scaled to [0, 1] by its own min and max, in a near-square grid. */
    public static Montage of(FeatureMaps fm, int border) {
        List<float[]> tiles = new java.util.ArrayList<>();
        for (int c = 0; c < fm.channels(); c++) {
            tiles.add(new Heatmap(fm.width(), fm.height(), fm.channel(c)).normalized().values());
        }
        int cols = (int) Math.ceil(Math.sqrt(fm.channels()));
        return grid(tiles, fm.width(), fm.height(), 1, cols, border, 1f);
    }
}
