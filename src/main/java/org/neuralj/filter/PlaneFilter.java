package org.neuralj.filter;

import java.util.stream.IntStream;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/**
 * Runs a {@link Filter} over equally sized planes on a {@link Backend}: the planes are converted to floats
 * into one host buffer per batch, which goes to the backend as one tensor [n, 1, H, W] ({@link Backend#view}:
 * no copy on the CPU, one upload on a device), is filtered, and comes back into the same buffer
 * ({@link Backend#download(Tensor, float[], int)}), from which the planes are written back. A float plane
 * that is filtered whole is used in place, without the buffer. The buffer is allocated once per run; its
 * size is the backend's {@link Backend#preferredBatchFloats} (cache-sized on the CPU, large on a device).
 */
public final class PlaneFilter {
    /** Told after each batch: planes done so far, of total; may throw to cancel. */
    public interface Progress {
        void done(int planes, int total);
    }

    /**
     * Where the planes come from and go back to, a band of rows at a time (bands of one plane or of
     * different planes are read and written in parallel).
     */
    public interface Planes {
        int count();

        /** Rows [y0, y1) of plane i as floats, row-major, into {@code buf} from {@code offset} (row y0) on. */
        void read(int i, int y0, int y1, float[] buf, int offset);

        /** Rows [y0, y1) of the filtered plane i, from {@code buf} at {@code offset} (row y0). */
        void write(int i, int y0, int y1, float[] buf, int offset);

        /**
         * Plane i's own float array when reading and writing it are plain copies of the whole array, so it
         * can be filtered in place without the conversion buffer; else null.
         */
        default float[] direct(int i) {
            return null;
        }
    }

    /** The conversions of a batch are split into at least this many tasks (bands of rows), for all cores. */
    private static final int CONVERSION_TASKS = 4 * Runtime.getRuntime().availableProcessors();

    private PlaneFilter() {
    }

    /**
     * Filters every plane (width x height pixels) and writes it back.
     * @param progress may be null
     */
    public static void run(Backend b, Filter f, EdgeMode edge, int width, int height, Planes planes, Progress progress) {
        if (width < 1 || height < 1) {
            throw new FilterException("the image is empty (" + width + "x" + height + ")");
        }
        int plane = width * height;
        int total = planes.count();
        int perBatch = Math.max(1, Math.min(total, b.preferredBatchFloats() / plane));   // at least one plane
        float[] full = null;
        for (int start = 0; start < total; start += perBatch) {
            int n = Math.min(perBatch, total - start);
            float[] direct = n == 1 ? planes.direct(start) : null;
            if (direct != null) {
                filter(b, f, edge, direct, 1, height, width);
            } else {
                // the buffer of a full batch is reused; a shorter last batch needs its own exact size
                float[] buf = n == perBatch ? (full = full != null ? full : new float[perBatch * plane]) : new float[n * plane];
                int first = start;
                int bands = Math.max(1, Math.min(height, CONVERSION_TASKS / n));
                IntStream.range(0, n * bands).parallel().forEach(t -> {
                    int i = t / bands, y0 = height * (t % bands) / bands, y1 = height * (t % bands + 1) / bands;
                    planes.read(first + i, y0, y1, buf, i * plane + y0 * width);
                });
                filter(b, f, edge, buf, n, height, width);
                IntStream.range(0, n * bands).parallel().forEach(t -> {
                    int i = t / bands, y0 = height * (t % bands) / bands, y1 = height * (t % bands + 1) / bands;
                    planes.write(first + i, y0, y1, buf, i * plane + y0 * width);
                });
            }
            if (progress != null) {
                progress.done(start + n, total);
            }
        }
    }

    /** Filters n planes held in buf, in place. */
    private static void filter(Backend b, Filter f, EdgeMode edge, float[] buf, int n, int height, int width) {
        Tensor y;
        try (Tensor x = b.view(buf, n, 1, height, width)) {
            y = f.apply(b, x, edge);
        }
        try (Tensor out = y) {
            b.download(out, buf, 0);
        }
    }
}
