package org.neuralj.image;

import java.util.ArrayList;
import java.util.List;

/**
 * How a W x H plane is cut into tiles of one size for a network with a given halo (receptive-field
 * radius) and stride (the product of its down-sampling factors). Each {@link Tile} keeps three origins,
 * as JDLL's TileGrid does: where the tile starts in the image (negative or past the end = padding),
 * where its valid (written) region starts inside the tile, and where that region goes in the output.
 * The valid regions partition the image exactly once. Every tile origin is a multiple of the stride
 * relative to the padded image, so a tiled run sees the same pooling grid as an untiled one; the last
 * tile in each row/column is shifted back inside so that all tiles share one size; sizes are padded up
 * to the stride and the padding is cropped away.
 *
 * @param width       image width
 * @param height      image height
 * @param tileWidth   every tile's width (a multiple of the stride)
 * @param tileHeight  every tile's height
 * @param halo        context kept on each inner side of a valid region (a multiple of the stride)
 * @param border      padding added around the image before tiling (0: the network's own zero padding
 *                    decides the border, exactly as untiled; {@code halo}: mirror context at the border)
 * @param stride      the network's stride
 * @param tiles       in row-major order
 */
public record TilePlan(int width, int height, int tileWidth, int tileHeight, int halo, int border, int stride, List<Tile> tiles) {

    /**
     * One tile.
     *
     * @param x      tile origin in the image (may be negative: padding)
     * @param y      tile origin in the image
     * @param validX start of the valid region inside the tile
     * @param validY start of the valid region inside the tile
     * @param outX   where the valid region goes in the output (image coordinates)
     * @param outY   where the valid region goes in the output
     * @param validWidth  size of the valid region
     * @param validHeight size of the valid region
     */
    public record Tile(int x, int y, int validX, int validY, int outX, int outY, int validWidth, int validHeight) {
    }

    public TilePlan {
        tiles = List.copyOf(tiles);
    }

    /**
     * Plans tiles of at most {@code tile} x {@code tile} pixels (rounded down to the stride) for an image
     * of {@code width} x {@code height}. An axis shorter than a tile gets one tile of the image's size
     * rounded up to the stride. The halo is rounded up to the stride. Fails when a tile cannot hold
     * twice the halo plus one stride step of valid pixels.
     *
     * @param borderPadding true: the image is padded by the halo on every side (tile origins negative at
     *                      the top-left); false: tiles start at 0 and the network's own padding applies
     *                      at the image border (a tiled result then equals the untiled one)
     */
    public static TilePlan of(int width, int height, int tile, int halo, int stride, boolean borderPadding) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("empty image " + width + "x" + height);
        }
        if (stride <= 0) {
            throw new IllegalArgumentException("stride " + stride + " must be positive");
        }
        if (halo < 0) {
            throw new IllegalArgumentException("halo " + halo + " must not be negative");
        }
        int h = roundUp(halo, stride);
        int t = tile / stride * stride;
        int border = borderPadding ? h : 0;
        if (t < 2 * h + stride) {
            throw new IllegalArgumentException("tile " + tile + " is too small for halo " + halo + " and stride " + stride
                    + ": it needs at least " + (2 * h + stride) + " (2 x halo + stride)");
        }
        int[][] xs = axis(width, t, h, stride, border);
        int[][] ys = axis(height, t, h, stride, border);
        int tw = xs[0][4];
        int th = ys[0][4];
        List<Tile> tiles = new ArrayList<>();
        for (int[] ay : ys) {
            for (int[] ax : xs) {
                tiles.add(new Tile(ax[0], ay[0], ax[1], ay[1], ax[2], ay[2], ax[3], ay[3]));
            }
        }
        return new TilePlan(width, height, tw, th, h, border, stride, tiles);
    }

    /** For one axis: {origin, validStart, outStart, validLength, tileSize} per tile. */
    static int[][] axis(int size, int tile, int halo, int stride, int border) {
        int start = -border;
        int length = roundUp(size + 2 * border, stride);
        int end = start + length;
        List<int[]> out = new ArrayList<>();
        if (length <= tile) {
            out.add(new int[] {start, border, 0, size, length});
            return out.toArray(new int[0][]);
        }
        int core = tile - 2 * halo;
        int e = 0;
        while (e < size) {
            int origin = out.isEmpty() ? start : e - halo;
            if (origin + tile > end) {
                origin = end - tile; // the last tile shifts back inside: all tiles share one size
            }
            int validStart = e - origin;
            int validEnd = out.isEmpty() ? tile - halo : validStart + core;
            int outEnd = Math.min(origin + validEnd, size);
            if (origin + tile >= end) {
                outEnd = size;
            }
            out.add(new int[] {origin, validStart, e, outEnd - e, tile});
            e = outEnd;
        }
        return out.toArray(new int[0][]);
    }

    static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /** Pixels the network computes for this plan divided by the image's pixels (the halo's cost). */
    public double overhead() {
        return (double) tiles.size() * tileWidth * tileHeight / ((double) width * height);
    }
}
