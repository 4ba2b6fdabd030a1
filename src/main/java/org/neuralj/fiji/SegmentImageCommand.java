package org.neuralj.fiji;

import ij.ImagePlus;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Segmenter;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/** NeuralJ Segment as a headless SciJava command (scripts, headless Fiji); a failure cancels it with the reason. */
@Plugin(type = Command.class, name = "neuralj.segment", label = "NeuralJ Segment", headless = true)
public class SegmentImageCommand extends ContextCommand {
    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Model", description = "a model name (e.g. nuclei) or an .onnx / .json file")
    private String model;

    @Parameter(label = "Output", choices = {"labels", "mask", "prob"}, required = false)
    private String output = "labels";

    @Parameter(label = "Instances", choices = {"auto", "components", "watershed", "seeds"}, required = false)
    private String instances = "auto";

    @Parameter(label = "Tile (0: the model's)", min = "0", required = false)
    private int tile;

    @Parameter(label = "Backend", required = false)
    private String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Result")
    private ImagePlus result;

    @Parameter(required = false)
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Override
    public void run() {
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(model, Segmenter.Output.valueOf(output.toUpperCase(Locale.ROOT)),
                Segmenter.InstanceMethod.valueOf(instances.toUpperCase(Locale.ROOT)), tile, 0, Double.NaN, backend),
                log == null ? null : log::info)) {
            result = seg.segment(image, status == null ? null : f -> status.showProgress((int) (f * 100), 100));
        } catch (NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("NeuralJ Segment: " + e.getMessage());
            }
            cancel(e.getMessage());
        }
    }
}
