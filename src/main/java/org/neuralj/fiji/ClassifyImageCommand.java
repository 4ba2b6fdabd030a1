package org.neuralj.fiji;

import ij.ImagePlus;
import ij.measure.ResultsTable;
import java.util.List;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Classifier;
import org.neuralj.image.RoiClassification;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * NeuralJ Classify as a headless SciJava command: the current plane, each slice, each ROI (ROI Manager,
 * else overlay, else selection) or each object of a label image. Outputs the {@code table} (a row per
 * item: image, slice, roi, class, p_&lt;class&gt;...) and the first item's class and probabilities;
 * {@code overlay} colours the items on the image by class.
 */
// optional inputs are not persisted: a script that leaves one out gets the documented default, not the last GUI value
@Plugin(type = Command.class, name = "neuralj.classify", label = "NeuralJ Classify", headless = true)
public class ClassifyImageCommand extends ContextCommand {
    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Model", description = "a model name (e.g. blood-cells) or an .onnx / .json file")
    private String model;

    @Parameter(label = "Classify each", choices = {"image", "slice", "roi", "object"}, required = false, persist = false)
    private String classify = "image";

    @Parameter(label = "Labels (label image, for each object)", required = false, persist = false)
    private ImagePlus labels;

    @Parameter(label = "Overlay (class colours)", required = false, persist = false)
    private boolean overlay;

    @Parameter(label = "Backend", required = false, persist = false)
    private String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Class")
    private String label;

    @Parameter(type = ItemIO.OUTPUT, label = "Probabilities")
    private float[] probabilities;

    @Parameter(type = ItemIO.OUTPUT, label = "Classes")
    private ResultsTable table;

    @Parameter(required = false)
    private LogService log;

    @Override
    public void run() {
        try (Classifier cl = Classifier.open(new Classifier.Request(model, backend))) {
            List<RoiClassification.Item> items = ClassifyPlugin.items(RoiClassification.Each.parse(classify), image, labels);
            List<RoiClassification.Classified> results = RoiClassification.classify(cl, image, items, null);
            table = new ResultsTable();
            RoiClassification.addTo(table, image, cl.card().classes(), results);
            label = results.get(0).prediction().label();
            probabilities = results.get(0).prediction().probabilities();
            if (overlay) {
                image.setOverlay(RoiClassification.overlay(image, results, true));
            }
        } catch (NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Classify: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }
}
