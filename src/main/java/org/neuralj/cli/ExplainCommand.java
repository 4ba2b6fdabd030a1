package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.neuralj.image.Inspect;
import org.neuralj.image.Normalization;
import org.neuralj.nn.Model;
import org.neuralj.viz.ModelSummary;

/**
 * {@code neuralj explain METHOD MODEL.onnx [INPUT...] --output OUT}: looks inside a model — its
 * summary table, learned kernels, feature maps, saliency, guided backprop, Grad-CAM, occlusion or
 * activation maximisation — with the batch layer for image inputs (one output TIFF per input).
 */
final class ExplainCommand implements Main.Command {
    @Override
    public String summary() {
        return "look inside a model: summary, kernels, feature maps, saliency, Grad-CAM, occlusion, dream";
    }

    @Override
    public String usage() {
        return "usage: neuralj explain summary MODEL.onnx [--shape NAME=1x1x256x256]\n"
                + "       neuralj explain kernels MODEL.onnx --output KERNELS.tif [--layer CONV_NODE]\n"
                + "       neuralj explain METHOD MODEL.onnx INPUT... --output OUT [--class K] [--layer VALUE]\n"
                + "                     [--normalize zscore|percentile|none] [--backend B] [--raw] [--montage]\n"
                + "                     [--patch P] [--steps N] [--octaves N] [batch options]\n"
                + "  METHOD: features (the activations of --layer, an ONNX value name; a labelled stack, or\n"
                + "          --montage), saliency, smoothgrad, guided, gradcam, guided-gradcam, occlusion\n"
                + "          (heat maps of --class, default the predicted one, over the input with a colour bar;\n"
                + "          --raw: the 32-bit map), dream (activation maximisation of channel --class of\n"
                + "          --layer, -1 = the whole layer; no --layer: the class logit; starts from the image).\n"
                + "  Gradient methods (saliency ... guided-gradcam, dream) need a plain CNN classifier (Conv,\n"
                + "  pooling, activations, BatchNorm, Flatten, Gemm, ...); features and occlusion run any model.\n"
                + "  examples: neuralj explain summary net.onnx --shape input=1x1x64x64\n"
                + "            neuralj explain gradcam net.onnx cells/ --output cams/\n"
                + BatchOptions.USAGE;
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        BatchOptions.accept(args, List.of("class", "layer", "normalize", "backend", "patch", "steps", "octaves", "shape"),
                List.of("raw", "montage"));
        String methodWord = args.positional(0, "METHOD");
        Path modelFile = Path.of(args.positional(1, "MODEL.onnx"));
        if (methodWord.equals("summary")) {
            Model model = Model.load(modelFile);
            Map<String, int[]> shapes = RunCommand.parseShapes(args.options("shape"), model);
            if (shapes == null) {
                throw new Main.UsageException("the model's input has free dimensions: give --shape NAME=1xCxHxW");
            }
            List<ModelSummary.Row> rows = ModelSummary.of(model, shapes);
            out.print(ModelSummary.table(rows));
            return;
        }
        Inspect.Method method;
        Normalization norm;
        int cls, patch, steps, octaves;
        try {
            method = Inspect.Method.parse(methodWord);
            norm = Normalization.parse(args.option("normalize", "zscore"));
            cls = Integer.parseInt(args.option("class", method == Inspect.Method.DREAM ? "0" : "-1"));
            patch = Integer.parseInt(args.option("patch", "8"));
            steps = Integer.parseInt(args.option("steps", method == Inspect.Method.SMOOTHGRAD ? "16" : "20"));
            octaves = Integer.parseInt(args.option("octaves", "3"));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage() + " (methods: summary, " + String.join(", ", Inspect.Method.keys()) + ")");
        }
        Inspect.Request request = new Inspect.Request(modelFile, method, cls, args.option("layer", null), norm,
                args.option("backend", "auto"), args.flag("montage"), args.flag("raw"), patch, steps, octaves);
        if (method == Inspect.Method.KERNELS) {
            String output = args.option("output", null);
            if (output == null) {
                throw new Main.UsageException("--output KERNELS.tif is required");
            }
            Inspect.Result r = Inspect.run(request, new ij.ImagePlus("none", new ij.process.FloatProcessor(8, 8)));
            org.neuralj.io.AtomicFiles.write(java.nio.file.Path.of(output), o -> org.neuralj.image.ImageFiles.writeTiff(r.image(), o));
            out.println("explain kernels: " + r.description() + " -> " + output);
            return;
        }
        BatchOptions batch = BatchOptions.parse(args, 2, System.getenv());
        BatchRunner.Plan plan = BatchRunner.plan(batch);
        (batch.json() ? err : out).println("explain " + method.key() + ": " + modelFile.getFileName());
        BatchRunner.run("explain", plan, BatchRunner.images(imp -> {
            Inspect.Result r = Inspect.run(request, imp);
            err.println(imp.getTitle() + ": " + r.description());
            return r.image();
        }), out, err);
    }
}
