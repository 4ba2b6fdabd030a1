package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

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
        Model model = Model.load(request.model());
        if (model.inputs().size() != 1) {
            throw new NeuralJException(request.model().getFileName() + ": a model with one input is needed; this one has "
                    + model.inputs());
        }
        Backend backend = Backends.select(request.backend());
        try {
            return new Applier(request, model, backend, new Session(model, backend));
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** A loaded model on an open backend; not thread-safe (one image at a time). */
    public static final class Applier implements AutoCloseable {
        private final Request request;
        private final String inputName;
        private final Backend backend;
        private final Session session;

        private Applier(Request request, Model model, Backend backend, Session session) {
            this.request = request;
            this.inputName = model.inputs().get(0).name();
            this.backend = backend;
            this.session = session;
        }

        /** The backend's name, e.g. {@code cpu} or the OpenCL device. */
        public String backendName() {
            return backend.name();
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
                HostTensor x = ImageTensors.fromProcessor(in.getProcessor(z));
                x = new HostTensor(x.shape(), request.normalization().apply(x.data()));
                HostTensor y = session.runOnHost(Map.of(inputName, x)).values().iterator().next();
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
            return new Result(result, backend.name(), (System.nanoTime() - t0) / 1_000_000);
        }

        @Override
        public void close() {
            try {
                session.close();
            } finally {
                backend.close();
            }
        }
    }

    static String stripExtension(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
