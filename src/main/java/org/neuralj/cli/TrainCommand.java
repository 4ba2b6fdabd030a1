package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.neuralj.image.GreyConversion;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Normalization;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.task.ClassifierTraining;
import org.neuralj.train.task.SegmentationTraining;
import org.neuralj.train.task.TrainingListener;

/**
 * {@code neuralj train segmentation|classifier --images DIR [--masks DIR] --out MODEL.onnx --epochs N
 * --seed S ...}: trains a model in Java and writes MODEL.onnx and its card MODEL.json (with validation
 * metrics on a split by group). Progress: a line per epoch and every 10 steps. Ctrl-C stops it; the model
 * is written only at the end, so nothing half-trained is left.
 */
final class TrainCommand implements Main.Command {
    @Override
    public String summary() {
        return "train a segmentation model or a classifier from folders; writes MODEL.onnx + MODEL.json card";
    }

    @Override
    public String usage() {
        return "usage: neuralj train segmentation --images DIR --masks DIR --out MODEL.onnx --epochs N --seed S [options]\n"
                + "       neuralj train classifier --images DIR --out MODEL.onnx --epochs N --seed S [options]\n"
                + "  segmentation: image + mask pairs with the same name stem (masks: label or binary images)\n"
                + "  classifier:   one sub-folder of DIR per class (its name is the class name)\n"
                + "  --steps N       optimiser steps per epoch (default 50)       --batch N  (default 4 / 32)\n"
                + "  --lr X          peak learning rate (default 0.002)           --backend B (default auto)\n"
                + "  --channels 1|3  grey (RGB as luminance) or RGB input (default 1 / 3)\n"
                + "  --val F         fraction of groups held out for validation (default 0.2)\n"
                + "  --groups TABLE  TSV/CSV naming each file's group, so a split keeps groups together (e.g. BCCD's\n"
                + "                  MANIFEST.tsv: --groups MANIFEST.tsv --file-column crop --group-column source_image);\n"
                + "                  without it each image is its own group\n"
                + "  --name NAME     model name in the card (default: the file's stem)\n"
                + "  segmentation:   --crop N (default 128) --base N (U-Net channels, 16) --depth N (levels, 2)\n"
                + "                  a second output learns object cores (seeds that split touching nuclei);\n"
                + "                  --no-seeds trains the foreground alone\n"
                + "                  --limit N (at most N pairs) --every K (every K-th pair, for a spread-out subset)\n"
                + "                  --balance TABLE --balance-column COL: give each value of COL (e.g. DSB2018's\n"
                + "                  modality_guess) the same share of the crops; files matched by --file-column;\n"
                + "                  --balance-strength S (default 1): shares (share by area)^(1-S), 0 = unbalanced\n"
                + "                  --rescale-objects: resize images whose nuclei are far from the set's median size\n"
                + "                  (more than 1.5x either way) to it, and have Segment do the same (card rescale auto)\n"
                + "                  --rgb-to-grey luminance|red|green: how a 1-channel model reads RGB images\n"
                + "                  (default luminance; green keeps more of H&E nuclei's contrast); the card records it\n"
                + "  classifier:     --size N (input side, default 64) --base N (16) --stages N (residual stages, 2)\n"
                + "  --patience N    stop when the validation metric (accuracy / Dice) has not improved for N epochs, and\n"
                + "                  keep the best epoch's weights (default 0: run every epoch, keep the last)\n"
                + "  --elastic X     segmentation: elastic deformation, displacement sigma X crop pixels (default 0: off)\n"
                + "  --normalize N   segmentation: zscore (default) or zscore_invert_light (z-score, negated for images that\n"
                + "                  are mostly light, e.g. brightfield and H&E, so objects are bright on dark in every modality)\n"
                + "  transfer learning:\n"
                + "  --from MODEL.onnx   start from a model trained by NeuralJ (its architecture is used; a classifier's head\n"
                + "                      is re-initialised when the number of classes differs)\n"
                + "  --freeze A,B,...    do not train these layers (names as in `neuralj info MODEL`, e.g. stem,stage0 or\n"
                + "                      down0,down1); their batch norms keep the source's statistics\n"
                + "  --data TEXT --licence TEXT   recorded in the card (training data and its licence)";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.flags("no-seeds", "rescale-objects");
        args.allowOnly("no-seeds", "rescale-objects", "images", "masks", "out", "epochs", "seed", "steps", "batch", "lr", "backend", "channels", "val", "groups",
                "file-column", "group-column", "name", "crop", "base", "depth", "limit", "every", "size", "stages", "data", "licence",
                "from", "freeze", "patience", "elastic", "normalize", "balance", "balance-column", "balance-strength", "rgb-to-grey");
        String kind = args.positional(0, "segmentation or classifier");
        if (args.positional().size() > 1) {
            throw new Main.UsageException("unexpected word '" + args.positional().get(1) + "'");
        }
        boolean seg = switch (kind) {
            case "segmentation" -> true;
            case "classifier", "classification" -> false;
            default -> throw new Main.UsageException("train what? 'segmentation' or 'classifier', not '" + kind + "'");
        };
        Path images = Path.of(required(args, "images"));
        Path outFile = Path.of(required(args, "out"));
        if (!outFile.getFileName().toString().endsWith(".onnx")) {
            throw new Main.UsageException("--out must name an .onnx file (the card is written beside it as .json)");
        }
        int epochs = SegmentCommand.intOption(args, "epochs", 10);
        long seed = Long.parseLong(args.option("seed", "1"));
        int steps = SegmentCommand.intOption(args, "steps", 50);
        float lr = Float.parseFloat(args.option("lr", "0.002"));
        double val = Double.parseDouble(args.option("val", "0.2"));
        String backend = args.option("backend", "auto");
        String name = args.option("name", outFile.getFileName().toString().replaceFirst("\\.onnx$", ""));
        Path from = args.flag("from") ? Path.of(args.option("from", null)) : null;
        if (from != null && !Files.isRegularFile(from)) {
            throw new Main.UsageException("--from " + from + ": no such model file");
        }
        if (from != null && from.toAbsolutePath().normalize().equals(outFile.toAbsolutePath().normalize())) {
            throw new Main.UsageException("--out must differ from --from: the source model would be overwritten");
        }
        List<String> freeze = args.flag("freeze") ? List.of(args.option("freeze", "").split(",")) : List.of();
        int patience = SegmentCommand.intOption(args, "patience", 0);
        double elastic = Double.parseDouble(args.option("elastic", "0"));
        Function<Path, String> groups = null;
        if (args.flag("groups")) {
            groups = Datasets.groupsFromTable(Path.of(args.option("groups", null)), args.option("file-column", "file"),
                    args.option("group-column", "group"));
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("command", "neuralj train " + kind + " " + String.join(" ", commandLine(args)));
        if (args.flag("data")) {
            info.put("data", args.option("data", ""));
        }
        if (args.flag("licence")) {
            info.put("licence", args.option("licence", ""));
        }
        TrainingListener listener = new TrainingListener() {
            final long t0 = System.nanoTime();

            @Override
            public void step(int step, int total, double loss) {
                if (step % 10 == 0 || step == total) {
                    err.printf(Locale.ROOT, "step %d/%d loss %.4f (%.0f s)%n", step, total, loss, (System.nanoTime() - t0) / 1e9);
                }
            }

            @Override
            public void epoch(int epoch, int n, double loss, Map<String, Double> v) {
                out.printf(Locale.ROOT, "epoch %d/%d: training loss %.4f%s (%.0f s)%n", epoch, n, loss, v.isEmpty() ? "" : ", validation " + v,
                        (System.nanoTime() - t0) / 1e9);
            }

            @Override
            public void log(String line) {
                out.println(line);
            }
        };
        if (seg) {
            Path masks = Path.of(required(args, "masks"));
            Normalization normalization;
            try {
                normalization = Normalization.parse(args.option("normalize", "zscore"));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--normalize: " + e.getMessage());
            }
            SegmentationTraining.Balance balance = null;
            if (args.flag("balance")) {
                Function<Path, String> stratum = Datasets.groupsFromTable(Path.of(args.option("balance", null)),
                        args.option("file-column", "file"), required(args, "balance-column"));
                try {
                    balance = new SegmentationTraining.Balance(stratum, Double.parseDouble(args.option("balance-strength", "1")));
                } catch (IllegalArgumentException e) { // not a number (NumberFormatException), or outside 0..1
                    throw new Main.UsageException("--balance-strength: a number from 0 (unbalanced) to 1 (equal shares)");
                }
            } else if (args.flag("balance-column") || args.flag("balance-strength")) {
                throw new Main.UsageException("--balance-column and --balance-strength go with --balance TABLE");
            }
            int every = SegmentCommand.intOption(args, "every", 1);
            int[] counter = {0};
            java.util.function.Predicate<Path> filter = every <= 1 ? null : p -> counter[0]++ % every == 0;
            var r = SegmentationTraining.run(new SegmentationTraining.Config(images, masks, outFile, name,
                    SegmentCommand.intOption(args, "channels", 1), epochs, steps, SegmentCommand.intOption(args, "batch", 4),
                    SegmentCommand.intOption(args, "crop", 128), SegmentCommand.intOption(args, "base", 16),
                    SegmentCommand.intOption(args, "depth", 2), lr, seed, val, SegmentCommand.intOption(args, "limit", 0), filter, groups,
                    backend, info, !args.flag("no-seeds"), from, freeze, patience, elastic, normalization, balance,
                    args.flag("rescale-objects"), rgbToGrey(args)), listener);
            out.println("wrote " + r.model() + " and " + r.cardFile());
        } else {
            if (args.flag("masks")) {
                throw new Main.UsageException("a classifier learns from class sub-folders: --masks does not apply");
            }
            if (args.flag("elastic")) {
                throw new Main.UsageException("--elastic deforms segmentation crops; it does not apply to a classifier");
            }
            if (args.flag("balance")) {
                throw new Main.UsageException("--balance applies to segmentation; a classifier balances its classes already");
            }
            if (args.flag("normalize")) {
                throw new Main.UsageException("--normalize applies to segmentation; a classifier normalises each crop by z-score");
            }
            int size = SegmentCommand.intOption(args, "size", 64);
            Path sourceCard = from == null ? null : ModelCard.cardFileOf(from);
            if (!args.flag("size") && sourceCard != null && Files.isRegularFile(sourceCard)) {
                size = ModelCard.read(sourceCard).inputSize(); // fine-tune at the size the source learned
            }
            var r = ClassifierTraining.run(new ClassifierTraining.Config(images, outFile, name, SegmentCommand.intOption(args, "channels", 3),
                    size, epochs, steps, SegmentCommand.intOption(args, "batch", 32),
                    SegmentCommand.intOption(args, "base", 16), SegmentCommand.intOption(args, "stages", 2), lr, seed, val, groups, backend,
                    info, from, freeze, patience), listener);
            out.println("wrote " + r.model() + " and " + r.cardFile());
        }
    }

    private static String required(Args args, String name) {
        String v = args.option(name, null);
        if (v == null) {
            throw new Main.UsageException("--" + name + " is required");
        }
        return v;
    }

    private static final List<String> RECORDED = List.of("images", "masks", "out", "epochs", "seed", "steps", "batch", "lr", "channels",
            "val", "groups", "file-column", "group-column", "name", "crop", "base", "depth", "limit", "every", "size", "stages", "backend",
            "from", "freeze", "patience", "elastic", "normalize", "balance", "balance-column", "balance-strength", "rgb-to-grey");

    /** --rgb-to-grey luminance|red|green (luminance when absent). */
    private static GreyConversion rgbToGrey(Args args) {
        try {
            return GreyConversion.parse(args.option("rgb-to-grey", "luminance"), "--rgb-to-grey");
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
    }

    /** The options given, in a fixed order, for the card's "command" (data/licence texts left out). */
    private static List<String> commandLine(Args args) {
        List<String> words = new java.util.ArrayList<>();
        for (String n : RECORDED) {
            if (args.flag(n)) {
                words.add("--" + n);
                words.add(args.option(n, ""));
            }
        }
        for (String flag : List.of("no-seeds", "rescale-objects")) {
            if (args.flag(flag)) {
                words.add("--" + flag);
            }
        }
        return words;
    }
}
