package org.neuralj.fiji;

import ij.ImagePlus;
import ij.gui.Plot;
import ij.gui.PlotWindow;
import ij.macro.Interpreter;
import java.awt.GraphicsEnvironment;
import java.nio.file.Path;
import java.util.Map;
import org.neuralj.image.VizImages;
import org.neuralj.train.TrainingListener;
import org.neuralj.viz.TrainingLog;

/**
 * A live ImageJ plot of a training run: a {@link TrainingListener} for the training loop (chain it
 * after a {@link TrainingLog} or hand it to the loop directly; the Train commands feed it through
 * {@link #epoch}). Each epoch redraws the plot in its window (none when headless); {@link #save} writes
 * the PNG and the CSV, {@link #saveBeside} as {@code MODEL-training.png/.csv} beside the model.
 */
public final class TrainingPlotWindow implements TrainingListener {
    private final TrainingLog log = new TrainingLog();
    private final String title;
    private PlotWindow window;

    public TrainingPlotWindow(String title) {
        this.title = title;
    }

    public TrainingLog log() {
        return log;
    }

    @Override
    public synchronized void epochEnd(int epoch, Map<String, Double> metrics) {
        log.epochEnd(epoch, metrics);
        ij.IJ.showStatus("epoch " + epoch + ": " + VizImages.describe(metrics));
        if (!canShow()) {
            return;
        }
        Plot plot = VizImages.plot(log, title);
        if (window == null || window.isClosed()) {
            window = plot.show();
        } else {
            window.drawPlot(plot);
        }
    }

    /**
     * Whether a plot window can open: not headless, and not where ImageJ's {@code Plot.show} makes a
     * batch-mode image instead (a batch-mode macro, or a macro with no ImageJ window): there the plot is
     * only saved at the end, rather than leaving a stale image per run.
     */
    static boolean canShow() {
        return !GraphicsEnvironment.isHeadless() && !Interpreter.isBatchMode() && !(ij.IJ.macroRunning() && ij.IJ.getInstance() == null);
    }

    /** One epoch of a training task: its mean training loss ("loss") and validation metrics, plotted. */
    public void epoch(int epoch, double loss, Map<String, Double> validation) {
        Map<String, Double> metrics = new java.util.LinkedHashMap<>();
        metrics.put("loss", loss);
        metrics.putAll(validation);
        epochEnd(epoch, metrics);
    }

    /** The window showing the plot (null headless or before the first epoch). */
    public synchronized PlotWindow window() {
        return window;
    }

    /** Writes {@code MODEL-training.png} and {@code MODEL-training.csv} beside {@code model} (MODEL.onnx); returns the PNG. */
    public Path saveBeside(Path model) throws java.io.IOException {
        String name = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path stem = model.toAbsolutePath().resolveSibling(name + "-training");
        save(stem);
        return Path.of(stem + ".png");
    }

    /** Writes {@code stem.png} (the plot) and {@code stem.csv} (the numbers). */
    public synchronized void save(Path stem) throws java.io.IOException {
        ImagePlus imp = VizImages.plotImage(log, title);
        if (!new ij.io.FileSaver(imp).saveAsPng(stem + ".png")) {
            throw new java.io.IOException("could not write " + stem + ".png");
        }
        log.writeCsv(Path.of(stem + ".csv"));
    }
}
