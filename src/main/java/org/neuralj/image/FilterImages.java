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
import org.neuralj.backend.PlaneRows;
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
 * The pixels go to the backend a row at a time ({@link PlaneFilter}: streamed through the op on the CPU,
 * in batches of planes on a device), written back in place.
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
        int total = ips.size() * channels;
        int[] written = {0};                            // planes finished so far (a batch is written when it is done)
        PlaneFilter.Progress track = (planes, all) -> {
            written[0] = planes;
            if (progress != null) {
                progress.done(planes, all);
            }
        };
        try {
            PlaneFilter.run(backend, filter, edge, new ImageRows(ips, channels, 0, read, r, m, filter.truncatesToInteger(), whole),
                    track);
        } catch (DeviceOutOfMemoryException e) {
            if (backend instanceof CpuBackend) {
                throw e;
            }
            // the planes written so far are done; the others are untouched (a device batch is written back
            // only after it is filtered): filter them on the CPU
            Warnings.warn("the filter " + filter + " does not fit in the memory of " + backend.name() + " with " + read.width + "x"
                    + read.height + " planes; running it on the CPU instead (slower, same results). Cause: " + e.getMessage());
            int done = written[0];
            try (CpuBackend cpu = new CpuBackend()) {
                PlaneFilter.run(cpu, filter, edge, new ImageRows(ips, channels, done, read, r, m, filter.truncatesToInteger(), whole),
                        progress == null ? null : (planes, all) -> progress.done(done + planes, total));
            }
        }
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

    /**
     * The planes of the processors (RGB: three channel planes per processor) inside the read region, as
     * {@link PlaneRows}: rows read as floats and written back into the roi part only (and only where the
     * mask is set), rounded and clamped as ImageJ does; in place (the backend keeps the rows it still needs).
     */
    private static final class ImageRows implements PlaneRows {
        private final List<ImageProcessor> ips;
        private final int channels;
        private final int first;                        // plane p here is plane first + p of the processors
        private final Rectangle read, roi;
        private final byte[] mask;
        private final float add;
        private final boolean whole;

        ImageRows(List<ImageProcessor> ips, int channels, int first, Rectangle read, Rectangle roi, byte[] mask, boolean truncate,
                  boolean whole) {
            this.ips = ips;
            this.channels = channels;
            this.first = first;
            this.read = read;
            this.roi = roi;
            this.mask = mask;
            this.add = truncate ? 0f : 0.5f;
            this.whole = whole;
        }

        @Override
        public int planes() {
            return ips.size() * channels - first;
        }

        @Override
        public int height() {
            return read.height;
        }

        @Override
        public int width() {
            return read.width;
        }

        @Override
        public void read(int p, int y, float[] dst, int offset) {
            int q = first + p;
            ImageProcessor ip = ips.get(q / channels);
            toFloat(ip.getPixels(), (read.y + y) * ip.getWidth() + read.x, read.width, q % channels, dst, offset);
        }

        @Override
        public void write(int p, int y, float[] src, int offset) {
            int row = read.y + y;
            if (row < roi.y || row >= roi.y + roi.height) {
                return;                                     // context rows around the roi stay as they are
            }
            int q = first + p;
            ImageProcessor ip = ips.get(q / channels);
            int s = offset + roi.x - read.x, d = row * ip.getWidth() + roi.x, m = (row - roi.y) * roi.width;
            if (channels == 1) {
                fromFloat(src, s, ip.getPixels(), d, roi.width, 0, mask, m, add);
            } else {
                synchronized (ip) {         // the channels of an RGB pixel share one int: one writer at a time
                    fromFloat(src, s, ip.getPixels(), d, roi.width, q % channels, mask, m, add);
                }
            }
        }

        @Override
        public float[] floats(int p) {
            return whole && channels == 1 && ips.get(first + p).getPixels() instanceof float[] f ? f : null;
        }
    }

    /** n pixels of channel c (RGB: 0 red, 1 green, 2 blue) from pixels[from ..] as floats into out[offset ..]. */
    static void toFloat(Object pixels, int from, int n, int c, float[] out, int offset) {
        if (pixels instanceof float[] f) {
            System.arraycopy(f, from, out, offset, n);
        } else if (pixels instanceof byte[] b) {
            PixelRows.BEST.fromU8(b, from, out, offset, n);
        } else if (pixels instanceof short[] s) {
            PixelRows.BEST.fromU16(s, from, out, offset, n);
        } else {
            int[] rgb = (int[]) pixels;
            int shift = 16 - 8 * c;
            for (int x = 0; x < n; x++) {
                out[offset + x] = (rgb[from + x] >> shift) & 0xff;
            }
        }
    }

    /**
     * n filtered values from plane[s ..] into channel c of pixels[d ..], integers as value + add clamped and
     * truncated; where mask is not null only pixels whose mask[m + x] is set change.
     */
    static void fromFloat(float[] plane, int s, Object pixels, int d, int n, int c, byte[] mask, int m, float add) {
        if (pixels instanceof float[] f) {
            if (mask == null) {
                System.arraycopy(plane, s, f, d, n);
            } else {
                for (int x = 0; x < n; x++) {
                    if (mask[m + x] != 0) {
                        f[d + x] = plane[s + x];
                    }
                }
            }
        } else if (pixels instanceof byte[] b) {
            if (mask == null) {
                PixelRows.BEST.toU8(plane, s, b, d, n, add);
            } else {
                for (int x = 0; x < n; x++) {
                    if (mask[m + x] != 0) {
                        b[d + x] = (byte) PixelRows.toInteger(plane[s + x] + add, 255f);
                    }
                }
            }
        } else if (pixels instanceof short[] sh) {
            if (mask == null) {
                PixelRows.BEST.toU16(plane, s, sh, d, n, add);
            } else {
                for (int x = 0; x < n; x++) {
                    if (mask[m + x] != 0) {
                        sh[d + x] = (short) PixelRows.toInteger(plane[s + x] + add, 65535f);
                    }
                }
            }
        } else {
            int[] rgb = (int[]) pixels;
            int shift = 16 - 8 * c;
            for (int x = 0; x < n; x++) {
                if (mask == null || mask[m + x] != 0) {
                    int v = PixelRows.toInteger(plane[s + x] + add, 255f);
                    rgb[d + x] = (rgb[d + x] & ~(0xff << shift)) | (v << shift);
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
