package org.neuralj.fiji;

import ij.IJ;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.train.task.ClassifierTraining;
import org.neuralj.train.task.SegmentationTraining;
import org.neuralj.train.task.TrainingListener;

/**
 * Plugins › NeuralJ › NeuralJ Train Segmentation... / NeuralJ Train Classifier...: trains from folders and
 * writes MODEL.onnx + MODEL.json, which NeuralJ Segment / Classify then take as their model. Progress in
 * the status bar and the Log (a line per epoch), the loss and validation metrics in a live plot window
 * saved as MODEL-training.png / .csv beside the model; Esc cancels (nothing is written). Recordable:
 * {@code run("NeuralJ Train Classifier...", "images=/data/cells out=/models/cells.onnx epochs=4 steps=50 seed=1 backend=cpu");}
 */
public class TrainPlugin implements PlugIn {

    @Override
    public void run(String arg) {
        boolean seg = !"classifier".equals(arg);
        String prefs = "neuralj.train." + (seg ? "seg." : "cls.");
        boolean macro = IJ.isMacro(); // a macro names its folders; the last interactive ones are not used
        GenericDialog gd = new GenericDialog(seg ? "NeuralJ Train Segmentation" : "NeuralJ Train Classifier");
        gd.addDirectoryField(seg ? "Images" : "Images (one sub-folder per class)", macro ? "" : Prefs.get(prefs + "images", ""));
        if (seg) {
            gd.addDirectoryField("Masks", macro ? "" : Prefs.get(prefs + "masks", ""));
        }
        gd.addFileField("Out (.onnx)", macro ? "" : Prefs.get(prefs + "out", ""));
        gd.addNumericField("Epochs", 10, 0);
        gd.addNumericField("Steps per epoch", 50, 0);
        gd.addNumericField("Seed", 1, 0);
        gd.addNumericField("Validation fraction", 0.2, 2);
        gd.addStringField("Backend", "auto");
        gd.showDialog();
        if (gd.wasCanceled()) {
            return;
        }
        Path images = Path.of(gd.getNextString().trim());
        Path masks = seg ? Path.of(gd.getNextString().trim()) : null;
        String outText = gd.getNextString().trim();
        if (outText.isEmpty()) {
            IJ.error(gd.getTitle(), "Out: give the model file to write (MODEL.onnx)");
            return;
        }
        Path out = Path.of(outText);
        int epochs = (int) gd.getNextNumber();
        int steps = (int) gd.getNextNumber();
        long seed = (long) gd.getNextNumber();
        double val = gd.getNextNumber();
        String backend = gd.getNextString().trim();
        if (!macro) {
            Prefs.set(prefs + "images", images.toString());
            if (masks != null) {
                Prefs.set(prefs + "masks", masks.toString());
            }
            Prefs.set(prefs + "out", out.toString());
        }
        String name = out.getFileName().toString().replaceFirst("\\.onnx$", "");
        TrainingPlotWindow curves = new TrainingPlotWindow(gd.getTitle() + ": " + name);
        TrainingListener l = new TrainingListener() {
            @Override
            public void step(int step, int total, double loss) {
                IJ.showProgress(step, total);
                IJ.showStatus(String.format("NeuralJ training: step %d/%d, loss %.4f (Esc cancels)", step, total, loss));
            }

            @Override
            public void epoch(int epoch, int n, double loss, Map<String, Double> v) {
                curves.epoch(epoch, loss, v);
                IJ.log(String.format("epoch %d/%d: training loss %.4f %s", epoch, n, loss, v.isEmpty() ? "" : "validation " + v));
            }

            @Override
            public void log(String line) {
                IJ.log(line);
            }

            @Override
            public boolean cancelled() {
                return IJ.escapePressed() || Thread.currentThread().isInterrupted();
            }
        };
        IJ.resetEscape();
        try {
            Path cardFile;
            if (seg) {
                var r = SegmentationTraining.run(new SegmentationTraining.Config(images, masks, out, name, 1, epochs, steps, 4, 128, 16, 2,
                        0.002f, seed, val, 0, null, null, backend, Map.of("command", "Plugins > NeuralJ > NeuralJ Train Segmentation"), true), l);
                cardFile = r.cardFile();
            } else {
                var r = ClassifierTraining.run(new ClassifierTraining.Config(images, out, name, 3, 64, epochs, steps, 32, 16, 2, 0.002f, seed,
                        val, null, backend, Map.of("command", "Plugins > NeuralJ > NeuralJ Train Classifier")), l);
                cardFile = r.cardFile();
            }
            IJ.log("NeuralJ: wrote " + out + ", " + cardFile + " and " + curves.saveBeside(out));
        } catch (java.io.IOException e) {
            IJ.error("NeuralJ Train", "The model is written, the training plot is not: " + e.getMessage());
        } catch (CancellationException e) {
            IJ.log("NeuralJ: " + e.getMessage());
        } catch (NeuralJException | IllegalArgumentException e) {
            IJ.error("NeuralJ Train", e.getMessage());
        } finally {
            IJ.showProgress(1.0);
        }
    }
}
