package org.neuralj.fiji;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.train.task.TrainingListener;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;

/**
 * What the two headless training commands share: the parameters every training run has, progress on
 * the StatusService, epochs in the log and in a live {@link TrainingPlotWindow} (a window only when
 * there is a display; saved as MODEL-training.png/.csv beside the model), cancelling, and failures
 * turned into a cancel with the reason.
 */
abstract class TrainCommand extends ContextCommand {
    @Parameter(label = "Out (.onnx)", style = "save")
    protected File out;

    @Parameter(label = "Epochs", min = "1", required = false)
    protected int epochs;

    @Parameter(label = "Steps per epoch", min = "1", required = false)
    protected int steps = 50;

    @Parameter(label = "Seed", required = false)
    protected long seed = 1;

    @Parameter(label = "Backend", required = false)
    protected String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Model card")
    protected File card;

    @Parameter(type = ItemIO.OUTPUT, label = "Training plot (PNG)")
    protected File plot;

    @Parameter(required = false)
    protected LogService log;

    @Parameter(required = false)
    protected StatusService status;

    protected TrainCommand(int defaultEpochs) {
        this.epochs = defaultEpochs;
    }

    /** The command's label for messages, e.g. "NeuralJ Train Classifier". */
    protected abstract String label();

    /** Trains and writes the model named {@code name}; returns the card file written. */
    protected abstract Path train(String name, TrainingListener listener);

    @Override
    public void run() {
        try {
            String name = out.getName().replaceFirst("\\.onnx$", "");
            TrainingPlotWindow curves = new TrainingPlotWindow(label() + ": " + name);
            card = train(name, listener(curves)).toFile();
            plot = curves.saveBeside(out.toPath()).toFile();
        } catch (java.io.IOException e) {
            cancel(label() + ": the model is written, the training plot is not: " + e.getMessage());
        } catch (CancellationException | NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error(label() + ": " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }

    private TrainingListener listener(TrainingPlotWindow curves) {
        return new TrainingListener() {
            @Override
            public void step(int step, int total, double loss) {
                if (status != null) {
                    status.showStatus(step, total, String.format("NeuralJ training: step %d/%d, loss %.4f", step, total, loss));
                }
            }

            @Override
            public void epoch(int epoch, int n, double loss, Map<String, Double> v) {
                curves.epoch(epoch, loss, v);
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
                return isCanceled() || Thread.currentThread().isInterrupted();
            }
        };
    }
}
