package org.neuralj.fiji;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.neuralj.train.task.ClassifierTraining;
import org.neuralj.train.task.TrainingListener;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Train Classifier as a headless SciJava command (class sub-folders): writes MODEL.onnx + MODEL.json. */
@Plugin(type = Command.class, name = "neuralj.train.classifier", label = "NeuralJ Train Classifier", headless = true)
public class TrainClassifierCommand extends TrainCommand {
    @Parameter(label = "Images (one sub-folder per class)", style = "directory")
    private File images;

    @Parameter(label = "Input size", min = "8", required = false)
    private int size = 64;

    public TrainClassifierCommand() {
        super(4);
    }

    @Override
    protected String label() {
        return "NeuralJ Train Classifier";
    }

    @Override
    protected Path train(String name, TrainingListener listener) {
        return ClassifierTraining.run(new ClassifierTraining.Config(images.toPath(), out.toPath(), name, 3, size, epochs, steps, 32, 16, 2,
                0.002f, seed, 0.2, null, backend, Map.of("command", "SciJava neuralj.train.classifier")), listener).cardFile();
    }
}
