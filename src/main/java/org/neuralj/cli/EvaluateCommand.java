package org.neuralj.cli;

import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.neuralj.image.GreyConversion;
import org.neuralj.image.Instances;
import org.neuralj.image.Json;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Segmenter;
import org.neuralj.train.data.Augment;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.data.Sample;
import org.neuralj.train.task.Baselines;
import org.neuralj.train.task.Metrics;

/**
 * {@code neuralj evaluate --model NAME|FILE|otsu --images DIR --masks DIR ...}: scores a segmentation model
 * (or the Otsu baseline) against label masks with one scoring code: foreground Dice, AP50, F1 and mean AP
 * over IoU 0.5:0.95, overall and per group (e.g. modality), as JSON.
 */
final class EvaluateCommand implements Main.Command {
    @Override
    public String summary() {
        return "score a segmentation model or the Otsu baseline against label masks (Dice, AP50, F1, mAP)";
    }

    @Override
    public String usage() {
        return "usage: neuralj evaluate --model NAME|FILE|otsu --images DIR --masks DIR [--files-from CARD.json]\n"
                + "       [--instances auto|components|watershed|seeds] [--by TABLE --file-column C --group-column G] [--augment N]\n"
                + "       [--diameter auto|off|D] [--backend B]\n"
                + "  --files-from   score only the validation files a training recorded in its card\n"
                + "  --by           report per group too (e.g. DSB2018's MANIFEST.tsv, image_id, modality_guess)\n"
                + SegmentCommand.AUGMENT_USAGE
                + SegmentCommand.DIAMETER_USAGE
                + "  Prints one JSON object: overall and per-group dice, ap50, f1_50, mean_ap_50_95.";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.flags();
        args.allowOnly("model", "images", "masks", "files-from", "instances", "by", "file-column", "group-column", "backend", "augment", "diameter");
        String model = args.option("model", null);
        if (model == null || !args.flag("images") || !args.flag("masks")) {
            throw new Main.UsageException("--model, --images and --masks are required");
        }
        Segmenter.InstanceMethod method;
        try {
            method = Segmenter.InstanceMethod.valueOf(args.option("instances", "auto").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --instances: auto, components, watershed or seeds");
        }
        boolean watershed = method == Segmenter.InstanceMethod.WATERSHED;
        Set<String> only = null;
        if (args.flag("files-from")) {
            ModelCard card = ModelCard.read(Path.of(args.option("files-from", null)));
            Object files = card.training().get("validation_files");
            if (!(files instanceof List<?> l)) {
                throw new Main.UsageException(args.option("files-from", null) + " records no training.validation_files");
            }
            only = new HashSet<>();
            for (Object o : l) {
                only.add(String.valueOf(o));
            }
        }
        Set<String> keep = only;
        boolean otsu = model.equals("otsu");
        if (otsu && (method == Segmenter.InstanceMethod.SEEDS)) {
            throw new Main.UsageException("the Otsu baseline has no seeds: --instances components or watershed");
        }
        if (otsu && (args.flag("augment") || args.flag("diameter"))) {
            throw new Main.UsageException("the Otsu baseline runs no network: --augment and --diameter do not apply");
        }
        Segmenter seg = otsu ? null : Segmenter.open(new Segmenter.Request(model, Segmenter.Output.LABELS, method, 0, 0, Double.NaN,
                args.option("backend", "auto"), SegmentCommand.augmentOption(args), SegmentCommand.rescaleOption(args)), null);
        try {
            // the images as the model takes them: RGB for a 3-channel model (read as grey, an RGB model trained on
            // colour would be scored on luminance only)
            List<Sample> samples = Datasets.pairs(Path.of(args.option("images", null)), Path.of(args.option("masks", null)),
                    otsu ? 1 : seg.card().channels(), otsu ? GreyConversion.LUMINANCE : seg.card().rgbToGrey(), null,
                    keep == null ? null : p -> keep.contains(p.getFileName().toString()), 0);
            Function<Path, String> by = args.flag("by") ? Datasets.groupsFromTable(Path.of(args.option("by", null)),
                    args.option("file-column", "file"), args.option("group-column", "group")) : null;
            score(samples, seg, watershed, by, method, model, out);
        } finally {
            if (seg != null) {
                seg.close();
            }
        }
    }

    /** Segments (or, without a Segmenter, thresholds with Otsu) every sample and prints the scores as JSON. */
    private static void score(List<Sample> samples, Segmenter seg, boolean watershed, Function<Path, String> by,
                              Segmenter.InstanceMethod method, String model, PrintStream out) {
        long t0 = System.nanoTime();
        Metrics.Counts all = new Metrics.Counts();
        Map<String, Metrics.Counts> groups = new TreeMap<>();
        for (Sample s : samples) {
            ImageProcessor ip = Augment.processor(s);
            ImageProcessor labels;
            if (seg == null) {
                ByteProcessor mask = Baselines.otsuMask(ip);
                labels = watershed ? Instances.watershedLabels(mask) : Instances.components(mask);
            } else {
                labels = seg.segmentPlane(ip, null);
            }
            int[] pred = Instances.values(labels);
            all.add(s.labels(), pred);
            if (by != null) {
                groups.computeIfAbsent(by.apply(Path.of(s.file())), k -> new Metrics.Counts()).add(s.labels(), pred);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("instances", method.name().toLowerCase(Locale.ROOT));
        m.put("seconds", (System.nanoTime() - t0) / 1e9);
        m.put("overall", all.toMap());
        if (by != null) {
            Map<String, Object> g = new LinkedHashMap<>();
            groups.forEach((k, v) -> g.put(k, v.toMap()));
            m.put("by_group", g);
        }
        out.print(Json.write(m));
        System.err.printf(Locale.ROOT, "evaluate %s (%s): %d images, Dice %.3f, AP50 %.3f%n", model, m.get("instances"), samples.size(),
                all.dice(), all.ap(0));
    }
}
