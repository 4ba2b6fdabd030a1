package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;

/**
 * {@code neuralj apply MODEL.onnx INPUT... --output OUT}: a one-input image model on image files,
 * folders or list files (one file to {@code OUT.tif}, or many into a folder mirroring the input tree).
 */
final class ApplyCommand implements Main.Command {
    @Override
    public String summary() {
        return "run a one-input image model on images, folders or list files; 32-bit TIFF outputs";
    }

    @Override
    public String usage() {
        return "usage: neuralj apply MODEL.onnx INPUT... --output OUT [--normalize zscore|zscore_invert_light|percentile|none]\n"
                + "                     [--sigmoid] [--backend auto|cpu|opencl[:N]] [batch options]\n"
                + "  Each plane of an image (RGB as luminance) is the model's [1,1,H,W] input; each output\n"
                + "  channel becomes a slice of the output TIFF. --sigmoid maps logits to probabilities.\n"
                + "  The model is loaded and the backend opened once for all inputs.\n"
                + "  examples: neuralj apply net.onnx cell.tif --output cell-out.tif\n"
                + "            neuralj apply net.onnx raw/ --output results/ --glob '*.tif'\n"
                + BatchOptions.USAGE;
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        BatchOptions.accept(args, List.of("normalize", "backend"), List.of("sigmoid"));
        Path modelFile = Path.of(args.positional(0, "MODEL.onnx"));
        Normalization norm;
        try {
            norm = Normalization.parse(args.option("normalize", "zscore"));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        BatchOptions batch = BatchOptions.parse(args, 1, System.getenv());
        BatchRunner.Plan plan = BatchRunner.plan(batch);
        ApplyModel.Request request = new ApplyModel.Request(modelFile, norm, args.flag("sigmoid"), args.option("backend", "auto"));
        try (ApplyModel.Applier applier = ApplyModel.open(request)) {
            (batch.json() ? err : out).println("apply: " + modelFile.getFileName() + " on " + applier.backendName());
            BatchRunner.run("apply", plan, BatchRunner.images(imp -> applier.apply(imp, null).image()), out, err);
        }
    }
}
