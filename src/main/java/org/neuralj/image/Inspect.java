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
import org.neuralj.viz.ModelSummary;
import org.neuralj.viz.Montage;
import org.neuralj.viz.Occlusion;
import org.neuralj.viz.OnnxTapeNet;

/**
 * Plugins › NeuralJ › Inspect and {@code neuralj explain}: one request, one image out, for an ONNX
 * model on one image plane (the current slice; RGB split into 3 channels when the model takes 3).
 * Feature maps, kernels and occlusion run any model (the engine's {@link Session}); the gradient
 * methods read the model back as tape ops ({@link OnnxTapeNet}: plain CNN classifiers).
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
            switch (r.method()) {
                case FEATURES: {
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
                case OCCLUSION: {
                    try (Session s = new Session(model, b)) {
                        Occlusion.Scorer scorer = Occlusion.scorer(s);
                        int cls = r.classIndex() >= 0 ? r.classIndex() : argmax(scorer.scores(xt));
                        long[] dims = model.inputs().get(0).dims();
                        int batch = dims != null && dims.length > 0 && dims[0] > 0 ? (int) dims[0] : 16; // a fixed batch size is kept
                        Occlusion.Settings o = Occlusion.Settings.of(r.patch());
                        Heatmap h = Occlusion.map(scorer, b, x, shape, cls,
                                new Occlusion.Settings(o.patch(), o.stride(), o.fill(), o.probability(), batch));
                        return heat(r, imp, h, title, "occlusion sensitivity of class " + cls + " (patch " + r.patch() + ")");
                    }
                }
                default:
                    break;
            }
            try (OnnxTapeNet net = new OnnxTapeNet(model, b)) {
                if (r.method() == Method.DREAM) {
                    Dream.Result d = Dream.maximise(net, r.layer() == null || r.layer().isEmpty() ? null : r.layer(),
                            r.classIndex(), x, shape, new Dream.Settings(r.steps(), 0.05f, 2, r.octaves(), 1.4f, 0f, 1));
                    float[] plane = new float[shape[2] * shape[3]];
                    System.arraycopy(d.image(), 0, plane, 0, plane.length);
                    ImagePlus out = VizImages.map(new Heatmap(shape[3], shape[2], plane), title);
                    return new Result(out, String.format(Locale.ROOT, "activation maximisation of %s channel %d: %.4g -> %.4g",
                            r.layer() == null ? "the output" : r.layer(), r.classIndex(), d.before(), d.after()));
                }
                int cls = r.classIndex() >= 0 ? r.classIndex() : Explain.predictedClass(net, xt);
                String layer = r.layer() == null || r.layer().isEmpty() ? null : r.layer();
                return switch (r.method()) {
                    case SALIENCY -> heat(r, imp, Explain.saliency(net, xt, cls), title, "saliency of class " + cls);
                    case SMOOTHGRAD -> heat(r, imp, Explain.smoothGrad(net, xt, cls, r.steps(), 0.15f, 1), title,
                            "SmoothGrad (" + r.steps() + " samples) of class " + cls);
                    case GUIDED -> heat(r, imp, Explain.guidedBackprop(net, xt, cls).magnitude(), title, "guided backprop of class " + cls);
                    case GRADCAM -> {
                        Explain.GradCam g = Explain.gradCam(net, xt, cls, layer);
                        yield heat(r, imp, g.atInput(), title, "Grad-CAM of class " + cls + " at " + g.layer());
                    }
                    case GUIDED_GRADCAM -> heat(r, imp, Explain.guidedGradCam(net, xt, cls, layer), title, "guided Grad-CAM of class " + cls);
                    default -> throw new IllegalStateException(r.method().toString());
                };
            }
        }
    }

    /** The model summary of {@code model} for an input of the given height and width (or its declared shape). */
    public static List<ModelSummary.Row> summary(Path file, int height, int width) {
        Model model = Model.load(file);
        Map<String, int[]> shapes = model.declaredInputShapes();
        if (shapes == null) {
            Model.Input in = model.inputs().get(0);
            shapes = Map.of(in.name(), new int[] {1, inputChannels(model), height, width});
        }
        return ModelSummary.of(model, shapes);
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
