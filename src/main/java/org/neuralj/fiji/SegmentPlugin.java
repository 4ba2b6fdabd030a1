package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Segmenter;

/**
 * Plugins › NeuralJ › NeuralJ Segment...: segments the current image (any size: tiled with the model's
 * halo; stacks plane by plane) and shows the labels, mask or probability map, titled IMAGE-MODEL.
 * Recordable; from a macro:
 * {@code run("NeuralJ Segment...", "model=nuclei output=labels instances=auto tile=0 halo=0 threshold=0.5 backend=auto");}
 */
public class SegmentPlugin implements PlugIn {
    private static final String PREFS = "neuralj.segment.";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        if (imp == null) {
            return;
        }
        GenericDialog gd = new GenericDialog("NeuralJ Segment");
        gd.addStringField("Model (name or .onnx/.json file)", Prefs.get(PREFS + "model", "nuclei"), 30);
        gd.addChoice("Output", new String[] {"labels", "mask", "prob"}, Prefs.get(PREFS + "output", "labels"));
        gd.addChoice("Instances", new String[] {"auto", "components", "watershed", "seeds"}, Prefs.get(PREFS + "instances", "auto"));
        gd.addNumericField("Tile (0 = model's)", 0, 0);
        gd.addNumericField("Halo (0 = receptive field)", 0, 0);
        gd.addNumericField("Threshold", Prefs.get(PREFS + "threshold", 0.5), 2);
        gd.addStringField("Backend", Prefs.get(PREFS + "backend", "auto"));
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String model = gd.getNextString().trim();
        String output = gd.getNextChoice();
        String instances = gd.getNextChoice();
        int tile = (int) gd.getNextNumber();
        int halo = (int) gd.getNextNumber();
        double threshold = gd.getNextNumber();
        String backend = gd.getNextString().trim();
        if (!IJ.isMacro()) {
            Prefs.set(PREFS + "model", model);
            Prefs.set(PREFS + "output", output);
            Prefs.set(PREFS + "instances", instances);
            Prefs.set(PREFS + "threshold", threshold);
            Prefs.set(PREFS + "backend", backend);
        }
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(model, Segmenter.Output.valueOf(output.toUpperCase(Locale.ROOT)),
                Segmenter.InstanceMethod.valueOf(instances.toUpperCase(Locale.ROOT)), Math.max(0, tile), Math.max(0, halo), threshold,
                backend), IJ::log)) {
            long t0 = System.currentTimeMillis();
            ImagePlus result = seg.segment(imp, IJ::showProgress);
            IJ.showStatus("NeuralJ Segment: " + seg.card().name() + " on " + seg.backendName() + " in " + (System.currentTimeMillis() - t0)
                    + " ms");
            result.show();
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("NeuralJ Segment", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }
}
