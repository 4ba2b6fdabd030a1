package org.neuralj.fiji;

import java.io.File;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.train.task.SegmentationTraining;
import org.neuralj.train.task.TrainingListener;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Train Segmentation as a headless SciJava command: writes MODEL.onnx + MODEL.json; cancelling stops it. */
@Plugin(type = Command.class, name = "neuralj.train.segmentation", label = "NeuralJ Train Segmentation", headless = true)
public class TrainSegmentationCommand extends ContextCommand {
    @Parameter(label = "Images", style = "directory")
    private File images;

    @Parameter(label = "Masks", style = "directory")
    private File masks;

    @Parameter(label = "Out (.onnx)", style = "save")
    private File out;

    @Parameter(label = "Epochs", min = "1", required = false)
    private int epochs = 10;

    @Parameter(label = "Steps per epoch", min = "1", required = false)
    private int steps = 50;

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
            var r = SegmentationTraining.run(new SegmentationTraining.Config(images.toPath(), masks.toPath(), out.toPath(), name, 1, epochs,
                    steps, 4, 128, 16, 2, 0.002f, seed, 0.2, 0, null, null, backend,
                    Map.of("command", "SciJava neuralj.train.segmentation"), true), listener(this, log, status));
            card = r.cardFile().toFile();
        } catch (CancellationException | NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Train Segmentation: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }

    static TrainingListener listener(ContextCommand command, LogService log, StatusService status) {
        return new TrainingListener() {
            @Override
            public void step(int step, int total, double loss) {
                if (status != null) {
                    status.showStatus(step, total, String.format("NeuralJ training: step %d/%d, loss %.4f", step, total, loss));
                }
            }

            @Override
            public void epoch(int epoch, int n, double loss, Map<String, Double> v) {
                if (log != null) {
                    log.info(String.format("epoch %d/%d: training loss %.4f %s", epoch, n, loss, v.isEmpty() ? "" : "validation " + v));
                }
            }

            @Override
            public void log(String line) {
                if (log != null) {
                    log.info(line);
                }
            }

            @Override
            public boolean cancelled() {
                return command.isCanceled() || Thread.currentThread().isInterrupted();
            }
        };
    }
}
