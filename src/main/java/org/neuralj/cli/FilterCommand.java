package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.filter.FilterException;
import org.neuralj.filter.GaussianKernels;
import org.neuralj.filter.Kernel2D;
import org.neuralj.image.FilterImages;

/**
 * {@code neuralj filter FILTER [parameters] INPUT... --output OUT} (or {@code ... IN OUT}): a classic
 * filter on every slice of image files or folders; outputs keep the input's bit depth, title and
 * calibration (TIFF). The same filters and numbers as Plugins › NeuralJ › Filters.
 */
final class FilterCommand implements Main.Command {
    private static final List<String> OWN = List.of("sigma", "sigma-y", "sigma2", "weight", "radius", "kernel",
            "kernel-file", "edge", "backend");
    private static final List<String> OWN_FLAGS = List.of("eight", "no-normalize");

    @Override
    public String summary() {
        return "classic filters (gaussian, mean, unsharp, sharpen, edges, sobel-x/y, laplacian, log, dog, emboss, custom)";
    }

    @Override
    public String usage() {
        return "usage: neuralj filter FILTER [parameters] INPUT... --output OUT   (or: neuralj filter FILTER [parameters] IN OUT)\n"
                + "  FILTER and its parameters (sigmas and radii in pixels):\n"
                + "    gaussian --sigma S [--sigma-y S]     Gaussian blur, as ImageJ's (same kernel and accuracy)\n"
                + "    mean --radius R                      mean over a (2R+1)^2 square\n"
                + "    unsharp --sigma S --weight W         unsharp mask, as ImageJ's (W in [0, 1))\n"
                + "    sharpen | emboss | edges | sobel-x | sobel-y\n"
                + "    laplacian [--eight]                  4- (or 8-) neighbour Laplacian\n"
                + "    log --sigma S                        Laplacian of Gaussian\n"
                + "    dog --sigma S1 --sigma2 S2           difference of Gaussians\n"
                + "    custom --kernel TEXT | --kernel-file K.txt [--no-normalize]\n"
                + "                                         any odd-sized kernel: rows separated by newlines or '\\n'\n"
                + "  --edge edge|zero|reflect   the border (default edge: ImageJ's repeated edge pixels)\n"
                + "  --backend auto|cpu|opencl[:N]\n"
                + "  Every slice (RGB: each channel) is filtered; 8/16-bit results are rounded and clamped as ImageJ does.\n"
                + "  examples: neuralj filter gaussian --sigma 2 cells.tif cells-blur.tif\n"
                + "            neuralj filter custom --kernel '-1 -1 -1\\n-1 8 -1\\n-1 -1 -1' raw/ --output edges/\n"
                + BatchOptions.USAGE;
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        BatchOptions.accept(args, OWN, OWN_FLAGS);
        String name = args.positional(0, "FILTER (gaussian, mean, unsharp, sharpen, edges, sobel-x, sobel-y, laplacian, log, dog, emboss, custom)");
        if (!args.flag("output")) {
            args = withPositionalOutput(args);
        }
        EdgeMode edge;
        try {
            edge = EdgeMode.parse(args.option("edge", "edge"));
            filterFor(args, name, 32);                 // check the parameters before touching any file
        } catch (FilterException e) {
            throw new Main.UsageException(e.getMessage());
        }
        final Args a = args;
        BatchOptions batch = BatchOptions.parse(args, 1, System.getenv());
        BatchRunner.Plan plan = BatchRunner.plan(batch);
        try (Backend backend = Backends.select(args.option("backend", "auto"))) {
            (batch.json() ? err : out).println("filter " + name + " on " + backend.name());
            BatchRunner.run("filter", plan, BatchRunner.images(imp -> {
                Filter f = filterFor(a, name, imp.getBitDepth());
                FilterImages.filter(backend, f, edge, imp, true, null);
                return imp;
            }), out, err);
        }
    }

    /** {@code FILTER [params] IN OUT} without --output: the last positional word is the output. */
    private static Args withPositionalOutput(Args args) {
        List<String> pos = args.positional();
        if (pos.size() < 3) {
            throw new Main.UsageException("give the output: neuralj filter FILTER ... IN OUT, or --output OUT");
        }
        List<String> words = new ArrayList<>(pos.subList(0, pos.size() - 1));
        words.add("--output");
        words.add(pos.get(pos.size() - 1));
        List<String> names = new ArrayList<>(BatchOptions.NAMES);
        names.addAll(OWN);
        for (String n : names) {
            if (BatchOptions.FLAGS.contains(n) && args.flag(n)) {
                words.add("--" + n);
            } else if (!BatchOptions.FLAGS.contains(n)) {
                for (String v : args.options(n)) {
                    words.add("--" + n + "=" + v);
                }
            }
        }
        for (String f : OWN_FLAGS) {
            if (args.flag(f)) {
                words.add("--" + f);
            }
        }
        Args rebuilt = new Args(words);
        BatchOptions.accept(rebuilt, OWN, OWN_FLAGS);
        return rebuilt;
    }

    /** The filter named on the command line, for an image of this bit depth (ImageJ's Gaussian accuracy). */
    static Filter filterFor(Args args, String name, int bitDepth) throws java.io.IOException {
        double accuracy = GaussianKernels.accuracyFor(bitDepth);
        switch (name) {
            case "gaussian": {
                double s = number(args, "sigma", null);
                return new Filter.Gaussian(s, number(args, "sigma-y", s), accuracy);
            }
            case "mean":
                return new Filter.Mean((int) Math.round(number(args, "radius", null)));
            case "unsharp":
                return new Filter.UnsharpMask(number(args, "sigma", null), number(args, "weight", 0.6));
            case "sharpen":
                return Filter.Fixed.sharpen();
            case "emboss":
                return Filter.Fixed.emboss();
            case "edges":
                return new Filter.FindEdges();
            case "sobel-x":
                return Filter.Fixed.sobelX();
            case "sobel-y":
                return Filter.Fixed.sobelY();
            case "laplacian":
                return Filter.Fixed.laplacian(args.flag("eight"));
            case "log":
                return new Filter.LaplacianOfGaussian(number(args, "sigma", null));
            case "dog":
                return new Filter.DifferenceOfGaussians(number(args, "sigma", null), number(args, "sigma2", null), accuracy);
            case "custom": {
                String text = args.option("kernel", null);
                String file = args.option("kernel-file", null);
                if ((text == null) == (file == null)) {
                    throw new FilterException("custom needs exactly one of --kernel TEXT and --kernel-file FILE");
                }
                Kernel2D k = text != null ? Kernel2D.parse(text) : Kernel2D.read(Path.of(file));
                return new Filter.Custom(k, !args.flag("no-normalize"));
            }
            default:
                throw new FilterException("unknown filter '" + name + "': gaussian, mean, unsharp, sharpen, edges, sobel-x, "
                        + "sobel-y, laplacian, log, dog, emboss or custom");
        }
    }

    private static double number(Args args, String name, Double dflt) {
        String v = args.option(name, null);
        if (v == null) {
            if (dflt == null) {
                throw new FilterException("--" + name + " is required");
            }
            return dflt;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new FilterException("--" + name + " '" + v + "' is not a number");
        }
    }
}
