package org.neuralj.backend;

import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Runs a tensor function over {@link PlaneRows} batch by batch: the planes of a batch ({@link
 * Backend#preferredBatchFloats} floats) are read into one host buffer, which goes to the backend as one
 * tensor [n, 1, H, W] ({@link Backend#view}: no copy on the CPU, one upload on a device), is filtered and
 * comes back into the same buffer, from which the planes are written. A whole float plane is used in place.
 * The buffer is allocated once per run; reading and writing are split into bands of rows over all cores.
 */
public final class PlaneBatches {
    /** Conversions of a batch are split into at least this many tasks (bands of rows), for all cores. */
    private static final int CONVERSION_TASKS = 4 * Runtime.getRuntime().availableProcessors();

    private PlaneBatches() {
    }

    /**
     * @param f maps a tensor [n, 1, H, W] of planes on b to a new tensor of the same shape (x stays open)
     * @param planesDone told the number of planes written so far after each batch (may be null; may throw to cancel)
     */
    public static void run(Backend b, PlaneRows rows, UnaryOperator<Tensor> f, IntConsumer planesDone) {
        int w = rows.width(), h = rows.height(), total = rows.planes(), plane = w * h;
        if (total == 0 || plane == 0) {
            return;
        }
        int perBatch = Math.max(1, Math.min(total, b.preferredBatchFloats() / plane));   // at least one plane
        float[] full = null;
        for (int start = 0; start < total; start += perBatch) {
            int n = Math.min(perBatch, total - start);
            float[] direct = n == 1 ? rows.floats(start) : null;
            if (direct != null) {
                filter(b, f, direct, 1, h, w);
            } else {
                // the buffer of a full batch is reused; a shorter last batch needs its own exact size
                float[] buf = n == perBatch ? (full = full != null ? full : new float[perBatch * plane]) : new float[n * plane];
                int first = start;
                int bands = Math.max(1, Math.min(h, CONVERSION_TASKS / n));
                IntStream.range(0, n * bands).parallel().forEach(t -> {
                    int i = t / bands, y0 = h * (t % bands) / bands, y1 = h * (t % bands + 1) / bands;
                    for (int y = y0; y < y1; y++) {
                        rows.read(first + i, y, buf, i * plane + y * w);
                    }
                });
                filter(b, f, buf, n, h, w);
                IntStream.range(0, n * bands).parallel().forEach(t -> {
                    int i = t / bands, y0 = h * (t % bands) / bands, y1 = h * (t % bands + 1) / bands;
                    for (int y = y0; y < y1; y++) {
                        rows.write(first + i, y, buf, i * plane + y * w);
                    }
                });
            }
            if (planesDone != null) {
                planesDone.accept(start + n);
            }
        }
    }

    /** Filters n planes held in buf, in place. */
    private static void filter(Backend b, UnaryOperator<Tensor> f, float[] buf, int n, int h, int w) {
        Tensor y;
        try (Tensor x = b.view(buf, n, 1, h, w)) {
            y = f.apply(x);
        }
        try (Tensor out = y) {
            b.download(out, buf, 0);
        }
    }
}
