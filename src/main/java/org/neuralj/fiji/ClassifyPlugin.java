package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.WindowManager;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Classifier;
import org.neuralj.image.RoiClassification;

/**
 * Plugins › NeuralJ › NeuralJ Classify...: classifies the current image, each slice of a stack, each ROI
 * (the ROI Manager's, else the overlay's, else the selection; each ROI's bounding box on its plane) or
 * each object of a label image, and adds a row per item to the "NeuralJ Classes" Results table:
 * image, slice, roi, class, p_&lt;class&gt;...; "overlay" outlines and fills each item in its class
 * colour with its class written beside it. Recordable; from a macro:
 * {@code run("NeuralJ Classify...", "model=blood-cells classify=roi labels=none overlay backend=auto");}
 * then {@code Table.getString("class", 0, "NeuralJ Classes")}.
 */
public class ClassifyPlugin implements PlugIn {
    private static final String PREFS = "neuralj.classify.";
    public static final String TABLE = "NeuralJ Classes";
    static final String NONE = "none";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        if (imp == null) {
            return;
        }
        boolean macro = IJ.isMacro();
        List<String> others = new ArrayList<>(List.of(NONE));
        for (int id : idsOrEmpty()) {
            ImagePlus other = WindowManager.getImage(id);
            if (other != null && other != imp) {
                others.add(other.getTitle());
            }
        }
        FilterForm form = new FilterForm("NeuralJ Classify");
        form.string("Model (name or .onnx/.json file)", macro ? "blood-cells" : Prefs.get(PREFS + "model", "blood-cells"));
        form.choice("Classify each", RoiClassification.Each.keys(), macro ? "image" : Prefs.get(PREFS + "classify", "image"));
        form.choice("Labels (label image, for each object)", others.toArray(new String[0]),
                others.contains(Prefs.get(PREFS + "labels", NONE)) && !macro ? Prefs.get(PREFS + "labels", NONE) : NONE);
        form.checkbox("Overlay (class colours)", !macro && Prefs.get(PREFS + "overlay", false));
        form.string("Backend", macro ? "auto" : Prefs.get(PREFS + "backend", "auto"));
        if (!form.show()) {
            return;
        }
        String model = form.nextString().trim();
        String each = form.nextString();
        String labels = form.nextString();
        boolean overlay = form.nextBoolean();
        String backend = form.nextString().trim();
        if (!macro) {
            Prefs.set(PREFS + "model", model);
            Prefs.set(PREFS + "classify", each);
            Prefs.set(PREFS + "labels", labels);
            Prefs.set(PREFS + "overlay", overlay);
            Prefs.set(PREFS + "backend", backend);
        }
        try (Classifier cl = Classifier.open(new Classifier.Request(model, backend))) {
            List<RoiClassification.Item> items = items(RoiClassification.Each.parse(each), imp, labelImage(labels));
            List<RoiClassification.Classified> results = RoiClassification.classify(cl, imp, items, IJ::showProgress);
            ResultsTable rt = table();
            RoiClassification.addTo(rt, imp, cl.card().classes(), results);
            rt.show(TABLE);
            if (overlay) {
                imp.setOverlay(RoiClassification.overlay(imp, results, true));
            }
            IJ.showStatus("NeuralJ Classify: " + results.size() + " item(s) with " + cl.card().name() + " on " + cl.backendName());
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("NeuralJ Classify", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }

    /** The items of a request: the Fiji side picks where ROIs and label images come from. */
    static List<RoiClassification.Item> items(RoiClassification.Each each, ImagePlus imp, ImagePlus labels) {
        return switch (each) {
            case IMAGE -> RoiClassification.image(imp);
            case SLICE -> RoiClassification.slices(imp);
            case ROI -> {
                ij.gui.Roi[] rois = Rois.of(imp, "NeuralJ Classify");
                if (rois.length == 0) {
                    throw new NeuralJException("classify each roi: " + imp.getTitle()
                            + " has no ROIs (none in the ROI Manager, no overlay, no selection)");
                }
                yield RoiClassification.rois(imp, rois);
            }
            case OBJECT -> {
                if (labels == null) {
                    throw new NeuralJException("classify each object: choose the label image (labels=TITLE)");
                }
                List<RoiClassification.Item> objects = RoiClassification.objects(labels, imp);
                if (objects.isEmpty()) {
                    throw new NeuralJException("classify each object: " + labels.getTitle() + " has no objects (all pixels 0)");
                }
                yield objects;
            }
        };
    }

    private static ImagePlus labelImage(String title) {
        if (title == null || title.equals(NONE)) {
            return null;
        }
        ImagePlus labels = WindowManager.getImage(title);
        if (labels == null) {
            throw new NeuralJException("no open image titled '" + title + "' (the label image)");
        }
        return labels;
    }

    private static int[] idsOrEmpty() {
        int[] ids = WindowManager.getIDList();
        return ids == null ? new int[0] : ids;
    }

    static ResultsTable table() {
        ResultsTable rt = ResultsTable.getResultsTable(TABLE);
        return rt != null ? rt : new ResultsTable();
    }
}
