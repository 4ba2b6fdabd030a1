package org.neuralj.image;

import java.util.Map;
import java.util.function.Consumer;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Session;

/**
 * Runs a fully convolutional network over a plane of any size, tile by tile ({@link TilePlan}): each
 * tile is read from the image (mirror padding outside it), normalised with whole-image statistics, run,
 * and its valid region handed to a {@link Sink}, which writes it into the output (a probability map, or
 * straight into a mask, so a 16000 x 16000 image never needs a float copy). The host tile buffers are
 * allocated once per plan and reused for every tile; all tiles share one shape, so the session plans
 * once and the device pool reuses its buffers.
 *
 * <p>On {@link DeviceOutOfMemoryException} the tile side is halved (kept a multiple of the stride and
 * at least 2 x halo + stride), the retry is logged, and the plane starts again — as CSBDeep's
 * {@code tryToTileAndRunNetwork} does; the model remembers the size that failed, so later planes start
 * below it. When the smallest tile fails too, the model may move to the CPU
 * ({@link TileModel#fallBackToCpu}) and the plane starts again with the tile asked for; otherwise the
 * error is thrown with both sizes.
 */
public final class Tiler {

    /** A network on one tile: input [1, C, h, w] (row-major), output [1, K, h, w]. */
    @FunctionalInterface
    public interface TileModel {
        HostTensor run(float[] input, int channels, int height, int width);

        /**
         * Called when even the smallest tile ({@code tried}) ran out of device memory, or the device
         * stopped working ({@link DeviceUnavailableException}): a model that can move to the CPU does so
         * (and says so once) and returns true; by default it cannot.
         */
        default boolean fallBackToCpu(NeuralJException e, String tried) {
            return false;
        }

        /** The largest tile side not known to run out of memory (later planes start there). */
        default int tileLimit() {
            return Integer.MAX_VALUE;
        }

        /** Tiles of {@code side} pixels are the largest to try from now on. */
        default void limitTiles(int side) {
        }
    }

    /** Receives each tile's output; copy the valid region ({@link TilePlan.Tile}) out of {@code out}. */
    @FunctionalInterface
    public interface Sink {
        void accept(TilePlan.Tile tile, HostTensor out);
    }

    /**
     * @param tile          the largest tile side asked for (pixels)
     * @param halo          context on each side (pixels; rounded up to the stride)
     * @param stride        the network's stride (tile sides and origins are multiples of it)
     * @param borderPadding pad the image by the halo (mirror) instead of using the network's own border
     */
    public record Options(int tile, int halo, int stride, boolean borderPadding) {
    }

    private Tiler() {
    }

    /** A tile model backed by a session with one image input. */
    public static TileModel of(Session session, String inputName) {
        return (input, c, h, w) -> {
            Map<String, HostTensor> out = session.runOnHost(Map.of(inputName, new HostTensor(new int[] {1, c, h, w}, input)));
            return out.values().iterator().next();
        };
    }

    /**
     * Tiles {@code src} and runs {@code model} on every tile; returns the plan that completed (its tile
     * size is smaller than asked after an out-of-memory retry). {@code log} gets retries, {@code progress}
     * the fraction done of the current plan. Checks the thread's interrupt flag between tiles.
     */
    public static TilePlan run(PlaneSource src, NormalizationStats norm, TileModel model, Options o, Sink sink,
                               Consumer<String> log, java.util.function.DoubleConsumer progress) {
        int min = 2 * TilePlan.roundUp(o.halo(), o.stride()) + o.stride();
        int tile = Math.min(o.tile(), model.tileLimit());
        while (true) {
            TilePlan plan = TilePlan.of(src.width(), src.height(), tile, o.halo(), o.stride(), o.borderPadding());
            try {
                runPlan(src, norm, model, plan, sink, progress);
                return plan;
            } catch (DeviceOutOfMemoryException e) {
                int current = Math.max(plan.tileWidth(), plan.tileHeight());
                int next = Math.max(current / 2 / o.stride() * o.stride(), min);
                if (next < current) {
                    if (log != null) {
                        log.accept("out of device memory with " + plan.tileWidth() + "x" + plan.tileHeight() + " tiles ("
                                + e.getMessage() + "); retrying with " + next + "-pixel tiles");
                    }
                    model.limitTiles(next);
                    tile = next;
                } else if (model.fallBackToCpu(e, current + "-pixel tiles (the smallest for halo " + plan.halo() + ")")) {
                    tile = o.tile();
                } else {
                    throw new DeviceOutOfMemoryException("out of device memory even with " + current + "-pixel tiles (the smallest "
                            + "for halo " + plan.halo() + " is " + min + "): " + e.getMessage(), e);
                }
            } catch (DeviceUnavailableException e) {
                // a device that has gone does not come back with smaller tiles
                if (!model.fallBackToCpu(e, "the device failing")) {
                    throw e;
                }
                tile = o.tile();
            }
        }
    }

    private static void runPlan(PlaneSource src, NormalizationStats norm, TileModel model, TilePlan plan, Sink sink,
                                java.util.function.DoubleConsumer progress) {
        int c = src.channels();
        int tw = plan.tileWidth();
        int th = plan.tileHeight();
        float[] buffer = new float[c * tw * th];
        int w = src.width();
        int h = src.height();
        int[] xIndex = new int[tw];
        int done = 0;
        for (TilePlan.Tile t : plan.tiles()) {
            if (Thread.currentThread().isInterrupted()) {
                throw new NeuralJException("cancelled after " + done + " of " + plan.tiles().size() + " tiles");
            }
            for (int i = 0; i < tw; i++) {
                xIndex[i] = PadMode.REFLECT.sourceIndex(t.x() + i, w);
            }
            // buffer[ch][y][x] = normalised src(ch, reflected tile x, reflected tile y)
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < th; y++) {
                    int sy = PadMode.REFLECT.sourceIndex(t.y() + y, h);
                    int row = (ch * th + y) * tw;
                    for (int x = 0; x < tw; x++) {
                        buffer[row + x] = norm.apply(src.get(ch, xIndex[x], sy));
                    }
                }
            }
            HostTensor out = model.run(buffer, c, th, tw);
            int[] s = out.shape();
            if (s.length != 4 || s[2] != th || s[3] != tw) {
                throw new ShapeMismatchException("tiling needs an output of the input's size: a " + tw + "x" + th
                        + " tile gave " + java.util.Arrays.toString(s));
            }
            sink.accept(t, out);
            done++;
            if (progress != null) {
                progress.accept(done / (double) plan.tiles().size());
            }
        }
    }

    /**
     * A sink writing channel {@code channel} of each tile's valid region into {@code out} (the image's
     * size, row-major), through {@code map} (e.g. a sigmoid).
     */
    public static Sink into(float[] out, int width, int channel, java.util.function.DoubleUnaryOperator map) {
        return (t, o) -> {
            int th = o.shape()[2];
            int tw = o.shape()[3];
            float[] d = o.data();
            for (int y = 0; y < t.validHeight(); y++) {
                int src = (channel * th + t.validY() + y) * tw + t.validX();
                int dst = (t.outY() + y) * width + t.outX();
                for (int x = 0; x < t.validWidth(); x++) {
                    out[dst + x] = map == null ? d[src + x] : (float) map.applyAsDouble(d[src + x]);
                }
            }
        };
    }
}
