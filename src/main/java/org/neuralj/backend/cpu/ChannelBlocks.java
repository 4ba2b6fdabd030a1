package org.neuralj.backend.cpu;

/**
 * How a CPU activation [n, channels, h, w] is held when the convolution that made it put its output channels in
 * vector lanes ({@link CpuConv#channelLanes}): channels in blocks of {@link GemmKernel#LANE_BLOCK}, each block's
 * pixels one after another with that block's channels side by side (one 64-byte line per pixel), every plane inside
 * a zero border of {@code border} pixels. The next such convolution reads its input here as it is (stride 1, padding
 * = border: the border is its zero padding) or copies whole pixels from it, and a tile is written out as runs of
 * whole pixels: the planes of single channels took a padding pass (8 % of ResNet-18 at batch 1) and a transposing
 * write-out (9 %) per convolution. Every other op reads the tensor after {@link #toPlanes} (see CpuBackend#data).
 *
 * <p>The array holds {@link #floats()}: the images, then a tail a lane tile's last columns may read past the last
 * row (only into outputs it drops). Block slots past {@code channels} are never written or read.
 */
record ChannelBlocks(int n, int channels, int h, int w, int border) {
    static final int BLOCK = GemmKernel.LANE_BLOCK;

    int blocks() {
        return (channels + BLOCK - 1) / BLOCK;
    }

    /** Floats of one bordered row of a block. */
    int rowFloats() {
        return (w + 2 * border) * BLOCK;
    }

    /** Floats of one block's bordered plane. */
    int blockFloats() {
        return (h + 2 * border) * rowFloats();
    }

    /** Floats of one image (all its blocks). */
    int imageFloats() {
        return blocks() * blockFloats();
    }

    /** Floats of the array: the images and a tail of a bordered row and a lane tile. */
    int floats() {
        return n * imageFloats() + rowFloats() + 8 * BLOCK;
    }

    /** Whether a tensor of {@code shape} is the one held: [n, channels, h, w]. */
    boolean holds(int[] shape) {
        return shape.length == 4 && shape[0] == n && shape[1] == channels && shape[2] == h && shape[3] == w;
    }

    /** Elements of the tensor as planes [n, channels, h, w]. */
    int planeFloats() {
        return n * channels * h * w;
    }

    /** Where pixel (y, x) of channel c of image img is (x, y may lie in the border: -border .. w + border - 1). */
    int at(int img, int c, int y, int x) {
        return ((img * blocks() + c / BLOCK) * (h + 2 * border) + y + border) * rowFloats() + (x + border) * BLOCK + c % BLOCK;
    }

    /**
     * Zeroes the border of block b of image img beside row y (0 .. h - 1), and the border rows above it if it is the
     * first row, below it if the last: a writer of the rows calls it for each row it writes.
     */
    void zeroBorderOf(float[] a, int img, int b, int y) {
        zeroBorder(a, img, b, y);
        for (int e = 1; e <= border; e++) {
            if (y == 0) {
                zeroBorder(a, img, b, -e);
            }
            if (y == h - 1) {
                zeroBorder(a, img, b, h - 1 + e);
            }
        }
    }

    /** Zeroes the border pixels of row y (-border .. h + border - 1) of block b of image img. */
    private void zeroBorder(float[] a, int img, int b, int y) {
        int row = at(img, b * BLOCK, y, -border);
        if (y < 0 || y >= h) {
            java.util.Arrays.fill(a, row, row + rowFloats(), 0f);
            return;
        }
        java.util.Arrays.fill(a, row, row + border * BLOCK, 0f);
        java.util.Arrays.fill(a, row + (w + border) * BLOCK, row + rowFloats(), 0f);
    }

    /** The zero tail past the last image. */
    void zeroTail(float[] a) {
        java.util.Arrays.fill(a, n * imageFloats(), floats(), 0f);
    }

    /**
     * Copies the tensor from {@code blocked} into planes [n, channels, h, w] starting at {@code planes[offset]}. A task
     * takes one block's row at a time (w pixels x 16 channels, in L1) and writes its 16 channels' rows: walking one
     * channel's whole plane instead read each block 16 times over from memory (a 64-channel 256² output: 2.35 -> 1.5 ms).
     */
    void toPlanes(CpuThreads threads, float[] blocked, float[] planes, int offset) {
        int blocks = blocks();
        threads.forRange(n * blocks * h, Math.max(1, 16384 / rowFloats()), (from, to) -> {
            for (int r = from; r < to; r++) {
                int y = r % h, b = r / h % blocks, img = r / h / blocks;
                int src = at(img, b * BLOCK, y, 0);
                for (int k = 0, c = b * BLOCK; k < BLOCK && c < channels; k++, c++) {
                    int dst = offset + ((img * channels + c) * h + y) * w;
                    for (int x = 0; x < w; x++) {
                        planes[dst + x] = blocked[src + x * BLOCK + k];
                    }
                }
            }
        });
    }
}
