package org.neuralj.fiji;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.neuralj.train.task.SegmentationTraining;
import org.neuralj.train.task.TrainingListener;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Train Segmentation as a headless SciJava command: writes MODEL.onnx + MODEL.json; cancelling stops it. */
@Plugin(type = Command.class, name = "neuralj.train.segmentation", label = "NeuralJ Train Segmentation", headless = true)
public class TrainSegmentationCommand extends TrainCommand {
    @Parameter(label = "Images", style = "directory")
    private File images;

    @Parameter(label = "Masks", style = "directory")
    private File masks;

    public TrainSegmentationCommand() {
        super(10);
    }

    @Override
    protected String label() {
        return "NeuralJ Train Segmentation";
    }

    @Override
    protected Path train(String name, TrainingListener listener) {
        return SegmentationTraining.run(new SegmentationTraining.Config(images.toPath(), masks.toPath(), out.toPath(), name, 1, epochs,
                steps, 4, 128, 16, 2, 0.002f, seed, 0.2, 0, null, null, backend,
                Map.of("command", "SciJava neuralj.train.segmentation"), true), listener).cardFile();
    }
}
