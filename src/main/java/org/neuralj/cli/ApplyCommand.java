package org.neuralj.cli;

import ij.IJ;
import ij.ImagePlus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;

/** {@code neuralj apply MODEL.onnx IMAGE --output OUT.tif}: a one-input image model on one image file. */
final class ApplyCommand implements Main.Command {
    @Override
    public String summary() {
        return "run a one-input image model on an image file (TIFF, PNG, ...) and save a 32-bit TIFF";
    }

    @Override
    public String usage() {
        return "usage: neuralj apply MODEL.onnx IMAGE --output OUT.tif [--normalize zscore|percentile|none]\n"
                + "                     [--sigmoid] [--backend auto|cpu|opencl[:N]] [--overwrite]\n"
                + "  Each plane of IMAGE (RGB as luminance) is the model's [1,1,H,W] input; each output\n"
                + "  channel becomes a slice of OUT.tif. --sigmoid maps logits to probabilities.\n"
                + "  An existing OUT.tif is kept unless --overwrite is given.";
    }

    @Override
    public void run(Args args, PrintStream out) throws Exception {
        args.allowOnly("output", "normalize", "sigmoid", "backend", "overwrite");
        Path modelFile = Path.of(args.positional(0, "MODEL.onnx"));
        Path imageFile = Path.of(args.positional(1, "IMAGE"));
        String output = args.option("output", null);
        if (output == null) {
            throw new Main.UsageException("--output OUT.tif is required");
        }
        Path target = Path.of(output);
        if (Files.exists(target) && !args.flag("overwrite")) {
            throw new NeuralJException(target + " exists; add --overwrite to replace it");
        }
        Normalization norm;
        try {
            norm = Normalization.parse(args.option("normalize", "zscore"));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        if (!Files.isRegularFile(imageFile)) {
            throw new NeuralJException(imageFile + ": no such image file");
        }
        ImagePlus imp = IJ.openImage(imageFile.toString());
        if (imp == null) {
            throw new NeuralJException(imageFile + ": ImageJ cannot open this file as an image");
        }
        ApplyModel.Request request = new ApplyModel.Request(modelFile, norm, args.flag("sigmoid"), args.option("backend", "auto"));
        ApplyModel.Result result = ApplyModel.run(request, imp, null);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // written beside the target and renamed, so a crash never leaves a half-written output
        Path temp = Files.createTempFile(parent, ".neuralj-", ".tif");
        if (!IJ.saveAsTiff(result.image(), temp.toString())) {
            Files.deleteIfExists(temp);
            throw new NeuralJException("could not write " + target);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        out.printf("%s: %dx%dx%d on %s in %d ms -> %s%n", imageFile.getFileName(), imp.getWidth(), imp.getHeight(),
                imp.getStackSize(), result.backendName(), result.millis(), target);
    }
}
