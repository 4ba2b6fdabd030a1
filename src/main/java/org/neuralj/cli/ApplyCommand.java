package org.neuralj.cli;

import ij.IJ;
import ij.ImagePlus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.ImageTensors;
import org.neuralj.image.Normalization;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

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
                + "  The image's first plane (RGB as luminance) is the model's [1,1,H,W] input; each output\n"
                + "  channel becomes one slice of OUT.tif. --sigmoid maps logits to probabilities.";
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
        Model model = Model.load(modelFile);
        if (model.inputs().size() != 1) {
            throw new NeuralJException(modelFile + ": apply needs a model with one input; this one has " + model.inputs());
        }
        HostTensor x = ImageTensors.fromProcessor(imp.getProcessor());
        x = new HostTensor(x.shape(), norm.apply(x.data()));
        try (Backend backend = Backends.select(args.option("backend", "auto"));
             Session session = new Session(model, backend)) {
            long t0 = System.nanoTime();
            HostTensor y = session.runOnHost(Map.of(model.inputs().get(0).name(), x)).values().iterator().next();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (args.flag("sigmoid")) {
                float[] d = y.data();
                for (int i = 0; i < d.length; i++) {
                    d[i] = (float) (1 / (1 + Math.exp(-d[i])));
                }
            }
            String title = target.getFileName().toString();
            ImagePlus result = ImageTensors.toImage(y, title, imp);
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            // written next to the target and renamed, so a crash never leaves a half-written output
            Path temp = Files.createTempFile(parent, ".neuralj-", ".tif");
            if (!IJ.saveAsTiff(result, temp.toString())) {
                Files.deleteIfExists(temp);
                throw new NeuralJException("could not write " + target);
            }
            Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            out.printf("%s: %dx%d on %s in %d ms -> %s %s%n", imageFile.getFileName(), imp.getWidth(), imp.getHeight(),
                    backend.name(), ms, target, java.util.Arrays.toString(y.shape()));
        }
    }
}
