package org.neuralj.filter;

import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/**
 * Runs a {@link Filter} over equally sized float planes on a {@link Backend}: the planes go up in batches
 * (one upload of [n, 1, H, W] per batch, not one per plane), are filtered, and come back in place.
 */
public final class PlaneFilter {
    /** Floats per batch (64 MiB of input); the filters need a few such buffers at once. */
    static final long BATCH_FLOATS = 16L << 20;

    /** Told after each batch: planes done so far, of total; may throw to cancel. */
    public interface Progress {
        void done(int planes, int total);
    }

    private PlaneFilter() {
    }

    /**
     * Filters every plane (width x height floats, row-major) in place.
     * @param progress may be null
     */
    public static void run(Backend b, Filter f, EdgeMode edge, int width, int height, List<float[]> planes,
                           Progress progress) {
        if (width < 1 || height < 1) {
            throw new FilterException("the image is empty (" + width + "x" + height + ")");
        }
        int plane = width * height;
        for (float[] p : planes) {
            if (p.length != plane) {
                throw new IllegalArgumentException("plane of " + p.length + " floats, expected " + width + "x" + height);
            }
        }
        int total = planes.size();
        int perBatch = (int) Math.max(1, Math.min(total, BATCH_FLOATS / plane));
        for (int start = 0; start < total; start += perBatch) {
            int n = Math.min(perBatch, total - start);
            float[] batch;
            if (n == 1) {
                batch = planes.get(start);
            } else {
                batch = new float[n * plane];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(planes.get(start + i), 0, batch, i * plane, plane);
                }
            }
            float[] out;
            try (Tensor x = b.upload(batch, n, 1, height, width); Tensor y = f.apply(b, x, edge)) {
                out = b.download(y);
            }
            for (int i = 0; i < n; i++) {
                System.arraycopy(out, i * plane, planes.get(start + i), 0, plane);
            }
            if (progress != null) {
                progress.done(start + n, total);
            }
        }
    }
}
