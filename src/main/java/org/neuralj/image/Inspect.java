package org.neuralj.image;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.viz.Dream;
import org.neuralj.viz.Explain;
import org.neuralj.viz.FeatureMaps;
import org.neuralj.viz.Heatmap;
import org.neuralj.viz.Kernels;
import org.neuralj.viz.ModelGraph;
import org.neuralj.viz.ModelSummary;
import org.neuralj.viz.Montage;
import org.neuralj.viz.Occlusion;
import org.neuralj.viz.OnnxTapeNet;

/**
 * Plugins › NeuralJ › Inspect and {@code neuralj explain}: one request, one image out, for an ONNX
 * model on one image plane (the current slice; RGB split into 3 channels when the model takes 3).
 * Feature maps, kernels and occlusion run any model (the engine's {@link Session}); the gradient
 * methods read the model back as tape ops ({@link OnnxTapeNet}: CNN classifiers and U-Nets). A dense
 * (segmentation) model is explained over the image's area selection, if it has one.
 */
public final class Inspect {
    private Inspect() {
    }

    public enum Method {
        FEATURES, KERNELS, SALIENCY, SMOOTHGRAD, GUIDED, GRADCAM, GUIDED_GRADCAM, OCCLUSION, DREAM;

        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Method parse(String s) {
            for (Method m : values()) {
                if (m.key().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown method '" + s + "': use one of " + keys());
        }

        public static List<String> keys() {
            return java.util.Arrays.stream(values()).map(Method::key).toList();
        }
    }

    /**
     * @param classIndex the class explained (-1: the predicted one); for DREAM the channel (-1: the whole layer)
     * @param layer an ONNX value name (features, Grad-CAM, dream; null: the default) or a Conv node name (kernels)
     * @param montage features as one montage image instead of a stack
     * @param raw heat maps as 32-bit maps instead of the coloured overlay
     * @param patch occlusion patch size in pixels
     * @param steps SmoothGrad samples or dream steps per octave
     * @param octaves dream octaves
     */
    public record Request(Path model, Method method, int classIndex, String layer, Normalization normalization,
                          String backend, boolean montage, boolean raw, int patch, int steps, int octaves) {
        public static Request of(Path model, Method method) {
            return new Request(model, method, -1, null, Normalization.ZSCORE, "auto", false, false, 8, 20, 3);
        }
    }

    /** The result picture and a one-line description (class, score, layer). */
    public record Result(ImagePlus image, String description) {
    }

    /** Runs the request on the current plane of {@code imp}. */
    public static Result run(Request r, ImagePlus imp) {
        Model model = Model.load(r.model());
        String stem = stem(r.model());
        String title = imp.getShortTitle() + "-" + stem + "-" + r.method().key();
        if (r.method() == Method.KERNELS) {
            List<Kernels.ConvWeights> all = Kernels.of(model);
            if (all.isEmpty()) {
                throw new IllegalArgumentException(r.model() + " has no convolution with constant weights");
            }
            Kernels.ConvWeights cw = all.get(0);
            if (r.layer() != null && !r.layer().isEmpty()) {
                cw = all.stream().filter(k -> k.layer().equals(r.layer()) || k.weight().equals(r.layer())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("no convolution '" + r.layer() + "'; convolutions: "
                                + all.stream().map(Kernels.ConvWeights::layer).toList()));
            }
            int zoom = Math.max(1, 24 / Math.max(cw.shape()[2], cw.shape()[3]));
            return new Result(VizImages.montage(Kernels.montage(cw, zoom, 16), title),
                    "kernels of " + cw.layer() + " " + java.util.Arrays.toString(cw.shape()));
        }
        int channels = inputChannels(model);
        float[] x = input(imp.getProcessor(), channels, r.normalization());
        int[] shape = {1, channels, imp.getHeight(), imp.getWidth()};
        try (Backend b = Backends.select(r.backend()); Tensor xt = b.upload(x, shape)) {
            if (r.method() == Method.FEATURES) {
                String value = r.layer();
                if (value == null || value.isEmpty()) {
                    List<ModelSummary.Row> rows = ModelSummary.of(model, Map.of(model.inputs().get(0).name(), shape));
                    value = rows.get(0).value();
                }
                FeatureMaps fm;
                try (Session s = new Session(model, b)) {
                    fm = FeatureMaps.of(s, xt, value);
                }
                ImagePlus out = r.montage() ? VizImages.montage(Montage.of(fm, 1), title) : VizImages.stack(fm, title, imp);
                return new Result(out, fm.channels() + " feature maps of " + value + " (" + fm.width() + "x" + fm.height() + ")");
            }
            if (r.method() == Method.DREAM) {
                try (OnnxTapeNet net = new OnnxTapeNet(model, b)) {
                    Dream.Result d = Dream.maximise(net, r.layer() == null || r.layer().isEmpty() ? null : r.layer(),
                            r.classIndex(), x, shape, new Dream.Settings(r.steps(), 0.05f, 2, r.octaves(), 1.4f, 0f, 1));
                    float[] plane = new float[shape[2] * shape[3]];
                    System.arraycopy(d.image(), 0, plane, 0, plane.length);
                    ImagePlus out = VizImages.map(new Heatmap(shape[3], shape[2], plane), title);
                    return new Result(out, String.format(Locale.ROOT, "activation maximisation of %s channel %d: %.4g -> %.4g",
                            r.layer() == null ? "the output" : r.layer(), r.classIndex(), d.before(), d.after()));
                }
            }
            try (Explainer e = new Explainer(r, model, b)) {
                Explain.Region region = r.method() == Method.OCCLUSION ? null : region(imp, e.net(), xt);
                Heat h = e.heat(x, shape, xt, r.classIndex(), region);
                return heat(r, imp, h.map(), title, h.what());
            }
        }
    }

    /** A heat map, the class it explains and a line saying what it is. */
    record Heat(Heatmap map, int classIndex, String what) {
    }

    /**
     * The heat-map methods for one model on one backend, for any number of inputs: the engine's
     * {@link Session} (occlusion, class scores) and the tape view of the model (gradient methods) are
     * made on first use and kept.
     */
    private static final class Explainer implements AutoCloseable {
        private final Request r;
        private final Model model;
        private final Backend b;
        private Session session;
        private OnnxTapeNet net;

        Explainer(Request r, Model model, Backend b) {
            this.r = r;
            this.model = model;
            this.b = b;
        }

        private Session session() {
            if (session == null) {
                session = new Session(model, b);
            }
            return session;
        }

        private OnnxTapeNet net() {
            if (net == null) {
                net = new OnnxTapeNet(model, b);
            }
            return net;
        }

        /** The model's class scores (its first output) for {@code xt}. */
        float[] scores(Tensor xt) {
            return Occlusion.scorer(session()).scores(xt);
        }

        /**
         * The request's heat map of class {@code cls} (-1: the predicted one) for the input {@code x} of
         * {@code shape}; a gradient map of a dense model explains the output over {@code region} (null: all).
         */
        Heat heat(float[] x, int[] shape, Tensor xt, int cls, Explain.Region region) {
            if (r.method() == Method.OCCLUSION) {
                Occlusion.Scorer scorer = Occlusion.scorer(session());
                int c = cls >= 0 ? cls : argmax(scorer.scores(xt));
                long[] dims = model.inputs().get(0).dims();
                int batch = dims != null && dims.length > 0 && dims[0] > 0 ? (int) dims[0] : 16; // a fixed batch size is kept
                Occlusion.Settings o = Occlusion.Settings.of(r.patch());
                Heatmap h = Occlusion.map(scorer, b, x, shape, c, new Occlusion.Settings(o.patch(), o.stride(), o.fill(), o.probability(), batch));
                return new Heat(h, c, "occlusion sensitivity of class " + c + " (patch " + r.patch() + ")");
            }
            int c = cls >= 0 ? cls : Explain.predictedClass(net(), xt, region);
            Explain.Score score = Explain.Score.of(c).in(region);
            String of = "class " + c + (region == null ? "" : String.format(Locale.ROOT, " over %d,%d %dx%d", region.x(), region.y(),
                    region.width(), region.height()));
            String layer = r.layer() == null || r.layer().isEmpty() ? null : r.layer();
            return switch (r.method()) {
                case SALIENCY -> new Heat(Explain.saliency(net(), xt, score), c, "saliency of " + of);
                case SMOOTHGRAD -> new Heat(Explain.smoothGrad(net(), xt, score, r.steps(), Explain.SMOOTHGRAD_NOISE, 1), c,
                        "SmoothGrad (" + r.steps() + " samples) of " + of);
                case GUIDED -> new Heat(Explain.guidedBackprop(net(), xt, score).magnitude(), c, "guided backprop of " + of);
                case GRADCAM -> {
                    Explain.GradCam g = Explain.gradCam(net(), xt, score, layer);
                    yield new Heat(g.atInput(), c, "Grad-CAM of " + of + " at " + g.layer());
                }
                case GUIDED_GRADCAM -> new Heat(Explain.guidedGradCam(net(), xt, score, layer), c, "guided Grad-CAM of " + of);
                default -> throw new IllegalArgumentException(r.method().key() + " is not a heat map (saliency, smoothgrad, guided, "
                        + "gradcam, guided-gradcam or occlusion)");
            };
        }

        @Override
        public void close() {
            try {
                if (net != null) {
                    net.close();
                }
            } finally {
                if (session != null) {
                    session.close();
                }
            }
        }
    }

    /**
     * One ROI's explanation: the item, what the model predicts for its crop, the class explained, and
     * the heat map over the crop (the item's bounding box clipped to the image, at {@code bounds}).
     */
    public record RoiHeat(RoiClassification.Item item, Classifier.Prediction prediction, int explained, java.awt.Rectangle bounds,
                          Heatmap map, String what) {
    }

    /**
     * A heat map (any of the heat-map methods) for each item's crop, as the classifier sees it: with a
     * classification card beside the model ({@code MODEL.json}), the crop resized to the card's input
     * size and normalised as the card says, exactly as Classify does; otherwise the crop at its own size
     * with the request's normalisation. The map is resized back onto the crop. The class explained is
     * the request's, else each crop's predicted class.
     */
    public static List<RoiHeat> perRoi(Request r, ImagePlus imp, List<RoiClassification.Item> items, java.util.function.DoubleConsumer progress) {
        if (r.method() == Method.FEATURES || r.method() == Method.KERNELS || r.method() == Method.DREAM) {
            throw new IllegalArgumentException("per-ROI explanations are heat maps (saliency, smoothgrad, guided, gradcam, guided-gradcam, "
                    + "occlusion), not " + r.method().key());
        }
        Model model = Model.load(r.model());
        ModelCard card = classificationCard(r.model());
        int channels = inputChannels(model);
        List<RoiHeat> out = new java.util.ArrayList<>();
        try (Backend b = Backends.select(r.backend()); Explainer e = new Explainer(r, model, b)) {
            for (int i = 0; i < items.size(); i++) {
                RoiClassification.Item item = items.get(i);
                ImageProcessor crop = RoiClassification.crop(imp, item);
                float[] x;
                int[] shape;
                if (card != null) {
                    x = Classifier.input(crop, card);
                    shape = new int[] {1, card.channels(), card.inputSize(), card.inputSize()};
                } else {
                    x = input(crop, channels, r.normalization());
                    shape = new int[] {1, channels, crop.getHeight(), crop.getWidth()};
                }
                try (Tensor xt = b.upload(x, shape)) {
                    float[] z = e.scores(xt);
                    float[] p = card != null && "probability".equals(card.output()) ? z.clone() : Classifier.softmax(z);
                    int best = argmax(p);
                    String label = card != null && best < card.classes().size() ? card.classes().get(best) : "class " + best;
                    Heat h = e.heat(x, shape, xt, r.classIndex() >= 0 ? r.classIndex() : best, null);
                    out.add(new RoiHeat(item, new Classifier.Prediction(best, label, p), h.classIndex(), RoiClassification.bounds(imp, item),
                            h.map().resized(crop.getWidth(), crop.getHeight()), h.what()));
                }
                if (progress != null) {
                    progress.accept((i + 1) / (double) items.size());
                }
            }
        }
        return out;
    }

    /** The classification card beside {@code onnx} (null when there is none or it is not a classifier's). */
    static ModelCard classificationCard(Path onnx) {
        Path file = ModelCard.cardFileOf(onnx);
        if (!java.nio.file.Files.isRegularFile(file)) {
            return null;
        }
        ModelCard card = ModelCard.read(file);
        return card.task() == ModelCard.Task.CLASSIFICATION && card.inputSize() > 0 ? card : null;
    }

    /**
     * A copy of {@code imp} with each ROI's heat map laid on it (jet colours scaled to that ROI's own
     * range, {@code opacity}, only inside the ROI's shape), and each ROI outlined in its predicted class's
     * colour with the class and probability written at its corner.
     */
    public static ImagePlus perRoiImage(ImagePlus imp, List<RoiHeat> heats, String title, double opacity) {
        ImagePlus out = new ImagePlus(title, imp.getStack().duplicate());
        out.setCalibration(imp.getCalibration().copy());
        if (imp.getStackSize() > 1) {
            out.setDimensions(imp.getNChannels(), imp.getNSlices(), imp.getNFrames());
        }
        List<RoiClassification.Classified> classified = new java.util.ArrayList<>();
        ij.gui.Overlay overlay = new ij.gui.Overlay();
        for (RoiHeat h : heats) {
            java.awt.Rectangle at = h.bounds();
            ColorProcessor colours = VizImages.jetImage(h.map().normalized());
            ij.gui.Roi shape = h.item().roi();
            for (int y = 0; y < at.height; y++) {
                for (int x = 0; x < at.width; x++) {
                    if (shape != null && !shape.contains(at.x + x, at.y + y)) {
                        colours.set(x, y, 0); // outside the ROI's shape: transparent
                    }
                }
            }
            ij.gui.ImageRoi heat = new ij.gui.ImageRoi(at.x, at.y, colours);
            heat.setZeroTransparent(true);
            heat.setOpacity(opacity);
            heat.setName(h.item().name());
            heat.setProperty(RoiClassification.MARK, "heat");
            if (imp.getStackSize() > 1) {
                ObjectMeasurements.place(heat, imp, h.item().slice());
            }
            overlay.add(heat);
            classified.add(new RoiClassification.Classified(h.item(), h.prediction()));
        }
        for (ij.gui.Roi mark : RoiClassification.overlay(out, classified, false).toArray()) {
            overlay.add(mark);
        }
        out.setOverlay(overlay);
        return out;
    }

    /**
     * Appends a row per ROI: {@code image}, {@code roi}, {@code slice}, {@code class} (predicted) and its
     * probability, {@code explained} (the class of the map) and the map's peak in image pixels.
     */
    public static void addTo(ij.measure.ResultsTable rt, ImagePlus imp, List<RoiHeat> heats) {
        for (RoiHeat h : heats) {
            int peak = h.map().argmax();
            rt.incrementCounter();
            rt.addValue("image", imp.getTitle());
            rt.addValue("roi", h.item().name());
            rt.addValue("slice", h.item().slice());
            rt.addValue("class", h.prediction().label());
            rt.addValue("p", h.prediction().probabilities()[h.prediction().index()]);
            rt.addValue("explained", h.explained());
            rt.addValue("peak_x", h.bounds().x + peak % h.map().width());
            rt.addValue("peak_y", h.bounds().y + peak / h.map().width());
        }
    }

    /** The model summary of {@code model} for an input of the given height and width (or its declared shape). */
    public static List<ModelSummary.Row> summary(Path file, int height, int width) {
        Model model = Model.load(file);
        return ModelSummary.of(model, summaryShapes(model, height, width));
    }

    /** The picture of the model's layer graph ({@link ModelGraph}), for the same input shapes as {@link #summary}. */
    public static ImagePlus graph(Path file, int height, int width) {
        Model model = Model.load(file);
        return new ImagePlus("Graph of " + file.getFileName(), ModelGraph.render(ModelGraph.layout(model, summaryShapes(model, height, width))));
    }

    private static Map<String, int[]> summaryShapes(Model model, int height, int width) {
        Map<String, int[]> shapes = model.declaredInputShapes();
        if (shapes == null) {
            Model.Input in = model.inputs().get(0);
            shapes = Map.of(in.name(), new int[] {1, inputChannels(model), height, width});
        }
        return shapes;
    }

    /**
     * The region a dense (segmentation) model is explained over: the bounds of the image's area
     * selection, clipped to the image; null (the whole output) without one, or for a classifier.
     */
    private static Explain.Region region(ImagePlus imp, OnnxTapeNet net, Tensor x) {
        ij.gui.Roi roi = imp.getRoi();
        if (roi == null || !roi.isArea() || Explain.outputShape(net, x).length != 4) {
            return null;
        }
        java.awt.Rectangle b = roi.getBounds().intersection(new java.awt.Rectangle(0, 0, imp.getWidth(), imp.getHeight()));
        return b.isEmpty() ? null : new Explain.Region(b.x, b.y, b.width, b.height);
    }

    private static Result heat(Request r, ImagePlus imp, Heatmap h, String title, String what) {
        ImagePlus out = r.raw() ? VizImages.map(h, title) : VizImages.overlay(imp.getProcessor(), h, title, 0.6);
        if (imp.getCalibration() != null && r.raw()) {
            out.setCalibration(imp.getCalibration().copy());
        }
        return new Result(out, what);
    }

    static int inputChannels(Model model) {
        long[] dims = model.inputs().get(0).dims();
        return dims != null && dims.length == 4 && dims[1] > 0 ? (int) dims[1] : 1;
    }

    /** The plane as [C, H, W]: grey (RGB as luminance) for 1 channel, R, G, B for 3; normalised per image. */
    static float[] input(ImageProcessor ip, int channels, Normalization norm) {
        int n = ip.getWidth() * ip.getHeight();
        if (channels == 1) {
            return norm.apply(ImageTensors.fromProcessor(ip).data());
        }
        if (channels != 3) {
            throw new IllegalArgumentException("the model takes " + channels + " input channels; images give 1 or 3");
        }
        ColorProcessor cp = ip instanceof ColorProcessor c ? c : (ColorProcessor) ip.convertToRGB();
        float[] x = new float[3 * n];
        for (int i = 0; i < n; i++) {
            int c = cp.get(i);
            x[i] = (c >> 16) & 255;
            x[n + i] = (c >> 8) & 255;
            x[2 * n + i] = c & 255;
        }
        return norm.apply(x);
    }

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
