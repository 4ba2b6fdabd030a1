package org.neuralj.fiji;

import java.io.File;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.train.task.ClassifierTraining;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Train Classifier as a headless SciJava command (class sub-folders): writes MODEL.onnx + MODEL.json. */
@Plugin(type = Command.class, name = "neuralj.train.classifier", label = "NeuralJ Train Classifier", headless = true)
public class TrainClassifierCommand extends ContextCommand {
    @Parameter(label = "Images (one sub-folder per class)", style = "directory")
    private File images;

    @Parameter(label = "Out (.onnx)", style = "save")
    private File out;

    @Parameter(label = "Epochs", min = "1", required = false)
    private int epochs = 4;

    @Parameter(label = "Steps per epoch", min = "1", required = false)
    private int steps = 50;

    @Parameter(label = "Input size", min = "8", required = false)
    private int size = 64;

    @Parameter(label = "Seed", required = false)
    private long seed = 1;

    @Parameter(label = "Backend", required = false)
    private String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Model card")
    private File card;

    @Parameter(required = false)
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Override
    public void run() {
        try {
            String name = out.getName().replaceFirst("\\.onnx$", "");
            var r = ClassifierTraining.run(new ClassifierTraining.Config(images.toPath(), out.toPath(), name, 3, size, epochs, steps, 32, 16, 2,
                    0.002f, seed, 0.2, null, backend, Map.of("command", "SciJava neuralj.train.classifier")),
                    TrainSegmentationCommand.listener(this, log, status));
            card = r.cardFile().toFile();
        } catch (CancellationException | NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Train Classifier: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }
}
