package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.neuralj.image.Inspect;
import org.neuralj.image.Normalization;
import org.neuralj.nn.Model;
import org.neuralj.viz.Explain;
import org.neuralj.viz.ModelGraph;
import org.neuralj.viz.ModelSummary;

/**
 * {@code neuralj explain METHOD MODEL.onnx [INPUT...] --output OUT}: looks inside a model — its
 * summary table and graph picture, learned kernels, feature maps, saliency, guided backprop, Grad-CAM,
 * occlusion or activation maximisation — with the batch layer for image inputs (one output TIFF per
 * input); {@code --region} explains a segmentation model's output over a rectangle.
 */
final class ExplainCommand implements Main.Command {
    @Override
    public String summary() {
        return "look inside a model: summary, kernels, feature maps, saliency, Grad-CAM, occlusion, dream";
    }

    @Override
    public String usage() {
        return "usage: neuralj explain summary MODEL.onnx [--shape NAME=1x1x256x256] [--graph GRAPH.png]\n"
                + "       neuralj explain kernels MODEL.onnx --output KERNELS.tif [--layer CONV_NODE]\n"
                + "       neuralj explain METHOD MODEL.onnx INPUT... --output OUT [--class K] [--layer VALUE]\n"
                + "                     [--normalize zscore|zscore_invert_light|percentile|none] [--backend B] [--raw] [--montage]\n"
                + "                     [--patch P] [--steps N] [--octaves N] [--region X,Y,W,H] [batch options]\n"
                + "  summary: a table of the layers (output shape, weights, FLOPs, receptive field; values fused\n"
                + "          into a step are named too); --graph also draws the layer graph as a PNG.\n"
                + "  METHOD: features (the activations of --layer, an ONNX value name; a labelled stack, or\n"
                + "          --montage), saliency, smoothgrad, guided, gradcam, guided-gradcam, occlusion\n"
                + "          (heat maps of --class, default the predicted one, over the input with a colour bar;\n"
                + "          --raw: the 32-bit map), dream (activation maximisation of channel --class of\n"
                + "          --layer, -1 = the whole layer; no --layer: the class logit; starts from the image).\n"
                + "  Gradient methods (saliency ... guided-gradcam, dream) run CNN classifiers and U-Nets (Conv,\n"
                + "  ConvTranspose, pooling, activations, BatchNorm, Resize, Concat, Add, Flatten, Gemm, ...); features\n"
                + "  and occlusion run any model. A segmentation model is explained for output channel --class\n"
                + "  summed over --region (input pixels; default the whole image). smoothgrad: --steps noisy\n"
                + "  copies (default " + Explain.SMOOTHGRAD_SAMPLES + ").\n"
                + "  examples: neuralj explain summary net.onnx --shape input=1x1x64x64\n"
                + "            neuralj explain gradcam net.onnx cells/ --output cams/\n"
                + "            neuralj explain saliency nuclei.onnx img.tif --class 0 --region 40,60,32,32 --output sal.tif\n"
                + "            neuralj explain summary unet.onnx --shape input=1x1x256x256 --graph unet.png\n"
                + BatchOptions.USAGE;
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        BatchOptions.accept(args, List.of("class", "layer", "normalize", "backend", "patch", "steps", "octaves", "shape", "graph",
                "region"),
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
            String graph = args.option("graph", null);
            if (graph != null) {
                ModelGraph.writePng(model, shapes, Path.of(graph));
                out.println("graph picture -> " + graph);
            }
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
            steps = Integer.parseInt(args.option("steps", method == Inspect.Method.SMOOTHGRAD ? Integer.toString(Explain.SMOOTHGRAD_SAMPLES) : "20"));
            octaves = Integer.parseInt(args.option("octaves", "3"));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage() + " (methods: summary, " + String.join(", ", Inspect.Method.keys()) + ")");
        }
        int[] region = region(args.option("region", null));
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
            if (region != null) {
                imp.setRoi(new ij.gui.Roi(region[0], region[1], region[2], region[3])); // Inspect explains a selection's area
            }
            Inspect.Result r = Inspect.run(request, imp);
            err.println(imp.getTitle() + ": " + r.description());
            return r.image();
        }), out, err);
    }

    /** --region X,Y,W,H as four whole numbers, or null. */
    static int[] region(String text) {
        if (text == null) {
            return null;
        }
        String[] p = text.split(",");
        try {
            if (p.length == 4) {
                int[] r = new int[4];
                for (int i = 0; i < 4; i++) {
                    r[i] = Integer.parseInt(p[i].trim());
                }
                if (r[0] >= 0 && r[1] >= 0 && r[2] > 0 && r[3] > 0) {
                    return r;
                }
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new Main.UsageException("bad --region '" + text + "': X,Y,WIDTH,HEIGHT in pixels, e.g. 40,60,32,32");
    }
}