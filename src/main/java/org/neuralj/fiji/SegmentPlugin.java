package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import java.util.List;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ObjectMeasurements;
import org.neuralj.image.ObjectScale;
import org.neuralj.image.Segmenter;

/**
 * Plugins › NeuralJ › NeuralJ Segment...: segments the current image (any size: tiled with the model's
 * halo; stacks plane by plane) and, as the user picks, shows the labels, mask or probability map
 * (titled IMAGE-MODEL), adds one ROI per object to the ROI Manager ("add", named by label) and appends
 * a row per object to the Results table ("display": label, area, centroid, mean; calibrated).
 * Recordable; from a macro:
 * {@code run("NeuralJ Segment...", "model=nuclei output=labels instances=auto tile=0 halo=0 threshold=0 backend=auto add display");}
 */
public class SegmentPlugin implements PlugIn {
    private static final String PREFS = "neuralj.segment.";
    static final String[] OUTPUTS = {"labels", "mask", "prob", "none"};

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        if (imp == null) {
            return;
        }
        boolean macro = IJ.isMacro(); // a macro gets fixed defaults, never the last interactive choice
        FilterForm form = new FilterForm("NeuralJ Segment");
        form.string("Model (name, .onnx/.json file or bioimage.io package)", macro ? "nuclei" : Prefs.get(PREFS + "model", "nuclei"));
        form.choice("Output", OUTPUTS, macro ? "labels" : Prefs.get(PREFS + "output", "labels"));
        form.choice("Instances", new String[] {"auto", "components", "watershed", "seeds"},
                macro ? "auto" : Prefs.get(PREFS + "instances", "auto"));
        form.number("Tile (0 = model's)", 0, "px");
        form.number("Halo (0 = receptive field)", 0, "px");
        form.number("Threshold (0 = model's)", macro ? 0 : Prefs.get(PREFS + "threshold", 0), "");
        form.choice("Augment (symmetries averaged per tile)", AUGMENT, macro ? AUGMENT[0] : Prefs.get(PREFS + "augment", AUGMENT[0]));
        form.string("Diameter of objects (model's, auto, off or px)", macro ? "model's" : Prefs.get(PREFS + "diameter", "model's"));
        form.string("Backend", macro ? "auto" : Prefs.get(PREFS + "backend", "auto"));
        form.checkbox("Add to ROI Manager (one ROI per object)", !macro && Prefs.get(PREFS + "add", false));
        form.checkbox("Display results (label, area, centroid, mean)", !macro && Prefs.get(PREFS + "display", false));
        if (!form.show()) {
            return;
        }
        String model = form.nextString().trim();
        String output = form.nextString();
        String instances = form.nextString();
        int tile = (int) form.nextNumber();
        int halo = (int) form.nextNumber();
        double threshold = form.nextNumber();
        String augment = form.nextString();
        String diameter = form.nextString().trim();
        String backend = form.nextString().trim();
        boolean add = form.nextBoolean();
        boolean display = form.nextBoolean();
        if (form.invalidNumber()) {
            IJ.error("NeuralJ Segment", "tile, halo and threshold must be numbers");
            return;
        }
        if (!macro) {
            Prefs.set(PREFS + "model", model);
            Prefs.set(PREFS + "output", output);
            Prefs.set(PREFS + "instances", instances);
            Prefs.set(PREFS + "threshold", threshold);
            Prefs.set(PREFS + "augment", augment);
            Prefs.set(PREFS + "diameter", diameter);
            Prefs.set(PREFS + "backend", backend);
            Prefs.set(PREFS + "add", add);
            Prefs.set(PREFS + "display", display);
        }
        boolean image = !output.equals("none");
        if (!image && !add && !display) {
            IJ.error("NeuralJ Segment", "Nothing to show: pick an output image, \"Add to ROI Manager\" or \"Display results\"");
            return;
        }
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(model, image ? parseOutput(output) : Segmenter.Output.LABELS,
                Segmenter.InstanceMethod.valueOf(instances.toUpperCase(Locale.ROOT)), Math.max(0, tile), Math.max(0, halo),
                threshold > 0 ? threshold : Double.NaN, backend, parseAugment(augment), ObjectScale.Rescale.parse(diameter)), IJ::log)) { // 0: the card's threshold
            long t0 = System.currentTimeMillis();
            Segmenter.Result result = seg.segment(imp, add || display, IJ::showProgress);
            IJ.showStatus("NeuralJ Segment: " + seg.card().name() + " on " + seg.backendName() + " in " + (System.currentTimeMillis() - t0)
                    + " ms");
            if (image) {
                result.image().show();
            }
            if (add || display) {
                List<ObjectMeasurements.Obj> objects = ObjectMeasurements.of(result.labels(), imp);
                if (add) {
                    List<Roi> rois = ObjectMeasurements.rois(result.labels(), objects);
                    IJ.log("NeuralJ Segment: " + rois.size() + " ROI(s) added to " + Rois.add(rois, image ? result.image() : imp));
                }
                if (display) {
                    ResultsTable rt = ResultsTable.getResultsTable(); // the system "Results" table, as Measure and Analyze Particles use
                    ObjectMeasurements.addTo(rt, imp, objects);
                    rt.show("Results");
                }
            }
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("NeuralJ Segment", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }

    /** Test-time augmentation choices: the model card's setting, off, or 2, 4, 8 symmetries (flips, then 90-degree turns). */
    static final String[] AUGMENT = {"model's", "off", "2", "4", "8"};

    /** A choice of {@link #AUGMENT} as {@link Segmenter.Request#augment()}: 0 = the card's, 1 = off. */
    static int parseAugment(String s) {
        return switch (s.trim()) {
            case "model's", "" -> 0;
            case "off", "1" -> 1;
            case "2", "4", "8" -> Integer.parseInt(s.trim());
            default -> throw new IllegalArgumentException("augment '" + s + "': model's, off, 2, 4 or 8");
        };
    }

    static Segmenter.Output parseOutput(String s) {
        try {
            return Segmenter.Output.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("output '" + s + "': use labels, mask or prob");
        }
    }
}
