package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Inspect;
import org.neuralj.image.ModelLocator;
import org.neuralj.image.Normalization;
import org.neuralj.image.RoiClassification;
import org.neuralj.viz.ModelSummary;

/**
 * Plugins › NeuralJ › Inspect › ...: the argument picks the tool ({@code summary}, {@code graph},
 * {@code features}, {@code kernels}, {@code explain}, {@code dream}). The model is a file or a model name. Explain
 * Prediction with "Each ROI" explains the crop of every ROI (ROI Manager, else overlay, else
 * selection) as Classify sees it and lays each heat map back on its ROI in a copy of the image, with a
 * row per ROI in the "NeuralJ Explanations" table. Every dialog is a GenericDialog, so the macro
 * recorder records it, e.g.
 * {@code run("Explain Prediction...", "model=blood-cells method=gradcam class=-1 layer=[] occlusion=8 each_roi normalization=zscore backend=auto");}
 */
public class InspectPlugin implements PlugIn {
    private static final String PREFS = "neuralj.inspect.";

    @Override
    public void run(String arg) {
        String tool = arg == null || arg.isEmpty() ? "explain" : arg;
        String name = switch (tool) {
            case "summary" -> "Model Summary";
            case "graph" -> "Model Graph";
            case "features" -> "Feature Maps";
            case "kernels" -> "Learned Kernels";
            case "dream" -> "Activation Maximisation";
            default -> "Explain Prediction";
        };
        boolean about = tool.equals("summary") || tool.equals("graph"); // about the model, not an image
        boolean needsImage = !about && !tool.equals("kernels");
        ImagePlus imp = needsImage ? IJ.getImage() : ij.WindowManager.getCurrentImage();
        if (needsImage && imp == null) {
            return;
        }
        GenericDialog gd = new GenericDialog(name);
        gd.addFileField("Model", Prefs.get(PREFS + "model", ""));
        String[] methods = Inspect.Method.keys().stream()
                .filter(m -> !m.equals("features") && !m.equals("kernels") && !m.equals("dream")).toArray(String[]::new);
        if (tool.equals("explain")) {
            gd.addChoice("Method", methods, Prefs.get(PREFS + "method", "gradcam"));
            gd.addNumericField("Class (-1 = predicted)", -1, 0);
        }
        if (tool.equals("dream")) {
            gd.addNumericField("Channel (-1 = whole layer)", 0, 0);
            gd.addNumericField("Steps per octave", 20, 0);
            gd.addNumericField("Octaves", 3, 0);
        }
        if (!about) {
            gd.addStringField("Layer (ONNX value or node name, empty = default)", "", 24);
        }
        if (tool.equals("features")) {
            gd.addCheckbox("Montage", false);
        }
        if (tool.equals("explain")) {
            gd.addNumericField("Occlusion patch (pixels)", 8, 0);
            gd.addCheckbox("Raw map (32-bit, no overlay)", false);
            gd.addCheckbox("Each_ROI (ROI Manager, overlay or selection)", false);
        }
        if (!about && !tool.equals("kernels")) {
            gd.addChoice("Normalization", Normalization.ids(), Prefs.get(PREFS + "normalization", Normalization.ZSCORE.id()));
            List<String> b = new java.util.ArrayList<>(List.of("auto"));
            b.addAll(Backends.available());
            gd.addChoice("Backend", b.toArray(new String[0]), Prefs.get(PREFS + "backend", "auto"));
        }
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String model = gd.getNextString().trim();
        try {
            Path onnx = Files.isRegularFile(Path.of(model)) && model.endsWith(".onnx") ? Path.of(model)
                    : ModelLocator.locate(model, null).onnx();  // a model name or a card file
            if (tool.equals("summary")) {
                summary(onnx, imp);
                return;
            }
            if (tool.equals("graph")) {
                Inspect.graph(onnx, imp == null ? 256 : imp.getHeight(), imp == null ? 256 : imp.getWidth()).show();
                return;
            }
            Inspect.Method method = switch (tool) {
                case "features" -> Inspect.Method.FEATURES;
                case "kernels" -> Inspect.Method.KERNELS;
                case "dream" -> Inspect.Method.DREAM;
                default -> Inspect.Method.parse(gd.getNextChoice());
            };
            int cls = -1, steps = 20, octaves = 3, patch = 8;
            if (tool.equals("explain")) {
                cls = (int) gd.getNextNumber();
            }
            if (tool.equals("dream")) {
                cls = (int) gd.getNextNumber();
                steps = (int) gd.getNextNumber();
                octaves = (int) gd.getNextNumber();
            }
            String layer = gd.getNextString().trim();
            boolean montage = tool.equals("features") && gd.getNextBoolean();
            boolean raw = false, eachRoi = false;
            if (tool.equals("explain")) {
                patch = (int) gd.getNextNumber();
                raw = gd.getNextBoolean();
                eachRoi = gd.getNextBoolean();
            }
            String norm = "zscore", backend = "auto";
            if (!tool.equals("kernels")) {
                norm = gd.getNextChoice();
                backend = gd.getNextChoice();
            }
            if (!IJ.isMacro()) {
                Prefs.set(PREFS + "model", model);
                Prefs.set(PREFS + "normalization", norm);
                Prefs.set(PREFS + "backend", backend);
                if (tool.equals("explain")) {
                    Prefs.set(PREFS + "method", method.key());
                }
            }
            if (method == Inspect.Method.SMOOTHGRAD) {
                steps = org.neuralj.viz.Explain.SMOOTHGRAD_SAMPLES;
            }
            Inspect.Request request = new Inspect.Request(onnx, method, cls, layer.isEmpty() ? null : layer,
                    Normalization.parse(norm), backend, montage, raw, patch, steps, octaves);
            IJ.showStatus("NeuralJ: " + name + "...");
            if (eachRoi) {
                eachRoi(request, imp, name);
                return;
            }
            Inspect.Result result = Inspect.run(request, imp != null ? imp : new ImagePlus("none", new ij.process.FloatProcessor(8, 8)));
            IJ.showStatus("NeuralJ: " + result.description());
            IJ.log(name + ": " + result.description());
            result.image().show();
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error(name, e.getMessage());
        }
    }

    /** Explains the crop of each ROI of {@code imp}; shows the copy with the maps on the ROIs and the table. */
    private static void eachRoi(Inspect.Request request, ImagePlus imp, String name) {
        ij.gui.Roi[] rois = Rois.of(imp, name);
        if (rois.length == 0) {
            throw new NeuralJException("Each ROI: " + imp.getTitle() + " has no ROIs (none in the ROI Manager, no overlay, no selection)");
        }
        List<Inspect.RoiHeat> heats = Inspect.perRoi(request, imp, RoiClassification.rois(imp, rois), IJ::showProgress);
        String stem = request.model().getFileName().toString().replaceFirst("\\.onnx$", "");
        Inspect.perRoiImage(imp, heats, imp.getShortTitle() + "-" + stem + "-" + request.method().key() + "-rois", 0.5).show();
        ResultsTable rt = ResultsTable.getResultsTable(EXPLANATIONS);
        rt = rt != null ? rt : new ResultsTable();
        Inspect.addTo(rt, imp, heats);
        rt.show(EXPLANATIONS);
        IJ.log(name + ": " + heats.size() + " ROI(s); " + (heats.isEmpty() ? "" : heats.get(0).what()));
    }

    /** The table of per-ROI explanations. */
    public static final String EXPLANATIONS = "NeuralJ Explanations";

    private static void summary(Path model, ImagePlus imp) {
        // free input sizes are taken from the current image (256 x 256 without one)
        List<ModelSummary.Row> rows = Inspect.summary(model, imp == null ? 256 : imp.getHeight(), imp == null ? 256 : imp.getWidth());
        ResultsTable rt = new ResultsTable();
        for (ModelSummary.Row r : rows) {
            rt.incrementCounter();
            rt.addValue("Value", r.value());
            rt.addValue("Op", r.op());
            rt.addValue("Output", r.shapeText());
            rt.addValue("Parameters", r.parameters());
            rt.addValue("FLOPs", r.flops());
            rt.addValue("Receptive field", r.receptiveField() < 0 ? "global" : Integer.toString(r.receptiveField()));
            rt.addValue("Jump", r.jump());
        }
        rt.show("Summary of " + model.getFileName());
    }
}
