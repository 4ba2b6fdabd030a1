package org.neuralj.filter;

import java.util.function.IntConsumer;
import org.neuralj.backend.Backend;
import org.neuralj.backend.PlaneBatches;
import org.neuralj.backend.PlaneOp;
import org.neuralj.backend.PlaneRows;

/**
 * Runs a {@link Filter} over the planes of an image ({@link PlaneRows}: pixels read and written a row at a
 * time, converted by the image side). A filter that is one backend op ({@link Filter#planeOp}) goes to
 * {@link Backend#filterRows}, where the CPU streams the rows through the op with the conversions inside its
 * first and last pass; other filters go batch by batch through tensors ({@link PlaneBatches}).
 */
public final class PlaneFilter {
    /** Told after each batch: planes done so far, of total; may throw to cancel. */
    public interface Progress {
        void done(int planes, int total);
    }

    private PlaneFilter() {
    }

    /**
     * Filters every plane and writes it back.
     * @param progress may be null
     */
    public static void run(Backend b, Filter f, EdgeMode edge, PlaneRows planes, Progress progress) {
        if (planes.width() < 1 || planes.height() < 1) {
            throw new FilterException("the image is empty (" + planes.width() + "x" + planes.height() + ")");
        }
        int total = planes.planes();
        IntConsumer done = progress == null ? null : n -> progress.done(n, total);
        PlaneOp op = f.planeOp(planes.width(), planes.height());
        if (op != null) {
            b.filterRows(planes, op, edge.padMode(), done);
        } else {
            PlaneBatches.run(b, planes, x -> f.apply(b, x, edge), done);
        }
    }
}
