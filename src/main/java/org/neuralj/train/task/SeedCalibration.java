package org.neuralj.train.task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import org.neuralj.image.Instances;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Segmenter;
import org.neuralj.image.Segmenter.SeedMaps;
import org.neuralj.image.Segmenter.SeedSettings;
import org.neuralj.train.data.Augment;
import org.neuralj.train.data.Sample;

/**
 * Picks a seed-watershed model's post-processing ({@link SeedSettings}: foreground threshold, seed threshold,
 * smallest seed, smallest object) for the best AP50 over annotated images, from the network's maps made once.
 * Coordinate ascent: each setting in turn takes its best value on a grid with the others held, rounds until
 * none moves; a value replaces the current one only when strictly better, so the same images give the same answer. Run it on images the
 * model was trained on, not on its validation split, or the validation scores stop being honest.
 */
public final class SeedCalibration {
    /** Values tried for each setting. */
    static final double[] THRESHOLDS = {0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7};
    static final double[] SEED_THRESHOLDS = {0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
    static final int[] MIN_SEEDS = {1, 2, 4, 8, 16, 32};
    static final int[] MIN_AREAS = {0, 5, 10, 20, 30, 40, 60};
    private static final int MAX_ROUNDS = 4;

    private SeedCalibration() {
    }

    /** One annotated image: the network's maps and the true instance labels (0 = background). */
    public record Image(SeedMaps maps, int[] truth) {
    }

    /** What was picked, with the scores of the starting and the picked settings over the same images. */
    public record Result(SeedSettings start, Metrics.Counts before, SeedSettings best, Metrics.Counts after, int trials) {
    }

    /**
     * Calibrates the model {@code seg} runs on annotated samples (the network once per sample, then
     * {@link #calibrate}); {@code log} hears the progress.
     */
    public static Result calibrate(Segmenter seg, List<Sample> samples, Consumer<String> log) {
        long t0 = System.nanoTime();
        List<Image> images = new ArrayList<>();
        for (Sample s : samples) {
            images.add(new Image(seg.seedMaps(Augment.processor(s), null), s.labels()));
            if (images.size() % 50 == 0 || images.size() == samples.size()) {
                log.accept(String.format(Locale.ROOT, "network run on %d/%d images (%.0f s)", images.size(), samples.size(),
                        (System.nanoTime() - t0) / 1e9));
            }
        }
        return calibrate(images, seg.seedSettings(), log);
    }

    /**
     * Writes the picked settings into the card file, with the test-time augmentation the maps were made
     * with ({@code augment}: the settings suit those maps), and {@code record} (how they were found) as its
     * {@code training.calibration}.
     */
    public static ModelCard write(Path cardFile, Result r, Map<String, Object> record, int augment) {
        ModelCard card = ModelCard.read(cardFile);
        Map<String, Object> training = new LinkedHashMap<>(card.training());
        training.put("calibration", record);
        SeedSettings b = r.best();
        return card.withSettings(b.threshold(), Map.of("seed_threshold", b.seedThreshold(), "min_seed", b.minSeed(), "min_area", b.minArea(),
                        "augment", augment))
                .withTraining(training).write(cardFile);
    }

    /** How a calibration went, as the card's {@code training.calibration} and the command's output show it. */
    public static Map<String, Object> record(Result r, int images, double seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", images);
        m.put("seconds", seconds);
        m.put("settings_tried", r.trials());
        m.put("before", entry(r.start(), r.before()));
        m.put("after", entry(r.best(), r.after()));
        return m;
    }

    /** A setting and its scores. */
    private static Map<String, Object> entry(SeedSettings s, Metrics.Counts c) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("threshold", s.threshold());
        e.put("seed_threshold", s.seedThreshold());
        e.put("min_seed", s.minSeed());
        e.put("min_area", s.minArea());
        e.putAll(c.toMap());
        return e;
    }

    public static Result calibrate(List<Image> images, SeedSettings start, Consumer<String> log) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to calibrate on");
        }
        List<Function<SeedSettings, List<SeedSettings>>> axes = List.of(
                s -> DoubleStream.of(THRESHOLDS).mapToObj(t -> new SeedSettings(t, s.seedThreshold(), s.minSeed(), s.minArea())).toList(),
                s -> DoubleStream.of(SEED_THRESHOLDS).mapToObj(t -> new SeedSettings(s.threshold(), t, s.minSeed(), s.minArea())).toList(),
                s -> IntStream.of(MIN_SEEDS).mapToObj(m -> new SeedSettings(s.threshold(), s.seedThreshold(), m, s.minArea())).toList(),
                s -> IntStream.of(MIN_AREAS).mapToObj(m -> new SeedSettings(s.threshold(), s.seedThreshold(), s.minSeed(), m)).toList());
        Map<SeedSettings, Metrics.Counts> scored = new HashMap<>();
        Function<SeedSettings, Metrics.Counts> score = s -> scored.computeIfAbsent(s, k -> {
            Metrics.Counts c = score(images, k);
            log.accept(String.format(Locale.ROOT, "  %s: AP50 %.4f, F1 %.4f, Dice %.4f", describe(k), c.ap(0), c.f1(0), c.dice()));
            return c;
        });
        Metrics.Counts startCounts = score.apply(start);
        SeedSettings best = start;
        Metrics.Counts bestCounts = startCounts;
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            SeedSettings before = best;
            for (Function<SeedSettings, List<SeedSettings>> axis : axes) {
                for (SeedSettings candidate : axis.apply(best)) {
                    Metrics.Counts c = score.apply(candidate);
                    if (c.ap(0) > bestCounts.ap(0)) {
                        best = candidate;
                        bestCounts = c;
                    }
                }
            }
            log.accept(String.format(Locale.ROOT, "round %d: %s, AP50 %.4f", round, describe(best), bestCounts.ap(0)));
            if (best.equals(before)) {
                break;
            }
        }
        return new Result(start, startCounts, best, bestCounts, scored.size());
    }

    /** The scores of one setting, pooled over the images (images in parallel). */
    static Metrics.Counts score(List<Image> images, SeedSettings s) {
        return IntStream.range(0, images.size()).parallel().mapToObj(i -> {
            Image im = images.get(i);
            Metrics.Counts c = new Metrics.Counts();
            c.add(im.truth(), Instances.values(s.labels(im.maps())));
            return c;
        }).reduce(new Metrics.Counts(), (a, b) -> {
            Metrics.Counts sum = new Metrics.Counts();
            sum.addAll(a);
            sum.addAll(b);
            return sum;
        });
    }

    public static String describe(SeedSettings s) {
        return String.format(Locale.ROOT, "threshold %.2f, seed_threshold %.2f, min_seed %d, min_area %d",
                s.threshold(), s.seedThreshold(), s.minSeed(), s.minArea());
    }
}
