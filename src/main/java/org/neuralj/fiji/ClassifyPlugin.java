package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Classifier;

/**
 * Plugins › NeuralJ › NeuralJ Classify...: classifies the current image (each plane of a stack) and
 * adds a row per plane to the "NeuralJ Classes" Results table: image, slice, class, p_&lt;class&gt;...
 * Recordable; from a macro: {@code run("NeuralJ Classify...", "model=blood-cells backend=auto");}
 * then {@code Table.getString("class", 0, "NeuralJ Classes")}.
 */
public class ClassifyPlugin implements PlugIn {
    private static final String PREFS = "neuralj.classify.";
    public static final String TABLE = "NeuralJ Classes";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        if (imp == null) {
            return;
        }
        GenericDialog gd = new GenericDialog("NeuralJ Classify");
        gd.addStringField("Model (name or .onnx/.json file)", Prefs.get(PREFS + "model", "blood-cells"), 30);
        gd.addStringField("Backend", Prefs.get(PREFS + "backend", "auto"));
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String model = gd.getNextString().trim();
        String backend = gd.getNextString().trim();
        if (!IJ.isMacro()) {
            Prefs.set(PREFS + "model", model);
            Prefs.set(PREFS + "backend", backend);
        }
        try (Classifier cl = Classifier.open(new Classifier.Request(model, backend))) {
            ResultsTable rt = table();
            for (int z = 1; z <= imp.getStackSize(); z++) {
                Classifier.Prediction p = cl.classify(imp.getStack().getProcessor(z));
                rt.incrementCounter();
                rt.addValue("image", imp.getTitle());
                rt.addValue("slice", z);
                rt.addValue("class", p.label());
                for (int k = 0; k < p.probabilities().length; k++) {
                    rt.addValue("p_" + cl.card().classes().get(k), p.probabilities()[k]);
                }
                IJ.showProgress(z, imp.getStackSize());
            }
            rt.show(TABLE);
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("NeuralJ Classify", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }

    static ResultsTable table() {
        ResultsTable rt = ResultsTable.getResultsTable(TABLE);
        return rt != null ? rt : new ResultsTable();
    }
}
