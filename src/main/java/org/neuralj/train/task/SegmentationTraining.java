package org.neuralj.train.task;

import ij.ImagePlus;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.image.GreyConversion;
import org.neuralj.image.Instances;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Models;
import org.neuralj.image.Normalization;
import org.neuralj.image.NormalizationStats;
import org.neuralj.image.ObjectScale;
import org.neuralj.image.ReceptiveField;
import org.neuralj.image.Segmenter;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.train.Init;
import org.neuralj.train.LrSchedule;
import org.neuralj.train.OnnxExport;
import org.neuralj.train.Optimizer;
import org.neuralj.train.Tape;
import org.neuralj.train.Transfer;
import org.neuralj.train.Var;
import org.neuralj.train.data.Augment;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.data.ObjectCores;
import org.neuralj.train.data.Sample;
import org.neuralj.train.data.Split;

/**
 * Trains a residual U-Net for foreground segmentation from folders of image + mask pairs: random
 * augmented crops (images drawn by {@link #cropWeights}), sigmoid cross-entropy + Dice loss, Adam with warm-up and cosine decay; a validation
 * split by group; writes the ONNX model and its card, with validation metrics measured through the
 * same {@link Segmenter} that users run (tiling included).
 */
public final class SegmentationTraining {

    /**
     * @param images        folder of images
     * @param masks         folder of masks (same name stems)
     * @param out           the .onnx file to write (the card goes beside it)
     * @param name          model name (card)
     * @param channels      1 or 3
     * @param epochs        epochs
     * @param steps         optimiser steps per epoch
     * @param batch         crops per step
     * @param crop          crop side (a multiple of the stride)
     * @param base          U-Net channels at the top level
     * @param depth         U-Net levels
     * @param lr            peak learning rate
     * @param seed          seeds initialisation, split, crops and augmentation
     * @param validation    fraction of groups held out
     * @param limit         at most this many image pairs (0: all)
     * @param filter        which images to take (null: all)
     * @param groups        split key per image file (null: the file)
     * @param backend       backend spec
     * @param trainingInfo  free-form card entries (data, licence, command)
     * @param seeds         also learn object cores ({@link ObjectCores}, a second output channel): instances then
     *                      come from a watershed seeded by them, which splits touching nuclei
     * @param balance       shares of the crops per stratum of image files (e.g. their modality), see {@link Balance};
     *                      null: images drawn by area alone
     * @param rescaleObjects resize training images whose objects differ from the training set's median size by more
     *                      than {@link Segmenter#DEFAULT_RESCALE_TOLERANCE} to that size (see {@link ObjectScale}); the
     *                      card then asks Segment to do the same (rescale auto)
     * @param rgbToGrey     how RGB images are read for a one-channel model (null: luminance); the card records it
     */
    public record Config(Path images, Path masks, Path out, String name, int channels, int epochs, int steps, int batch, int crop,
                         int base, int depth, float lr, long seed, double validation, int limit, Predicate<Path> filter,
                         Function<Path, String> groups, String backend, Map<String, Object> trainingInfo, boolean seeds,
                         Path from, List<String> freeze, int patience, double elastic, Normalization normalization,
                         Balance balance, boolean rescaleObjects, GreyConversion rgbToGrey) {

        public Config(Path images, Path masks, Path out, String name, int channels, int epochs, int steps, int batch, int crop, int base,
                      int depth, float lr, long seed, double validation, int limit, Predicate<Path> filter, Function<Path, String> groups,
                      String backend, Map<String, Object> trainingInfo, boolean seeds) {
            this(images, masks, out, name, channels, epochs, steps, batch, crop, base, depth, lr, seed, validation, limit, filter, groups,
                    backend, trainingInfo, seeds, null, List.of(), 0, 0, Normalization.ZSCORE, null, false, null);
        }

        public Config {
            freeze = TrainingRuns.checkedFreeze(from, freeze);
            if (normalization == null) {
                normalization = Normalization.ZSCORE;
            }
            if (rgbToGrey == null) {
                rgbToGrey = GreyConversion.LUMINANCE;
            }
            if (from != null) {
                // the source's architecture wins: its weights only fit a network of the same shape
                int[] shape = Transfer.unetShape(OnnxReader.read(from), from.toString());
                channels = shape[0];
                base = shape[1];
                depth = shape[2];
                seeds = shape[3] == 2;
            }
        }
    }

    public record Result(ModelCard card, Path model, Path cardFile) {
    }

    /**
     * Crops balanced over strata: {@code stratum} names each image file's (e.g. its modality, from a table);
     * {@code strength} 1 gives every stratum the same share, 0 leaves the shares as drawing by area makes them,
     * between them share ~ (share by area)^(1 - strength): 0.5 doubles a stratum with a quarter of the
     * images' weight where 1 would make it a third.
     */
    public record Balance(Function<Path, String> stratum, double strength) {
        public Balance {
            if (!(strength >= 0 && strength <= 1)) {
                throw new IllegalArgumentException("balance strength must be 0 to 1, not " + strength);
            }
        }
    }

    /** Objects below this area (pixels) are dropped by the trained model's card ("min_area"): speckle. */
    public static final int MIN_AREA = 10;

    private SegmentationTraining() {
    }

    public static Result run(Config c, TrainingListener l) {
        if (c.crop() % (1 << c.depth()) != 0) {
            throw new IllegalArgumentException("crop " + c.crop() + " must be a multiple of the stride " + (1 << c.depth()));
        }
        Trained trained = train(c, l);
        List<Sample> validation = trained.validation();
        Map<String, Object> extra = trained.extra();
        ReceptiveField rf = ReceptiveField.of(Models.loadTileable(c.out()), c.channels(), 256);
        Map<String, Object> training = new LinkedHashMap<>(c.trainingInfo() == null ? Map.of() : c.trainingInfo());
        training.put("seed", c.seed());
        training.put("epochs", c.epochs());
        training.put("steps_per_epoch", c.steps());
        training.put("batch", c.batch());
        training.put("crop", c.crop());
        training.put("training_images", trained.trainingImages());
        training.put("validation_images", validation.size());
        training.put("validation_split", "by group, fraction " + c.validation() + ", seed " + c.seed());
        training.put("validation_files", validation.stream().map(x -> Path.of(x.file()).getFileName().toString()).toList());
        if (c.elastic() > 0) {
            training.put("elastic", c.elastic());
        }
        training.putAll(extra);
        int tile = Math.max(256, TilePlanSizes.tileFor(rf));
        Map<String, Object> keys = new LinkedHashMap<>();
        if (c.seeds()) {
            keys.put("seed_channel", 1);
        }
        keys.put("min_area", MIN_AREA);
        if (trained.objectDiameter() > 0) {
            keys.putAll(Segmenter.rescaleKeys(trained.objectDiameter(), Segmenter.DEFAULT_RESCALE_TOLERANCE));
        }
        if (c.rgbToGrey() != GreyConversion.LUMINANCE) {
            keys.put(ModelCard.RGB_TO_GREY, c.rgbToGrey().key());
        }
        if (trained.greyImages()) {
            keys.put(ModelCard.GREY_INPUT, "replicate"); // it learnt grey images as R = G = B: users' grey images go in the same way
        }
        ModelCard card = new ModelCard(c.name(), ModelCard.Task.SEGMENTATION, c.out().getFileName().toString(), "bcyx", c.channels(),
                c.normalization(), 0, "sigmoid", List.of("background", "foreground"), 0.5, tile, rf.radius(), rf.stride(), training,
                Map.of(), keys);
        Path cardFile = ModelCard.cardFileOf(c.out());
        card = card.write(cardFile);
        if (c.seeds()) {
            card = calibrate(c, cardFile, validation, l);
        }
        if (!validation.isEmpty()) {
            l.log("validating on " + validation.size() + " held-out images through the Segment command's path (tiled)");
            Map<String, Object> metrics = evaluate(cardFile.toString(), validation, c.backend());
            card = card.withMetrics(metrics);
            card.write(cardFile);
            l.log("validation: " + metrics);
        }
        return new Result(card, c.out(), cardFile);
    }

    /**
     * Tunes the seeded watershed's settings ({@link SeedCalibration}) on the training images, loaded again as
     * training read them, without the validation split; writes them into the card before it is validated.
     */
    private static ModelCard calibrate(Config c, Path cardFile, List<Sample> validation, TrainingListener l) {
        Set<String> held = new HashSet<>();
        validation.forEach(v -> held.add(v.file()));
        List<Sample> training = Datasets.pairs(c.images(), c.masks(), c.channels(), c.rgbToGrey(), c.groups(), c.filter(), c.limit()).stream()
                .filter(smp -> !held.contains(smp.file())).toList();
        l.log("calibrating the instance settings on the " + training.size() + " training images");
        long t0 = System.nanoTime();
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(cardFile.toString(), Segmenter.Output.LABELS,
                Segmenter.InstanceMethod.SEEDS, 0, 0, Double.NaN, c.backend()), null)) {
            SeedCalibration.Result r = SeedCalibration.calibrate(seg, training, l::log);
            Map<String, Object> record = SeedCalibration.record(r, training.size(), (System.nanoTime() - t0) / 1e9);
            l.log("calibrated: " + SeedCalibration.describe(r.best()) + String.format(java.util.Locale.ROOT, " (training-image AP50 %.4f -> %.4f)",
                    r.before().ap(0), r.after().ap(0)));
            return SeedCalibration.write(cardFile, r, record, seg.augment());
        }
    }

    /** Whether an RGB sample has R = G = B at every pixel. */
    static boolean isGreyRgb(Sample s) {
        int n = s.width() * s.height();
        float[] p = s.pixels();
        for (int i = 0; i < n; i++) {
            if (p[i] != p[n + i] || p[i] != p[2 * n + i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * What training leaves for the card and the validation: the training images are unreachable once it returns.
     * {@code greyImages}: an RGB model was trained on images with R = G = B among them (DSB2018's fluorescence PNGs).
     * {@code objectDiameter}: the size training resized objects to (NaN: not rescaled).
     */
    private record Trained(List<Sample> validation, int trainingImages, Map<String, Object> extra, boolean greyImages,
                           double objectDiameter) {
    }

    /**
     * Loads the pairs, trains and writes the ONNX model. Its own method so that the training images (most of
     * the heap: a DSB2018 run holds ~1 GB of them) can be collected before the whole-image validation.
     */
    private static Trained train(Config c, TrainingListener l) {
        List<Sample> all = Datasets.pairs(c.images(), c.masks(), c.channels(), c.rgbToGrey(), c.groups(), c.filter(), c.limit());
        Split.Parts<Sample> split = Split.byGroup(all, Sample::group, c.validation(), c.seed());
        List<Sample> validation = split.validation(); // as read: the whole-image validation runs Segment, which rescales itself
        if (split.train().isEmpty()) {
            throw new NeuralJException("no training images left after the validation split");
        }
        l.log(String.format("%d image pairs: %d for training, %d for validation (split by group, seed %d)", all.size(),
                split.train().size(), validation.size(), c.seed()));
        Map<String, Object> extra = new LinkedHashMap<>();
        double objectDiameter = c.rescaleObjects() ? trainingObjectDiameter(split.train()) : Double.NaN;
        Split.Parts<Sample> parts = c.rescaleObjects()
                ? new Split.Parts<>(rescaled(split.train(), objectDiameter, extra, l), rescaled(validation, objectDiameter, null, l))
                : split;
        NormalizationStats[] stats = new NormalizationStats[parts.train().size()];
        byte[][] cores = new byte[parts.train().size()][];
        for (int i = 0; i < stats.length; i++) {
            Sample smp = parts.train().get(i);
            stats[i] = NormalizationStats.of(c.normalization(), smp.pixels());
            cores[i] = c.seeds() ? ObjectCores.of(smp.labels(), smp.width(), smp.height()) : null;
        }
        Function<Sample, String> stratum = c.balance() == null ? null : smp -> c.balance().stratum().apply(Path.of(smp.file()));
        double[] pick = cropWeights(parts.train(), stratum, c.balance() == null ? 0 : c.balance().strength());
        int total = c.epochs() * c.steps();
        Random rng = new Random(c.seed());
        Augment aug = Augment.DEFAULT.withElastic(c.elastic());
        int s = c.crop();
        if (stratum != null) {
            extra.put("crop_shares", shares(parts.train(), pick, stratum));
            l.log("crops drawn per stratum: " + extra.get("crop_shares"));
        }
        int outputs = c.seeds() ? 2 : 1;
        try (Backend b = Backends.select(c.backend())) {
            l.log("training on " + b.name());
            try (Nets.UNet net = new Nets.UNet(new Init(b, c.seed()), c.channels(), c.base(), c.depth(), outputs);
                 Optimizer opt = Optimizer.adam(net.parameters(), LrSchedule.warmup(Math.min(50, total / 10 + 1),
                         LrSchedule.cosine(c.lr(), total, c.lr() / 20)), 0f).clipGradNorm(5f)) {
                if (c.from() != null) {
                    extra.putAll(TrainingRuns.startFrom(net.parameters(), c.from(), c.freeze(), l));
                }
                ValidationCrops val = parts.validation().isEmpty() ? null : new ValidationCrops(parts.validation(), s, c.seed(), c.seeds(), c.normalization());
                extra.putAll(TrainingRuns.epochs(c.epochs(), c.steps(), step -> {
                    float[] x = new float[c.batch() * c.channels() * s * s];
                    float[] m = new float[c.batch() * outputs * s * s];
                    for (int i = 0; i < c.batch(); i++) {
                        int j = draw(pick, rng);
                        float[][] v = aug.segmentationCrop(parts.train().get(j), s, stats[j].offset(), stats[j].scale(), rng, cores[j]);
                        System.arraycopy(v[0], 0, x, i * v[0].length, v[0].length);
                        System.arraycopy(v[1], 0, m, i * v[1].length, v[1].length);
                    }
                    try (Tensor xt = b.upload(x, c.batch(), c.channels(), s, s); Tensor mt = b.upload(m, c.batch(), outputs, s, s);
                         Tape t = new Tape(b, Tape.TRAIN).seed(c.seed() * 1_000_003 + step)) {
                        Var logits = net.forward(t, t.input(xt));
                        Var loss = t.add(t.sigmoidBinaryCrossEntropy(logits, mt),
                                t.diceLoss(t.activation(logits, Activation.of(UnaryOp.SIGMOID)), mt, 1f));
                        t.backward(loss);
                        opt.step();
                        return loss.download()[0];
                    }
                }, () -> val == null ? Map.of() : Map.of("dice", val.dice(net, b, c.channels())), "dice", c.patience(),
                        net.parameters(), l));
                Files.createDirectories(c.out().toAbsolutePath().getParent());
                OnnxExport.write(net, b, c.out(), "input", "output", 1, c.channels(), s, s);
            } catch (java.io.IOException e) {
                throw new NeuralJException("cannot write " + c.out() + ": " + e.getMessage(), e);
            }
        }
        boolean grey = c.channels() == 3 && parts.train().stream().anyMatch(SegmentationTraining::isGreyRgb);
        return new Trained(List.copyOf(validation), parts.train().size(), extra, grey, objectDiameter);
    }

    /** The median over images of each training mask's object size ({@link ObjectScale#medianDiameter}). */
    public static double trainingObjectDiameter(List<Sample> samples) {
        double[] d = samples.stream().mapToDouble(smp -> ObjectScale.medianDiameter(smp.labels(), smp.width(), smp.height()))
                .filter(x -> x > 0).sorted().toArray();
        if (d.length == 0) {
            throw new NeuralJException("no objects in the training masks: nothing to measure their size by");
        }
        return d[d.length / 2];
    }

    /**
     * The samples with those whose objects differ from {@code diameter} by more than the tolerance resized
     * as Segment will resize such images (from their masks here, from a first pass there); {@code extra}
     * (null: not recorded) gets how many were.
     */
    private static List<Sample> rescaled(List<Sample> samples, double diameter, Map<String, Object> extra, TrainingListener l) {
        List<Sample> out = new java.util.ArrayList<>(samples.size());
        int resized = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Sample smp : samples) {
            double f = ObjectScale.factor(diameter, ObjectScale.medianDiameter(smp.labels(), smp.width(), smp.height()),
                    Segmenter.DEFAULT_RESCALE_TOLERANCE);
            if (f != 1) {
                resized++;
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
                smp = smp.resized(f);
            }
            out.add(smp);
        }
        if (extra != null) {
            String what = String.format(java.util.Locale.ROOT, "%d of %d training images resized (by %.2f to %.2f) so their objects' median "
                    + "inscribed diameter is within %.2fx of %.1f px", resized, samples.size(), resized == 0 ? 1 : lo, resized == 0 ? 1 : hi,
                    Segmenter.DEFAULT_RESCALE_TOLERANCE, diameter);
            extra.put("object_sizes", what);
            l.log(what);
        }
        return out;
    }

    /**
     * Cumulative weights for drawing the image of each crop: the square root of its area. A large image
     * holds many distinct crops and uniform drawing under-trains it (DSB2018's 16 brightfield images of
     * 1024 x 1024 got 2 % of the crops though they are 17 % of the pixels); weighting by the full area
     * would in turn starve sets of small images (its H&E tiles), so the square root sits between. With
     * {@code stratum} (null: none) each stratum's total becomes (its share)^(1 - strength), see {@link Balance}.
     */
    static double[] cropWeights(List<Sample> samples, Function<Sample, String> stratum, double strength) {
        double[] w = new double[samples.size()];
        Map<String, Double> totals = new java.util.HashMap<>();
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.sqrt((double) samples.get(i).width() * samples.get(i).height());
            if (stratum != null) {
                totals.merge(stratum.apply(samples.get(i)), w[i], Double::sum);
            }
        }
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            if (stratum != null) {
                double total = totals.get(stratum.apply(samples.get(i)));
                w[i] *= Math.pow(total, 1 - strength) / total;   // the stratum's total is now total^(1 - strength)
            }
            sum += w[i];
            w[i] = sum;
        }
        return w;
    }

    /** Each stratum's share of the draws that {@code cumulative} makes, for the log: "a 0.33, b 0.33, ...". */
    private static String shares(List<Sample> samples, double[] cumulative, Function<Sample, String> stratum) {
        Map<String, Double> share = new java.util.TreeMap<>();
        for (int i = 0; i < cumulative.length; i++) {
            share.merge(stratum.apply(samples.get(i)), cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]), Double::sum);
        }
        double total = cumulative[cumulative.length - 1];
        StringBuilder b = new StringBuilder();
        share.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%s %.2f", k, v / total)));
        return b.toString();
    }

    /** An index drawn with the weights {@link #cropWeights} made. */
    static int draw(double[] cumulative, Random rng) {
        double u = rng.nextDouble() * cumulative[cumulative.length - 1];
        int i = java.util.Arrays.binarySearch(cumulative, u);
        return Math.min(cumulative.length - 1, i >= 0 ? i + 1 : -i - 1);
    }

    /** Tile side for a trained net: big enough that the halo costs little. */
    static final class TilePlanSizes {
        static int tileFor(ReceptiveField rf) {
            int h = (rf.radius() + rf.stride() - 1) / rf.stride() * rf.stride();
            int t = 512;
            while (t < 4 * h + rf.stride()) {
                t *= 2;
            }
            return t;
        }
    }

    /**
     * Scores a segmentation model on samples (labels = ground-truth instances) through the Segment
     * path, once per instance method ("components", "watershed", and "seeds" when the model has a seed
     * channel): sub-maps of {@link Metrics.Counts#toMap}.
     */
    public static Map<String, Object> evaluate(String model, List<Sample> samples, String backend) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Segmenter.InstanceMethod method : Segmenter.InstanceMethod.values()) {
            if (method == Segmenter.InstanceMethod.AUTO) {
                continue;
            }
            Metrics.Counts counts = new Metrics.Counts();
            try (Segmenter seg = Segmenter.open(new Segmenter.Request(model, Segmenter.Output.LABELS, method, 0, 0, Double.NaN, backend),
                    null)) {
                if (method == Segmenter.InstanceMethod.SEEDS && !seg.hasSeeds()) {
                    continue;
                }
                for (Sample smp : samples) {
                    counts.add(smp.labels(), Instances.values(seg.segmentPlane(processor(smp), null)));
                }
            }
            m.put(method.name().toLowerCase(java.util.Locale.ROOT), counts.toMap());
        }
        return m;
    }

    static ImageProcessor processor(Sample s) {
        return Augment.processor(s);
    }
}
