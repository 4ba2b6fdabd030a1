package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.neuralj.image.ObjectScale;
import org.neuralj.image.Segmenter;

/**
 * {@code neuralj segment --model NAME|FILE [--output labels|mask|prob] INPUT... OUTDIR}: one output per
 * input image with the input's name, on the shared batch layer (resume, shards, --json, exit codes).
 */
final class SegmentCommand implements Main.Command {
    @Override
    public String summary() {
        return "segment images of any size with a model (tiled): labels, mask or probability map";
    }

    @Override
    public String usage() {
        return "usage: neuralj segment --model NAME|FILE [--output labels|mask|prob] INPUT... OUTDIR\n"
                + "       [--instances auto|components|watershed|seeds] [--threshold P] [--tile N] [--halo N] [--augment N]\n"
                + "       [--diameter auto|off|D] [--backend B]\n"
                + "  --model        a model name (e.g. nuclei: its card NAME.json in sample-data/models, -Dneuralj.models\n"
                + "                 or NEURALJ_MODELS) or an .onnx / .json file\n"
                + "  --output       labels (default): 16-bit TIFF, 0 = background, 1..N objects; mask: 8-bit, 255 =\n"
                + "                 foreground; prob: 32-bit foreground probability\n"
                + "  --instances    auto (default: seeds when the model has a seed channel, else components),\n"
                + "                 components (8-connected), watershed (ImageJ's distance-transform watershed on the\n"
                + "                 mask), seeds (a watershed seeded by the model's object-core channel:\n"
                + "                 splits touching nuclei)\n"
                + "  --tile N       tile side (default: the card's, else 512); each tile keeps a halo of the model's\n"
                + "                 receptive field (computed from the graph; --halo below it is refused)\n"
                + AUGMENT_USAGE
                + DIAMETER_USAGE
                + "  Stacks and time series are segmented plane by plane. Out of device memory halves the tile.\n"
                + "  example: neuralj segment --model nuclei raw/ labels/\n"
                + BatchOptions.USAGE.replace("  --output PATH   output folder (mirrors the input tree; names end in .tif), or, for one\n"
                        + "                  input file, the output file itself (OUT.tif)\n", "  OUTDIR          output folder (mirrors the input tree; names end in .tif)\n");
    }

    static final String AUGMENT_USAGE = "  --augment N    test-time augmentation: average the network over N symmetries of each tile (1 off,\n"
            + "                 2, 4 or 8: flips, then 90-degree turns; N times the run time); default: the card's\n";

    static final String DIAMETER_USAGE = "  --diameter D   the objects' size in the images, in pixels (their median inscribed diameter): each\n"
            + "                 plane is resized so they match the training objects (card object_diameter) and the\n"
            + "                 results resized back; auto measures it from a first pass and resizes only planes\n"
            + "                 whose objects differ by more than the card's rescale_tolerance; off: never;\n"
            + "                 default: the card's rescale\n";

    /** --diameter auto|off|D (the card's choice when absent). */
    static ObjectScale.Rescale rescaleOption(Args args) {
        try {
            return ObjectScale.Rescale.parse(args.option("diameter", null));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --diameter: " + e.getMessage());
        }
    }

    /** --augment N (0 when absent: the card's). */
    static int augmentOption(Args args) {
        int n = intOption(args, "augment", 0);
        if (args.flag("augment") && !Segmenter.validAugment(n)) {
            throw new Main.UsageException("bad --augment " + args.option("augment", "") + ": 1 (off), 2, 4 or 8");
        }
        return n;
    }

    /** The batch options with the output folder taken from the last positional word (segment's --output is the kind). */
    static BatchOptions batchWithOutdir(Args args, int firstInput, java.util.Map<String, String> env) {
        List<String> words = args.positional();
        if (words.size() < firstInput + 2) {
            throw new Main.UsageException("give INPUT... OUTDIR (at least one input and the output folder)");
        }
        Path outdir = Path.of(words.get(words.size() - 1));
        if (java.nio.file.Files.isRegularFile(outdir)) {
            throw new Main.UsageException("OUTDIR " + outdir + " is a file: the last word must be the output folder");
        }
        List<String> inputs = List.copyOf(words.subList(firstInput, words.size() - 1));
        String suffix = args.option("suffix", "");
        if (suffix.contains("/") || suffix.contains("\\")) {
            throw new Main.UsageException("--suffix must not contain a path separator");
        }
        Shard shard = args.flag("shard") ? Shard.parse(args.option("shard", null)) : Shard.fromEnvironment(env);
        BatchOptions.Progress progress;
        try {
            progress = BatchOptions.Progress.valueOf(args.option("progress", "auto").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --progress '" + args.option("progress", "") + "': auto, bar, lines or none");
        }
        return new BatchOptions(inputs, outdir, false, args.options("glob"), suffix, args.flag("overwrite"), args.flag("json"), shard,
                progress);
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        BatchOptions.accept(args, List.of("model", "instances", "threshold", "tile", "halo", "backend", "augment", "diameter"), List.of());
        String model = args.option("model", null);
        if (model == null) {
            throw new Main.UsageException("--model is required (a name such as nuclei, or an .onnx / .json file)");
        }
        Segmenter.Output output;
        Segmenter.InstanceMethod instances;
        try {
            output = Segmenter.Output.valueOf(args.option("output", "labels").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --output '" + args.option("output", "") + "': labels, mask or prob");
        }
        try {
            instances = Segmenter.InstanceMethod.valueOf(args.option("instances", "auto").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --instances '" + args.option("instances", "") + "': auto, components, watershed or seeds");
        }
        int tile = intOption(args, "tile", 0);
        int halo = intOption(args, "halo", 0);
        double threshold;
        try {
            threshold = Double.parseDouble(args.option("threshold", "NaN"));
        } catch (NumberFormatException e) {
            throw new Main.UsageException("bad --threshold: a probability such as 0.5");
        }
        BatchOptions batch = batchWithOutdir(args, 0, System.getenv());
        BatchRunner.Plan plan = BatchRunner.plan(batch);
        PrintStream lines = batch.json() ? err : out;
        Segmenter.Request request;
        try {
            request = new Segmenter.Request(model, output, instances, tile, halo, threshold, args.option("backend", "auto"),
                    augmentOption(args), rescaleOption(args));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        Segmenter seg;
        try {
            seg = Segmenter.open(request, lines::println);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        try (seg) {
            lines.printf("segment: %s on %s, %d-pixel tiles, halo %d, stride %d, output %s%n", seg.card().name(), seg.backendName(),
                    seg.tile(), seg.halo(), seg.stride(), output.name().toLowerCase(Locale.ROOT));
            BatchRunner.run("segment", plan, BatchRunner.images(imp -> seg.segment(imp, null)), out, err);
        }
    }

    static int intOption(Args args, String name, int def) {
        String v = args.option(name, null);
        if (v == null) {
            return def;
        }
        try {
            int i = Integer.parseInt(v);
            if (i < 0) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new Main.UsageException("bad --" + name + " '" + v + "': a whole number >= 0");
        }
    }
}
