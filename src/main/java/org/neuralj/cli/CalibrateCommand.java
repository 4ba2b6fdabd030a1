package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.neuralj.image.Json;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Segmenter;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.data.Sample;
import org.neuralj.train.task.SeedCalibration;
import org.neuralj.train.task.SegmentationTraining;

/**
 * {@code neuralj calibrate --model NAME|FILE --images DIR --masks DIR [--write]}: picks a seed-channel model's
 * instance settings (threshold, seed_threshold, min_seed, min_area) for the best AP50 on annotated images that
 * are not its validation split ({@link SeedCalibration}), and with {@code --write} stores them in its card.
 */
final class CalibrateCommand implements Main.Command {
    @Override
    public String summary() {
        return "tune a seed-channel segmentation model's instance settings on its training images (AP50)";
    }

    @Override
    public String usage() {
        return "usage: neuralj calibrate --model NAME|FILE --images DIR --masks DIR [--write] [--object-size] [--augment N] [--backend B]\n"
                + "  Runs the model once per annotated image, then picks the foreground threshold, seed_threshold,\n"
                + "  min_seed and min_area that give the best AP50 over them (the seeded watershed of --instances seeds).\n"
                + "  The images in the card's training.validation_files are left out, so validation scores stay honest.\n"
                + "  --write   store the settings in the model card (and how they were found under training.calibration);\n"
                + "            without it the card is not touched. Prints one JSON object: before and after.\n"
                + "  --object-size  (with --write) first measure the training masks' object size (median over the images\n"
                + "            of each mask's area-weighted median inscribed diameter), store it as object_diameter with\n"
                + "            rescale auto (see segment --diameter), then tune the settings on maps made that way\n"
                + SegmentCommand.AUGMENT_USAGE
                + "                 (with --write, N is stored too: the settings suit the averaged maps)";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.flags("write", "object-size");
        args.allowOnly("model", "images", "masks", "write", "object-size", "backend", "augment");
        if (args.flag("object-size") && !args.flag("write")) {
            throw new Main.UsageException("--object-size stores the size in the card: give --write too");
        }
        String model = args.option("model", null);
        if (model == null || !args.flag("images") || !args.flag("masks")) {
            throw new Main.UsageException("--model, --images and --masks are required");
        }
        Segmenter.Request request = new Segmenter.Request(model, Segmenter.Output.LABELS, Segmenter.InstanceMethod.SEEDS, 0, 0,
                Double.NaN, args.option("backend", "auto"), SegmentCommand.augmentOption(args));
        List<Sample> samples = null;
        Map<String, Object> sized = null;
        if (args.flag("object-size")) {
            try (Segmenter seg = openChecked(request, args)) {
                samples = trainingSamples(seg, args, err);
                sized = writeObjectSize(seg, samples, err);
            }
        }
        // opened (again) once the object size is in the card: the settings are then tuned on maps made with it
        try (Segmenter seg = openChecked(request, args)) {
            Path cardFile = seg.cardFile();
            if (samples == null) {
                samples = trainingSamples(seg, args, err);
            }
            int validation = seg.card().training().get("validation_files") instanceof List<?> l ? l.size() : 0;
            long t0 = System.nanoTime();
            SeedCalibration.Result r = SeedCalibration.calibrate(seg, samples, err::println);
            Map<String, Object> record = SeedCalibration.record(r, samples.size(), (System.nanoTime() - t0) / 1e9);
            record.put("left_out_validation_images", validation);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model);
            if (sized != null) {
                m.put("object_size", sized);
                record.put("object_size", sized);
            }
            m.putAll(record);
            if (args.flag("write")) {
                record.put("command", "bin/neuralj calibrate --model " + model + " --images " + args.option("images", null)
                        + " --masks " + args.option("masks", null) + (args.flag("augment") ? " --augment " + seg.augment() : "")
                        + (sized != null ? " --object-size" : "") + " --write");
                SeedCalibration.write(cardFile, r, record, seg.augment());
                err.println("wrote the settings into " + cardFile + "; its validation metrics were measured with the old ones: "
                        + "run neuralj evaluate again");
            }
            out.print(Json.write(m));
            err.printf(Locale.ROOT, "calibrate: AP50 %.4f -> %.4f on %d images (%s)%n", r.before().ap(0), r.after().ap(0), samples.size(),
                    SeedCalibration.describe(r.best()));
        }
    }

    /** The annotated images not in the card's validation split. */
    private static List<Sample> trainingSamples(Segmenter seg, Args args, PrintStream err) {
        Set<String> validation = new HashSet<>();
        if (seg.card().training().get("validation_files") instanceof List<?> l) {
            l.forEach(o -> validation.add(String.valueOf(o)));
        } else {
            err.println("note: the card records no training.validation_files: every image is used");
        }
        return Datasets.pairs(Path.of(args.option("images", null)), Path.of(args.option("masks", null)), seg.card().channels(),
                seg.card().rgbToGrey(), null,
                p -> !validation.contains(p.getFileName().toString()), 0);
    }

    /** The model opened for calibration, refused when it has no seed channel or, with --write, no card. */
    private static Segmenter openChecked(Segmenter.Request request, Args args) {
        Segmenter seg = Segmenter.open(request, null);
        String problem = !seg.hasSeeds() ? " has no seed channel (card key \"seed_channel\"): nothing to calibrate"
                : args.flag("write") && seg.cardFile() == null ? " has no model card to write the settings into" : null;
        if (problem != null) {
            seg.close();
            throw new Main.UsageException(request.model() + problem);
        }
        return seg;
    }

    /**
     * Measures the object size of the training masks (the images calibration uses: not the card's validation
     * files) and writes it into the card with {@code rescale: auto}; what it did, for the record.
     */
    private static Map<String, Object> writeObjectSize(Segmenter seg, List<Sample> samples, PrintStream err) {
        Map<String, Object> keys = Segmenter.rescaleKeys(SegmentationTraining.trainingObjectDiameter(samples), seg.rescaleTolerance());
        ModelCard card = ModelCard.read(seg.cardFile());
        card.withSettings(card.threshold(), keys).write(seg.cardFile());
        err.printf(Locale.ROOT, "object size: %.1f px (median over %d training masks); written with rescale auto%n",
                ((Number) keys.get(Segmenter.OBJECT_DIAMETER)).doubleValue(), samples.size());
        Map<String, Object> m = new LinkedHashMap<>(keys);
        m.put("images", samples.size());
        return m;
    }
}
