package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.filter.FilterException;
import org.neuralj.filter.PlaneFilter;

/**
 * Runs a {@link Filter} on ImageJ images of every type, as ImageJ's own filters behave: 8, 16 and 32-bit
 * and RGB (each colour channel on its own), one slice or all; only the rectangle {@code roi} (and within
 * it only where {@code mask} is set) changes, but pixels around it are read as context; 8/16-bit results
 * are rounded and clamped as ImageJ's {@code setPixels(channel, FloatProcessor)} does (add 0.5, clamp to
 * the type's range, truncate), or truncated where ImageJ's own filter truncates (Find Edges).
 * All planes of a call go to the backend in batches ({@link PlaneFilter}).
 */
public final class FilterImages {
    private FilterImages() {
    }

    /**
     * Filters the given processors in place (all of the same size and type).
     * @param roi the rectangle to change (null: the whole image)
     * @param mask null, or a mask of the roi's size: only pixels with a non-zero mask change
     */
    public static void filter(Backend backend, Filter filter, EdgeMode edge, List<ImageProcessor> ips, Rectangle roi,
                              ImageProcessor mask, PlaneFilter.Progress progress) {
        if (ips.isEmpty()) {
            return;
        }
        ImageProcessor first = ips.get(0);
        int w = first.getWidth(), h = first.getHeight();
        if (w < 1 || h < 1) {
            throw new FilterException("the image is empty (" + w + "x" + h + ")");
        }
        Rectangle r = roi == null ? new Rectangle(0, 0, w, h) : roi.intersection(new Rectangle(0, 0, w, h));
        if (r.isEmpty()) {
            throw new FilterException("the selection " + roi + " does not overlap the " + w + "x" + h + " image");
        }
        for (ImageProcessor ip : ips) {
            if (ip.getWidth() != w || ip.getHeight() != h || ip.getClass() != first.getClass()) {
                throw new FilterException("all slices must have the same size and type");
            }
            if (!supported(ip)) {
                throw new FilterException("unsupported image type " + ip.getClass().getSimpleName());
            }
        }
        // the region read: the roi plus the filter's reach, clipped to the image
        long halo = filter.halo();
        int x0 = (int) Math.max(0, r.x - halo), y0 = (int) Math.max(0, r.y - halo);
        int x1 = (int) Math.min(w, r.x + r.width + halo), y1 = (int) Math.min(h, r.y + r.height + halo);
        Rectangle read = new Rectangle(x0, y0, x1 - x0, y1 - y0);
        int channels = first instanceof ColorProcessor ? 3 : 1;
        byte[] m = mask == null ? null : (byte[]) mask.getPixels();
        boolean whole = read.width == w && read.height == h && r.equals(read) && m == null;
        boolean truncate = filter.truncatesToInteger();
        PlaneFilter.run(backend, filter, edge, read.width, read.height, new PlaneFilter.Planes() {
            @Override
            public int count() {
                return ips.size() * channels;
            }

            @Override
            public void read(int i, int y0, int y1, float[] buf, int offset) {
                toFloat(ips.get(i / channels), i % channels, new Rectangle(read.x, read.y + y0, read.width, y1 - y0), buf, offset);
            }

            @Override
            public void write(int i, int y0, int y1, float[] buf, int offset) {
                // the roi rows inside these rows of the read region
                int from = Math.max(r.y, read.y + y0), to = Math.min(r.y + r.height, read.y + y1);
                if (from >= to) {
                    return;
                }
                Rectangle rows = new Rectangle(read.x, read.y + y0, read.width, y1 - y0);
                Rectangle part = new Rectangle(r.x, from, r.width, to - from);
                byte[] partMask = m == null ? null : java.util.Arrays.copyOfRange(m, (from - r.y) * r.width, (to - r.y) * r.width);
                ImageProcessor ip = ips.get(i / channels);
                if (channels == 1) {
                    fromFloat(buf, offset, rows, ip, 0, part, partMask, truncate);
                } else {
                    synchronized (ip) {         // the channels of an RGB pixel share one int: one writer at a time
                        fromFloat(buf, offset, rows, ip, i % channels, part, partMask, truncate);
                    }
                }
            }

            @Override
            public float[] direct(int i) {
                return whole && ips.get(i).getPixels() instanceof float[] f ? f : null;
            }
        }, progress);
    }

    /** Filters one slice or the whole stack of {@code imp} in place (see {@link #filter}). */
    public static void filter(Backend backend, Filter filter, EdgeMode edge, ImagePlus imp, boolean wholeStack,
                              PlaneFilter.Progress progress) {
        List<ImageProcessor> ips = processors(imp, wholeStack);
        ImageProcessor ip = imp.getProcessor();
        Rectangle roi = imp.getRoi() != null && imp.getRoi().isArea() ? imp.getRoi().getBounds() : null;
        ImageProcessor mask = imp.getRoi() != null && imp.getRoi().isArea() ? imp.getRoi().getMask() : null;
        filter(backend, filter, edge, ips, roi, mask, progress);
        ip.resetRoi();
    }

    /** The processors of the current slice, or of every slice; a virtual stack is refused for whole-stack runs. */
    public static List<ImageProcessor> processors(ImagePlus imp, boolean wholeStack) {
        List<ImageProcessor> ips = new ArrayList<>();
        if (!wholeStack || imp.getStackSize() == 1) {
            ips.add(imp.getProcessor());
            return ips;
        }
        ImageStack stack = imp.getStack();
        if (stack.isVirtual()) {
            throw new FilterException("'" + imp.getTitle() + "' is a virtual stack: its slices live on disk and changes "
                    + "would be lost; load it into memory (Image › Duplicate...) or filter one slice");
        }
        for (int s = 1; s <= stack.getSize(); s++) {
            ips.add(stack.getProcessor(s));
        }
        return ips;
    }

    /** Channel c of ip inside rect as floats (RGB: c = 0 red, 1 green, 2 blue) into out from offset on. */
    static void toFloat(ImageProcessor ip, int c, Rectangle rect, float[] out, int offset) {
        int w = ip.getWidth();
        Object pixels = ip.getPixels();
        for (int y = 0; y < rect.height; y++) {
            int src = (rect.y + y) * w + rect.x;
            int dst = offset + y * rect.width;
            if (pixels instanceof float[] f) {                      // one type test per row, not per pixel
                System.arraycopy(f, src, out, dst, rect.width);
            } else if (pixels instanceof byte[] b) {
                PixelRows.BEST.fromU8(b, src, out, dst, rect.width);
            } else if (pixels instanceof short[] s) {
                PixelRows.BEST.fromU16(s, src, out, dst, rect.width);
            } else {
                int[] rgb = (int[]) pixels;
                int shift = 16 - 8 * c;
                for (int x = 0; x < rect.width; x++) {
                    out[dst + x] = (rgb[src + x] >> shift) & 0xff;
                }
            }
        }
    }

    /** Writes the roi part of a filtered plane (plane[offset ..], covering {@code read}) back into channel c of ip. */
    static void fromFloat(float[] plane, int offset, Rectangle read, ImageProcessor ip, int c, Rectangle roi, byte[] mask,
                          boolean truncate) {
        int w = ip.getWidth();
        Object pixels = ip.getPixels();
        float half = truncate ? 0f : 0.5f;
        int shift = 16 - 8 * c;
        for (int y = roi.y; y < roi.y + roi.height; y++) {
            int src = offset + (y - read.y) * read.width + (roi.x - read.x);
            int dst = y * w + roi.x;
            int mRow = (y - roi.y) * roi.width;
            if (pixels instanceof float[] f) {                      // one type test per row, not per pixel
                if (mask == null) {
                    System.arraycopy(plane, src, f, dst, roi.width);
                } else {
                    for (int x = 0; x < roi.width; x++) {
                        if (mask[mRow + x] != 0) {
                            f[dst + x] = plane[src + x];
                        }
                    }
                }
            } else if (pixels instanceof byte[] b) {
                if (mask == null) {
                    PixelRows.BEST.toU8(plane, src, b, dst, roi.width, half);
                } else {
                    for (int x = 0; x < roi.width; x++) {
                        if (mask[mRow + x] != 0) {
                            b[dst + x] = (byte) PixelRows.toInteger(plane[src + x] + half, 255f);
                        }
                    }
                }
            } else if (pixels instanceof short[] sh) {
                if (mask == null) {
                    PixelRows.BEST.toU16(plane, src, sh, dst, roi.width, half);
                } else {
                    for (int x = 0; x < roi.width; x++) {
                        if (mask[mRow + x] != 0) {
                            sh[dst + x] = (short) PixelRows.toInteger(plane[src + x] + half, 65535f);
                        }
                    }
                }
            } else {
                int[] rgb = (int[]) pixels;
                for (int x = 0; x < roi.width; x++) {
                    if (mask == null || mask[mRow + x] != 0) {
                        int v = PixelRows.toInteger(plane[src + x] + half, 255f);
                        rgb[dst + x] = (rgb[dst + x] & ~(0xff << shift)) | (v << shift);
                    }
                }
            }
        }
    }

    /** The processor types this runner takes (all of ImageJ's). */
    static boolean supported(ImageProcessor ip) {
        return ip instanceof ByteProcessor || ip instanceof ShortProcessor || ip instanceof FloatProcessor
                || ip instanceof ColorProcessor;
    }
}
