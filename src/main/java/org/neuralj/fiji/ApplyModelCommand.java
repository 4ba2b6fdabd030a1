package org.neuralj.fiji;

import ij.ImagePlus;
import java.io.File;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * "Apply ONNX Model" as a SciJava {@link Command}: the same {@link ApplyModel.Request} as the menu
 * plugin and {@code neuralj apply}, for scripts (Python, Groovy, ...) and headless runs through a
 * {@code Context} and {@code CommandService}. No dialog, no window: a failure cancels the command with
 * the reason ({@code module.isCanceled()}, {@code getCancelReason()}) and logs it.
 *
 * <pre>{@code
 * #@ CommandService command
 * #@ ImagePlus imp
 * m = command.run(org.neuralj.fiji.ApplyModelCommand, false,
 *         "image", imp, "model", new File("/models/net.onnx"), "normalization", "zscore",
 *         "sigmoid", false, "backend", "auto").get()
 * m.getOutput("output").show()
 * }</pre>
 *
 * It has no menu path: in Fiji the menu entry is the ImageJ 1 plugin ({@link ApplyModelPlugin}), which
 * is recordable as a macro.
 */
@Plugin(type = Command.class, name = "neuralj.apply", label = "Apply ONNX Model", headless = true)
public class ApplyModelCommand extends ContextCommand {

    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Model (.onnx)", style = "open")
    private File model;

    // an annotation needs constants: NormalizationTest checks this list is Normalization.ids()
    @Parameter(label = "Normalization", choices = {"zscore", "zscore_invert_light", "percentile", "none"}, required = false)
    private String normalization = "zscore";

    @Parameter(label = "Sigmoid (logits to probabilities)", required = false)
    private boolean sigmoid;

    @Parameter(label = "Backend", description = "auto, cpu, opencl, opencl:N or opencl:<part of the device name>", required = false)
    private String backend = "auto";

    @Parameter(type = ItemIO.OUTPUT, label = "Output")
    private ImagePlus output;

    @Parameter(required = false)
    private LogService log;

    @Parameter(required = false)
    private StatusService status;

    @Override
    public void run() {
        try {
            ApplyModel.Request request = new ApplyModel.Request(model == null ? null : model.toPath(),
                    Normalization.parse(normalization), sigmoid, backend);
            int planes = image.getStackSize();
            ApplyModel.Result result = ApplyModel.run(request, image, done -> {
                if (status != null) {
                    status.showProgress(done, planes);
                }
            });
            output = result.image();
            if (log != null) {
                log.info("NeuralJ: " + planes + " plane(s) of " + image.getTitle() + " on " + result.backendName() + " in "
                        + result.millis() + " ms");
            }
        } catch (NeuralJException | IllegalArgumentException e) {
            if (log != null) {
                log.error("Apply ONNX Model: " + e.getMessage());
            }
            cancel(e.getMessage());
        } finally {
            if (status != null) {
                status.clearStatus();
            }
        }
    }

    /** The result, for Java callers that build the command themselves. */
    public ImagePlus output() {
        return output;
    }
}
