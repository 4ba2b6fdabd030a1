package org.neuralj.fiji;

import ij.ImagePlus;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Classifier;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Classify as a headless SciJava command: the class of the image's first plane and its probabilities. */
@Plugin(type = Command.class, name = "neuralj.classify", label = "NeuralJ Classify", headless = true)
public class ClassifyImageCommand extends ContextCommand {
    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Model", description = "a model name (e.g. blood-cells) or an .onnx / .json file")
    private String model;

    @Parameter(label = "Backend", required = false)
    private String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Class")
    private String label;

    @Parameter(type = ItemIO.OUTPUT, label = "Probabilities")
    private float[] probabilities;

    @Parameter(required = false)
    private LogService log;

    @Override
    public void run() {
        try (Classifier cl = Classifier.open(new Classifier.Request(model, backend))) {
            Classifier.Prediction p = cl.classify(image.getProcessor());
            label = p.label();
            probabilities = p.probabilities();
        } catch (NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Classify: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }
}
