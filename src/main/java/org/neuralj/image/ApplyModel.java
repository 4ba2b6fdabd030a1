package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;

/**
 * Runs a one-input image model ([1, 1, H, W] in, [1, C, H', W'] out) over every plane of an image:
 * the work behind the Fiji command "Apply ONNX Model" and {@code neuralj apply}.
 */
public final class ApplyModel {

    /** What the user asks for; the dialog, the macro options and the CLI all fill this one record. */
    public record Request(Path model, Normalization normalization, boolean sigmoid, String backend) {
        public Request {
            if (model == null) {
                throw new IllegalArgumentException("no model file given");
            }
            if (normalization == null) {
                normalization = Normalization.ZSCORE;
            }
            if (backend == null || backend.isBlank()) {
                backend = "auto";
            }
        }
    }

    /** The output image and what ran. */
    public record Result(ImagePlus image, String backendName, long millis) {
    }

    private ApplyModel() {
    }

    /**
     * Runs the model on each plane of {@code input} (stacks plane by plane); returns a 32-bit image
     * with the output channels of each plane, titled after the input, with its calibration.
     * {@code progress} receives the number of planes done. Loads the model and opens the backend for
     * this one image; for many images use {@link #open} once.
     */
    public static Result run(Request request, ImagePlus input, IntConsumer progress) {
        try (Applier applier = open(request)) {
            return applier.apply(input, progress);
        }
    }

    /**
     * Loads the model and opens the backend once, for a batch of images (the CLI batch, a macro loop
     * through a script): {@code try (Applier a = ApplyModel.open(req)) { for (...) a.apply(imp, null); }}.
     */
    public static Applier open(Request request) {
        ModelCard.verifyBeside(request.model()); // first: a damaged file is named as such, not as a parse error
        Model model = Model.load(request.model());
        if (model.inputs().size() != 1) {
            throw new NeuralJException(request.model().getFileName() + ": a model with one input is needed; this one has "
                    + model.inputs());
        }
        long[] dims = model.inputs().get(0).dims();
        if (dims != null && (dims.length != 4 || dims[1] > 1)) {
            throw new ShapeMismatchException(request.model().getFileName() + ": apply feeds each plane as one grey channel, "
                    + "[1, 1, H, W]; this model's input is " + model.inputs().get(0)
                    + (dims.length == 4 ? " (" + dims[1] + " channels): use segment or classify with a model card that says so" : ""));
        }
        return new Applier(request, ModelRunner.open(model, request.backend()));
    }

    /** A loaded model on an open backend; not thread-safe (one image at a time). */
    public static final class Applier implements AutoCloseable {
        private final Request request;
        private final ModelRunner runner;

        private Applier(Request request, ModelRunner runner) {
            this.request = request;
            this.runner = runner;
        }

        /** The backend's name, e.g. {@code cpu} or the OpenCL device ({@code cpu} after a fall-back). */
        public String backendName() {
            return runner.backendName();
        }

        /** See {@link ApplyModel#run}. */
        public Result apply(ImagePlus input, IntConsumer progress) {
            ImageStack in = input.getStack();
            ImageStack out = null;
            long t0 = System.nanoTime();
            for (int z = 1; z <= in.getSize(); z++) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new NeuralJException("cancelled after " + (z - 1) + " of " + in.getSize() + " planes");
                }
                ImageProcessor ip = in.getProcessor(z);
                PlaneSource.requireFinite(ip);
                HostTensor x = ImageTensors.fromProcessor(ip);
                x = new HostTensor(x.shape(), request.normalization().apply(x.data()));
                HostTensor y = runPlane(x);
                if (request.sigmoid()) {
                    float[] d = y.data();
                    for (int i = 0; i < d.length; i++) {
                        d[i] = (float) (1 / (1 + Math.exp(-d[i])));
                    }
                }
                ImageStack planes = ImageTensors.toImage(y, "", null).getStack();
                if (out == null) {
                    out = new ImageStack(planes.getWidth(), planes.getHeight());
                }
                String label = in.getSliceLabel(z);
                for (int c = 1; c <= planes.getSize(); c++) {
                    String name = (label != null && !label.isEmpty() ? label : "plane " + z)
                            + (planes.getSize() > 1 ? " channel " + (c - 1) : "");
                    out.addSlice(name, planes.getProcessor(c));
                }
                if (progress != null) {
                    progress.accept(z);
                }
            }
            String title = stripExtension(input.getTitle()) + "-" + stripExtension(request.model().getFileName().toString());
            ImagePlus result = new ImagePlus(title, out);
            result.setCalibration(input.getCalibration().copy());
            int channels = out.getSize() / in.getSize();
            if (channels > 1 && in.getSize() > 1) {
                result.setDimensions(channels, in.getSize(), 1);
            }
            result.resetDisplayRange();
            return new Result(result, runner.backendName(), (System.nanoTime() - t0) / 1_000_000);
        }

        /**
         * One normalised plane [1, 1, H, W] through the model. Out of device memory, a model whose output
         * has the input's size and whose receptive field is finite runs tile by tile (same result: the
         * halo covers the receptive field and tiles start at the image's origin); {@link Tiler} halves the
         * tiles and at last moves to the CPU. Any other model moves to the CPU at once.
         */
        private HostTensor runPlane(HostTensor x) {
            try {
                return runner.run(x);
            } catch (ShapeMismatchException e) {
                // e.g. a 1 x 1 plane through a pooling layer: say which plane size the model refused
                throw new ShapeMismatchException(runner.model().source() + " cannot run on a " + x.shape()[3] + "x" + x.shape()[2]
                        + " plane: " + e.getMessage(), e);
            } catch (DeviceUnavailableException e) {
                // the device has gone: the rest of the batch runs on the CPU
                if (!runner.fallBackToCpu(e, "the device failing")) {
                    throw e;
                }
                return runner.run(x);
            } catch (DeviceOutOfMemoryException e) {
                int h = x.shape()[2];
                int w = x.shape()[3];
                ReceptiveField rf = tileable(h, w);
                if (rf == null) {
                    if (!runner.fallBackToCpu(e, "the whole " + w + "x" + h + " plane (this model cannot be tiled)")) {
                        throw e;
                    }
                    return runner.run(x);
                }
                float[] plane = x.data();
                PlaneSource src = PlaneSource.of(new FloatProcessor(w, h, plane), 1);
                int side = Math.max(w, h);
                int tile = Math.max(side / 2 / rf.stride() * rf.stride(), 2 * rf.halo() + rf.stride());
                int k = outputChannels(h, w);
                float[] out = new float[k * h * w];
                Tiler.run(src, NormalizationStats.IDENTITY, runner, new Tiler.Options(tile, rf.halo(), rf.stride(), false), (t, o) -> {
                    for (int c = 0; c < k; c++) {
                        Tiler.into(out, w, c, null).accept(t, o);
                    }
                }, null, null);
                return new HostTensor(new int[] {1, k, h, w}, out);
            }
        }

        /** The receptive field if the model can be tiled on an H x W plane (output [1, K, H, W], free H and W), else null. */
        private ReceptiveField tileable(int h, int w) {
            Model model = runner.model();
            long[] dims = model.inputs().get(0).dims();
            if (dims != null && (dims[2] > 0 || dims[3] > 0)) {
                return null; // a fixed input size: the model takes this plane whole or not at all
            }
            try {
                int[] y = outputShape(h, w);
                if (y.length != 4 || y[2] != h || y[3] != w) {
                    return null;
                }
                return ReceptiveField.of(model, 1, 256);
            } catch (IllegalArgumentException | NeuralJException e) {
                return null; // mixes all pixels (global pooling, Gemm) or does not plan at other sizes
            }
        }

        private int outputChannels(int h, int w) {
            return outputShape(h, w)[1];
        }

        private int[] outputShape(int h, int w) {
            Model model = runner.model();
            return model.plan(Map.of(model.inputs().get(0).name(), new int[] {1, 1, h, w}))
                    .meta(model.outputNames().get(0)).shape();
        }

        @Override
        public void close() {
            runner.close();
        }
    }

    static String stripExtension(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
