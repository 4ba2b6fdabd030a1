package org.neuralj.fiji;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import java.awt.GraphicsEnvironment;
import java.util.List;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ObjectMeasurements;
import org.neuralj.image.ObjectScale;
import org.neuralj.image.Segmenter;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * NeuralJ Segment as a headless SciJava command (scripts, headless Fiji); a failure cancels it with the
 * reason. {@code add}: one ROI per object in the {@code rois} output, and in the ROI Manager where one
 * can exist (not headless); {@code display}: a row per object in the {@code objects} table (label,
 * area, centroid, mean; calibrated), also shown as "Results" when there is a display.
 */
// optional inputs are not persisted: a script that leaves one out gets the documented default, not the last GUI value
@Plugin(type = Command.class, name = "neuralj.segment", label = "NeuralJ Segment", headless = true)
public class SegmentImageCommand extends ContextCommand {
    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Model", description = "a model name (e.g. nuclei) or an .onnx / .json file")
    private String model;

    @Parameter(label = "Output", choices = {"labels", "mask", "prob", "none"}, required = false, persist = false)
    private String output = "labels";

    @Parameter(label = "Instances", choices = {"auto", "components", "watershed", "seeds"}, required = false, persist = false)
    private String instances = "auto";

    @Parameter(label = "Tile (0: the model's)", min = "0", required = false, persist = false)
    private int tile;

    @Parameter(label = "Augment (symmetries averaged per tile)", choices = {"model's", "off", "2", "4", "8"}, required = false,
            persist = false)
    private String augment = "model's";

    @Parameter(label = "Object diameter", description = "model's, auto (measured from a first pass), off, or the objects' size in "
            + "pixels: planes are resized so objects match the training size", required = false, persist = false)
    private String diameter = "model's";

    @Parameter(label = "Backend", required = false, persist = false)
    private String backend = "auto";

    @Parameter(label = "Add to ROI Manager (one ROI per object)", required = false, persist = false)
    private boolean add;

    @Parameter(label = "Display results (label, area, centroid, mean)", required = false, persist = false)
    private boolean display;

    @Parameter(type = ItemIO.OUTPUT, label = "Result")
    private ImagePlus result;

    @Parameter(type = ItemIO.OUTPUT, label = "ROIs")
    private Roi[] rois;

    @Parameter(type = ItemIO.OUTPUT, label = "Objects")
    private ResultsTable objects;

    @Parameter(required = false)
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Override
    public void run() {
        boolean image = !"none".equals(output);
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(model, image ? SegmentPlugin.parseOutput(output) : Segmenter.Output.LABELS,
                Segmenter.InstanceMethod.valueOf(instances.toUpperCase(Locale.ROOT)), tile, 0, Double.NaN, backend,
                SegmentPlugin.parseAugment(augment), ObjectScale.Rescale.parse(diameter)), log == null ? null : log::info)) {
            Segmenter.Result r = seg.segment(this.image, add || display,
                    status == null ? null : f -> status.showProgress((int) (f * 100), 100));
            result = image ? r.image() : null;
            if (add || display) {
                List<ObjectMeasurements.Obj> objs = ObjectMeasurements.of(r.labels(), this.image);
                if (add) {
                    List<Roi> list = ObjectMeasurements.rois(r.labels(), objs);
                    rois = list.toArray(new Roi[0]);
                    if (!GraphicsEnvironment.isHeadless()) {
                        Rois.add(list, this.image);
                    }
                }
                if (display) {
                    objects = new ResultsTable();
                    ObjectMeasurements.addTo(objects, this.image, objs);
                    if (!GraphicsEnvironment.isHeadless()) {
                        objects.show("Results");
                    }
                }
            }
        } catch (NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Segment: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }
}
