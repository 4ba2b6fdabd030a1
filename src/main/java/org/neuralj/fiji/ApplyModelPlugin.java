package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.io.OpenDialog;
import ij.plugin.PlugIn;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;

/**
 * Plugins › NeuralJ › Apply ONNX Model...: runs a one-input image model on the current image and
 * shows the result. Recordable; from a macro:
 * {@code run("Apply ONNX Model...", "model=/path/net.onnx normalization=zscore sigmoid backend=auto");}
 */
public class ApplyModelPlugin implements PlugIn {
    private static final String PREFS = "neuralj.apply.";

    @Override
    public void run(String arg) {
        ImagePlus imp = IJ.getImage();
        if (imp == null) {
            return;
        }
        GenericDialog gd = new GenericDialog("Apply ONNX Model");
        gd.addFileField("Model", Prefs.get(PREFS + "model", ""));
        gd.addChoice("Normalization", Normalization.ids(), Prefs.get(PREFS + "normalization", Normalization.ZSCORE.id()));
        gd.addCheckbox("Sigmoid (logits to probabilities)", Prefs.get(PREFS + "sigmoid", false));
        String[] backends = Backends.available().toArray(new String[0]);
        String[] choices = new String[backends.length + 1];
        choices[0] = "auto";
        System.arraycopy(backends, 0, choices, 1, backends.length);
        gd.addChoice("Backend", choices, Prefs.get(PREFS + "backend", "auto"));
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        String model = gd.getNextString().trim();
        String norm = gd.getNextChoice();
        boolean sigmoid = gd.getNextBoolean();
        String backend = gd.getNextChoice();
        if (model.isEmpty() || !Files.isRegularFile(Path.of(model))) {
            IJ.error("Apply ONNX Model", "Model file not found: '" + model + "'");
            return;
        }
        if (!IJ.isMacro()) {
            Prefs.set(PREFS + "model", model);
            Prefs.set(PREFS + "normalization", norm);
            Prefs.set(PREFS + "sigmoid", sigmoid);
            Prefs.set(PREFS + "backend", backend);
        }
        int planes = imp.getStackSize();
        try {
            ApplyModel.Result result = ApplyModel.run(
                    new ApplyModel.Request(Path.of(model), Normalization.parse(norm), sigmoid, backend), imp,
                    done -> IJ.showProgress(done, planes));
            IJ.showStatus("NeuralJ: " + planes + " plane(s) on " + result.backendName() + " in " + result.millis() + " ms");
            result.image().show();
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("Apply ONNX Model", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }
}
