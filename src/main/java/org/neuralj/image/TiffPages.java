package org.neuralj.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.neuralj.backend.NeuralJException;

/**
 * The few tags of a classic TIFF's pages (image file directories) that decide how NeuralJ reads it:
 * ImageJ 1 refuses 64-bit samples and does not look at the sample format, so {@link ImageFiles} reads
 * 64-bit float pages itself and refuses complex ones by name. TIFF 6.0 layout: an 8-byte header
 * ("II" or "MM", 42, offset of the first directory), then per directory a 2-byte entry count, 12-byte
 * entries (tag, type, count, value or offset) and the offset of the next directory.
 *
 * @param sampleFormat 1 unsigned, 2 signed, 3 IEEE float, 4 undefined, 5 complex integer, 6 complex float
 */
record TiffPages(ByteOrder order, List<Page> pages) {
    static final int UNSIGNED = 1;
    static final int FLOAT = 3;
    static final int COMPLEX_INT = 5;
    static final int COMPLEX_FLOAT = 6;

    record Page(int width, int height, int bitsPerSample, int samplesPerPixel, int sampleFormat, int compression,
                boolean tiled, long[] stripOffsets, long[] stripByteCounts) {
    }

    private static final int MAX_PAGES = 1 << 20;

    /**
     * The pages of {@code file} (at most {@code maxPages}), or null when it is not a classic TIFF (a
     * BigTIFF, or no TIFF header: ImageJ's reader then decides). Throws naming the file when the
     * directories are damaged.
     */
    static TiffPages read(Path file, int maxPages) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = read(ch, 0, 8, size, file);
            ByteOrder order;
            if (head.get(0) == 'I' && head.get(1) == 'I') {
                order = ByteOrder.LITTLE_ENDIAN;
            } else if (head.get(0) == 'M' && head.get(1) == 'M') {
                order = ByteOrder.BIG_ENDIAN;
            } else {
                return null;
            }
            head.order(order);
            if (head.getShort(2) != 42) {
                return null;
            }
            List<Page> pages = new ArrayList<>();
            Set<Long> seen = new HashSet<>();
            long ifd = head.getInt(4) & 0xffffffffL;
            while (ifd != 0 && pages.size() < Math.min(maxPages, MAX_PAGES)) {
                if (!seen.add(ifd)) {
                    throw new NeuralJException(file + ": the TIFF's page directories form a loop (damaged file)");
                }
                ByteBuffer count = read(ch, ifd, 2, size, file).order(order);
                int n = count.getShort(0) & 0xffff;
                ByteBuffer entries = read(ch, ifd + 2, 12L * n + 4, size, file).order(order);
                pages.add(page(ch, entries, n, order, size, file));
                ifd = entries.getInt(12 * n) & 0xffffffffL;
            }
            return new TiffPages(order, pages);
        } catch (IOException e) {
            throw new NeuralJException(file + ": cannot read the file (" + e.getMessage() + ")", e);
        }
    }

    private static Page page(FileChannel ch, ByteBuffer e, int n, ByteOrder order, long size, Path file) throws IOException {
        int width = 0, height = 0, bits = 1, spp = 1, format = UNSIGNED, compression = 1;
        boolean tiled = false;
        long[] offsets = null, counts = null;
        for (int i = 0; i < n; i++) {
            int at = 12 * i;
            int tag = e.getShort(at) & 0xffff;
            switch (tag) {
                case 256 -> width = (int) first(ch, e, at, order, size, file);
                case 257 -> height = (int) first(ch, e, at, order, size, file);
                case 258 -> bits = (int) first(ch, e, at, order, size, file);
                case 259 -> compression = (int) first(ch, e, at, order, size, file);
                case 273 -> offsets = values(ch, e, at, order, size, file);
                case 277 -> spp = (int) first(ch, e, at, order, size, file);
                case 279 -> counts = values(ch, e, at, order, size, file);
                case 322, 323, 324, 325 -> tiled = true;
                case 339 -> format = (int) first(ch, e, at, order, size, file);
                default -> {
                }
            }
        }
        return new Page(width, height, bits, spp, format, compression, tiled, offsets, counts);
    }

    private static long first(FileChannel ch, ByteBuffer e, int at, ByteOrder order, long size, Path file) throws IOException {
        long[] v = values(ch, e, at, order, size, file);
        return v.length == 0 ? 0 : v[0];
    }

    /** The values of one entry: BYTE (1), SHORT (3) or LONG (4); others read as none. */
    private static long[] values(FileChannel ch, ByteBuffer e, int at, ByteOrder order, long size, Path file) throws IOException {
        int type = e.getShort(at + 2) & 0xffff;
        long count = e.getInt(at + 4) & 0xffffffffL;
        int width = type == 1 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 0;
        if (width == 0) {
            return new long[0];
        }
        if (count * width > size) {
            throw new NeuralJException(file + ": a TIFF tag claims " + count + " values, more than the file holds (damaged file)");
        }
        ByteBuffer b = count * width <= 4 ? e.slice(at + 8, 4).order(order)
                : read(ch, e.getInt(at + 8) & 0xffffffffL, count * width, size, file).order(order);
        long[] v = new long[(int) count];
        for (int i = 0; i < v.length; i++) {
            v[i] = width == 1 ? b.get(i) & 0xff : width == 2 ? b.getShort(2 * i) & 0xffff : b.getInt(4 * i) & 0xffffffffL;
        }
        return v;
    }

    static ByteBuffer read(FileChannel ch, long offset, long length, long size, Path file) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size || length > Integer.MAX_VALUE) {
            throw new NeuralJException(file + ": the TIFF is cut off or damaged: it points to bytes " + offset + ".." + (offset + length)
                    + " but the file has " + size);
        }
        ByteBuffer b = ByteBuffer.allocate((int) length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new NeuralJException(file + ": the file ended while reading it");
            }
        }
        return b.flip();
    }
}
