package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.Model;

/**
 * Segments images of any size with a fully convolutional model: each plane (stacks and time series
 * slice by slice) is tiled with the halo of the model's receptive field ({@link Tiler}), the foreground
 * probability is written tile by tile, and the result is a probability map, a binary mask or an
 * instance label image (16-bit, 0 = background). The work behind {@code neuralj segment}, Plugins ›
 * NeuralJ › Segment and the SciJava command.
 */
public final class Segmenter implements AutoCloseable {

    public enum Output { LABELS, MASK, PROB }

    /**
     * How labels are made: AUTO (SEEDS when the model has a seed channel, else COMPONENTS); COMPONENTS
     * (8-connected); WATERSHED (ImageJ's distance-transform watershed on the mask); SEEDS (a watershed on
     * the foreground seeded by the network's object-core channel).
     */
    public enum InstanceMethod { AUTO, COMPONENTS, WATERSHED, SEEDS }

    /**
     * What the user asks for (dialog, macro, SciJava command and CLI fill this one record).
     *
     * @param model     a model name or an .onnx/.json file
     * @param output    labels, mask or probability map
     * @param instances how labels are made from the mask
     * @param tile      tile side in pixels (0: the card's, else 512)
     * @param halo      context per side (0: the card's or the receptive field's; below it is refused)
     * @param threshold foreground threshold (NaN: the card's, else 0.5)
     * @param backend   auto, cpu, opencl, opencl:N
     * @param augment   test-time augmentation: symmetries of each tile averaged, 1 (off), 2, 4 or 8 (0: the
     *                  card's "augment", else 1); see {@link TestTimeAugmentation}
     * @param rescale   whether planes are resized so their objects match the training data's size (null: the
     *                  card's "rescale", else off); see {@link ObjectScale}
     */
    public record Request(String model, Output output, InstanceMethod instances, int tile, int halo, double threshold, String backend,
                          int augment, ObjectScale.Rescale rescale) {
        public Request {
            rescale = rescale == null ? ObjectScale.Rescale.CARD : rescale;
            output = output == null ? Output.LABELS : output;
            instances = instances == null ? InstanceMethod.AUTO : instances;
            backend = backend == null || backend.isBlank() ? "auto" : backend;
            if (tile < 0 || halo < 0) {
                throw new IllegalArgumentException("tile and halo must not be negative");
            }
            if (augment != 0 && !TestTimeAugmentation.valid(augment)) {
                throw new IllegalArgumentException("augment must be 1 (off), 2, 4 or 8 (0: the card's), not " + augment);
            }
        }

        /** With the card's test-time augmentation and rescaling. */
        public Request(String model, Output output, InstanceMethod instances, int tile, int halo, double threshold, String backend) {
            this(model, output, instances, tile, halo, threshold, backend, 0, null);
        }

        /** With the card's rescaling. */
        public Request(String model, Output output, InstanceMethod instances, int tile, int halo, double threshold, String backend,
                       int augment) {
            this(model, output, instances, tile, halo, threshold, backend, augment, null);
        }
    }

    public static final int DEFAULT_TILE = 512;

    private final Request request;
    private final ModelLocator.Located located;
    private final ModelCard card;
    private final ModelRunner runner;
    private final int tile;
    private final int halo;
    private final int stride;
    private final Consumer<String> log;

    private Segmenter(Request request, ModelLocator.Located located, ModelCard card, ModelRunner runner,
                      int tile, int halo, int stride, Consumer<String> log) {
        this.request = request;
        this.located = located;
        this.card = card;
        this.runner = runner;
        this.tile = tile;
        this.halo = halo;
        this.stride = stride;
        this.log = log;
    }

    /** Loads the model, checks tile and halo against its card and receptive field, opens the backend. */
    public static Segmenter open(Request r, Consumer<String> log) {
        ModelLocator.Located loc = ModelLocator.locate(r.model(), ModelCard.Task.SEGMENTATION);
        Model model = Models.loadTileable(loc.onnx());
        if (model.inputs().size() != 1) {
            throw new NeuralJException(loc.onnx().getFileName() + ": a segmentation model has one input; this one has " + model.inputs());
        }
        long[] dims = model.inputs().get(0).dims();
        int channels = dims != null && dims.length == 4 && dims[1] > 0 ? (int) dims[1] : 1;
        ModelCard card = loc.card() != null ? loc.card()
                : new ModelCard(stem(loc.onnx()), ModelCard.Task.SEGMENTATION, loc.onnx().getFileName().toString(), "bcyx", channels,
                        Normalization.ZSCORE, 0, "sigmoid", List.of("background", "foreground"), 0.5, 0, 0, 0, null, null, null);
        if (card.channels() != channels) {
            throw new NeuralJException(loc.onnx().getFileName() + ": the card says " + card.channels() + " input channel(s), the model "
                    + channels);
        }
        card.rgbToGrey(); // a bad value is named now, not at the first image
        ReceptiveField rf = ReceptiveField.of(model, channels, 256);
        int stride = Math.max(rf.stride(), card.stride());
        int needed = Math.max(rf.radius(), card.halo());
        int tile = r.tile() > 0 ? r.tile() : card.tile() > 0 ? card.tile() : DEFAULT_TILE;
        int halo = ModelCard.checkTiling(card.name(), tile, r.halo(), needed, stride);
        Segmenter s = new Segmenter(r, loc, card, ModelRunner.open(model, r.backend()), tile, halo, stride, log);
        try { // bad card keys are named now, not at the first image of a batch
            if (s.rescale().kind() == ObjectScale.Rescale.Kind.AUTO) {
                s.rescaleTolerance();
            }
            s.augment();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    public ModelCard card() {
        return card;
    }

    /** The card file the model was found with, or null (an ONNX file without one). */
    public java.nio.file.Path cardFile() {
        return located.cardFile();
    }

    public String backendName() {
        return runner.backendName();
    }

    public int tile() {
        return tile;
    }

    public int halo() {
        return halo;
    }

    public int stride() {
        return stride;
    }

    /** The output channel with object cores (seeds), or -1 (card key "seed_channel"). */
    public int seedChannel() {
        return (int) cardNumber("seed_channel", -1);
    }

    /**
     * What AUTO means for this model: the card's "instances" (the method its validation scores
     * favoured), else SEEDS when it has a seed channel, else COMPONENTS.
     */
    public InstanceMethod preferredInstances() {
        Object v = card.extra().get("instances");
        if (v instanceof String s) {
            try {
                InstanceMethod m = InstanceMethod.valueOf(s.toUpperCase(java.util.Locale.ROOT));
                if (m != InstanceMethod.AUTO && (m != InstanceMethod.SEEDS || hasSeeds())) {
                    return m;
                }
            } catch (IllegalArgumentException e) {
                throw new NeuralJException(card.name() + ": card key \"instances\" is '" + s + "': components, watershed or seeds");
            }
        }
        return hasSeeds() ? InstanceMethod.SEEDS : InstanceMethod.COMPONENTS;
    }

    /** Objects smaller than this many pixels are dropped from label images (card key "min_area"; 0: none). */
    public int minArea() {
        return (int) cardNumber("min_area", 0);
    }

    /**
     * How labels come from the foreground and object-core maps: the foreground threshold (the request's,
     * else the card's), the core probability seeds must exceed ("seed_threshold", 0.5), the smallest seed
     * ("min_seed", {@link Instances#MIN_SEED} pixels) and the smallest object ("min_area").
     */
    public record SeedSettings(double threshold, double seedThreshold, int minSeed, int minArea) {
        /** The instance labels of one plane's maps. */
        public ImageProcessor labels(SeedMaps maps) {
            return labels(maps, null);
        }

        /**
         * The instance labels of one plane's maps, made band by band on a very large plane ({@link Instances#label});
         * {@code warn} hears of objects that may be cut there.
         */
        public ImageProcessor labels(SeedMaps maps, Consumer<String> warn) {
            int w = maps.width();
            return Instances.label(w, maps.height(), minArea, band -> Instances.seededWatershedLabels(
                    Bands.rows(maps.foreground(), w, band), Bands.rows(maps.cores(), w, band), w, band.rows(),
                    level(threshold), level(seedThreshold), minSeed), warn);
        }

        /** A probability threshold on the maps' 0..255 scale (p &gt; t there). */
        private static int level(double t) {
            return Math.max(0, Math.min(254, (int) Math.floor((float) t * 255)));
        }
    }

    /** This model's settings for the seeded watershed (see {@link SeedSettings}). */
    public SeedSettings seedSettings() {
        double seedThreshold = cardNumber("seed_threshold", 0.5);
        if (!(seedThreshold >= 0 && seedThreshold <= 1)) {
            throw new NeuralJException(card.name() + ": card key \"seed_threshold\" is " + seedThreshold + ": a probability, 0 to 1");
        }
        return new SeedSettings(threshold(), seedThreshold, (int) cardNumber("min_seed", Instances.MIN_SEED), minArea());
    }

    /** The foreground and object-core probabilities of one plane, quantised to 0..255: what the seeded watershed reads. */
    public record SeedMaps(int width, int height, byte[] foreground, byte[] cores) {
    }

    private double cardNumber(String key, double otherwise) {
        Object v = card.extra().get(key);
        return v instanceof Number n ? n.doubleValue() : otherwise;
    }

    public boolean hasSeeds() {
        return seedChannel() > 0;
    }

    /** Whether {@code n} symmetries can be averaged per tile: 1 (off), 2, 4 or 8. */
    public static boolean validAugment(int n) {
        return TestTimeAugmentation.valid(n);
    }

    /** Symmetries averaged per tile (test-time augmentation): the request's, else the card's "augment", else 1. */
    public int augment() {
        int n = request.augment() > 0 ? request.augment() : (int) cardNumber("augment", 1);
        if (!TestTimeAugmentation.valid(n)) {
            throw new NeuralJException(card.name() + ": card key \"augment\" is " + n + ": 1 (off), 2, 4 or 8");
        }
        return n;
    }

    /**
     * How planes are resized before the network: the request's choice, else the card's "rescale" ("auto"
     * or "off"), else off. A diameter or auto needs the card's "object_diameter".
     */
    public ObjectScale.Rescale rescale() {
        ObjectScale.Rescale r = request.rescale();
        if (r.kind() == ObjectScale.Rescale.Kind.CARD) {
            Object v = card.extra().get(RESCALE);
            if (v != null && !"auto".equals(v) && !"off".equals(v)) {
                throw new NeuralJException(card.name() + ": card key \"rescale\" is '" + v + "': auto or off");
            }
            r = "auto".equals(v) ? ObjectScale.Rescale.AUTO : ObjectScale.Rescale.OFF;
        }
        if (r.kind() != ObjectScale.Rescale.Kind.OFF && !(objectDiameter() > 0)) {
            throw new NeuralJException(card.name() + ": the card records no \"object_diameter\" (the training objects' size), so "
                    + "planes cannot be rescaled to it: use rescale off");
        }
        return r;
    }

    /** The training objects' median inscribed diameter in pixels (card key "object_diameter"; NaN: unknown). */
    public double objectDiameter() {
        return cardNumber(OBJECT_DIAMETER, Double.NaN);
    }

    /** How far an estimated object size may be from the training one before auto rescales (card key "rescale_tolerance"). */
    public double rescaleTolerance() {
        double t = cardNumber(RESCALE_TOLERANCE, DEFAULT_RESCALE_TOLERANCE);
        if (!(t >= 1)) {
            throw new NeuralJException(card.name() + ": card key \"rescale_tolerance\" is " + t + ": a size ratio, at least 1");
        }
        return t;
    }

    public static final double DEFAULT_RESCALE_TOLERANCE = 1.5;

    public static final String OBJECT_DIAMETER = "object_diameter";
    static final String RESCALE = "rescale";
    static final String RESCALE_TOLERANCE = "rescale_tolerance";

    /**
     * The card keys that make Segment rescale planes to objects of {@code diameter} pixels (rounded to 0.1)
     * whenever theirs are more than {@code tolerance} off: what training and calibration write.
     */
    public static Map<String, Object> rescaleKeys(double diameter, double tolerance) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put(OBJECT_DIAMETER, Math.round(diameter * 10) / 10.0);
        keys.put(RESCALE, "auto");
        keys.put(RESCALE_TOLERANCE, tolerance);
        return keys;
    }

    /** The threshold used: the request's, else the card's. */
    public double threshold() {
        return Double.isNaN(request.threshold()) ? card.threshold() : request.threshold();
    }

    /**
     * Segments every plane of {@code input}; the result has the input's calibration and slice labels and
     * is titled {@code INPUT-MODEL}. {@code progress} gets the fraction done.
     */
    public ImagePlus segment(ImagePlus input, DoubleConsumer progress) {
        return segment(input, false, progress).image();
    }

    /**
     * The requested output of every plane and, when {@code withLabels} (for ROIs and measurements), the
     * instance labels too, from one pass of the network. {@code labels} is null when not asked for, and
     * the same image as {@code image} when the output is the labels.
     */
    public record Result(ImagePlus image, ImagePlus labels) {
    }

    /** As {@link #segment(ImagePlus, DoubleConsumer)}, with the labels as well when {@code withLabels}. */
    public Result segment(ImagePlus input, boolean withLabels, DoubleConsumer progress) {
        ImageStack in = input.getStack();
        ImageStack out = new ImageStack(input.getWidth(), input.getHeight());
        boolean separateLabels = withLabels && request.output() != Output.LABELS;
        ImageStack labelStack = separateLabels ? new ImageStack(input.getWidth(), input.getHeight()) : null;
        int n = in.getSize();
        int objects = 0;
        double minFactor = Double.POSITIVE_INFINITY;
        double maxFactor = 0;
        for (int z = 1; z <= n; z++) {
            int plane = z - 1;
            Plane result = segmentPlane(in.getProcessor(z), separateLabels,
                    progress == null ? null : f -> progress.accept((plane + f) / n));
            if (result.labels() != null) {
                objects += Instances.count(result.labels());
            }
            minFactor = Math.min(minFactor, result.resized());
            maxFactor = Math.max(maxFactor, result.resized());
            out.addSlice(in.getSliceLabel(z), result.output());
            if (separateLabels) {
                labelStack.addSlice(in.getSliceLabel(z), result.labels());
            }
        }
        if (log != null && (minFactor != 1 || maxFactor != 1) && n > 0) {
            log.accept(String.format(java.util.Locale.ROOT, "%s: resized by %s for the network (objects brought to the training size, %.0f px)",
                    input.getTitle(), minFactor == maxFactor ? String.format(java.util.Locale.ROOT, "%.2f", minFactor)
                            : String.format(java.util.Locale.ROOT, "%.2f to %.2f", minFactor, maxFactor), objectDiameter()));
        }
        if (log != null && (withLabels || request.output() == Output.LABELS)) {
            log.accept(input.getTitle() + ": " + objects + " object(s)");
        }
        String title = ApplyModel.stripExtension(input.getTitle()) + "-" + card.name();
        ImagePlus imp = like(input, title, out);
        if (request.output() == Output.PROB) {
            imp.setDisplayRange(0, 1);
        } else if (request.output() == Output.MASK) {
            imp.setDisplayRange(0, 255);
        } else {
            imp.resetDisplayRange();
        }
        ImagePlus labels = null;
        if (separateLabels) {
            labels = like(input, title + "-labels", labelStack);
            labels.resetDisplayRange();
        } else if (withLabels) {
            labels = imp;
        }
        return new Result(imp, labels);
    }

    /** A new image of {@code stack} with the input's calibration and stack dimensions. */
    private static ImagePlus like(ImagePlus input, String title, ImageStack stack) {
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setCalibration(input.getCalibration().copy());
        if (stack.getSize() > 1) {
            imp.setDimensions(input.getNChannels(), input.getNSlices(), input.getNFrames());
        }
        return imp;
    }

    /** One plane: probability map (32-bit), mask (8-bit, 255 = foreground) or labels (16-bit). */
    public ImageProcessor segmentPlane(ImageProcessor ip, DoubleConsumer progress) {
        return segmentPlane(ip, false, progress).output();
    }

    /**
     * One plane's output and, where asked for or the output itself, its labels (else null), and the factor
     * the plane was resized by for the network (1: not resized).
     */
    public record Plane(ImageProcessor output, ImageProcessor labels, double resized) {
    }

    /**
     * One plane from one pass of the network: the requested output, and the labels when the output is
     * the labels or {@code withLabels}. Only the buffers the outputs need are allocated (a mask alone is
     * one byte a pixel, so very large planes fit).
     */
    public Plane segmentPlane(ImageProcessor ip, boolean withLabels, DoubleConsumer progress) {
        int w = ip.getWidth();
        int h = ip.getHeight();
        float thr = (float) threshold();
        boolean labels = withLabels || request.output() == Output.LABELS;
        InstanceMethod method = request.instances() == InstanceMethod.AUTO ? preferredInstances() : request.instances();
        boolean seeded = labels && method == InstanceMethod.SEEDS;
        if (seeded && !hasSeeds()) {
            throw new NeuralJException(card.name() + ": the model has no seed channel (card key \"seed_channel\"): use components or watershed");
        }
        float[] prob = request.output() == Output.PROB ? new float[w * h] : null;
        byte[] mask = request.output() == Output.MASK || (labels && !seeded) ? new byte[w * h] : null;
        SeedMaps maps = seeded ? new SeedMaps(w, h, new byte[w * h], new byte[w * h]) : null;
        double resized = run(ip, prob, mask, thr, maps, progress);
        ImageProcessor labelled = null;
        Consumer<String> warn = log == null ? null : m -> log.accept("warning: " + m);
        if (seeded) {
            labelled = seedSettings().labels(maps, warn);
        } else if (labels) {
            labelled = Instances.label(w, h, minArea(), band -> {
                ByteProcessor window = new ByteProcessor(w, band.rows(), Bands.rows(mask, w, band));
                return Instances.values(method == InstanceMethod.WATERSHED ? Instances.watershedLabels(window) : Instances.components(window));
            }, warn);
        }
        ImageProcessor output = switch (request.output()) {
            case PROB -> new FloatProcessor(w, h, prob);
            case MASK -> new ByteProcessor(w, h, mask);
            case LABELS -> labelled;
        };
        return new Plane(output, labelled, resized);
    }

    /**
     * One plane's seed maps from one pass of the network, for trying {@link SeedSettings} on them without
     * running it again ({@code neuralj calibrate}). Needs a seed channel.
     */
    public SeedMaps seedMaps(ImageProcessor ip, DoubleConsumer progress) {
        if (!hasSeeds()) {
            throw new NeuralJException(card.name() + ": the model has no seed channel (card key \"seed_channel\")");
        }
        SeedMaps maps = new SeedMaps(ip.getWidth(), ip.getHeight(), new byte[ip.getPixelCount()], new byte[ip.getPixelCount()]);
        run(ip, null, null, 0, maps, progress);
        return maps;
    }

    /**
     * Runs the network over one plane, filling what is not null: the foreground probability, the mask
     * ({@code p > thr}) and the seed maps. Returns the factor the plane was resized by (1: not resized;
     * see {@link #rescale()}): with auto, a first pass at the plane's own size measures its objects, and
     * the plane runs again resized only when they differ from the training objects by more than the
     * tolerance.
     */
    private double run(ImageProcessor ip, float[] prob, byte[] mask, float thr, SeedMaps maps, DoubleConsumer progress) {
        int w = ip.getWidth();
        int h = ip.getHeight();
        byte[] level = maps == null ? null : maps.foreground();
        PixelWriter fg = (i, p) -> {
            if (prob != null) {
                prob[i] = p;
            }
            if (mask != null) {
                mask[i] = p > thr ? (byte) 255 : 0;
            }
            if (level != null) {
                level[i] = (byte) Math.round(p * 255);
            }
        };
        PixelWriter cores = maps == null ? null : (i, p) -> maps.cores()[i] = (byte) Math.round(255 * p);
        ObjectScale.Rescale rescale = rescale();
        double factor = switch (rescale.kind()) {
            case DIAMETER -> ObjectScale.factor(objectDiameter(), rescale.diameter(), 1); // as given: no tolerance
            case AUTO -> Double.NaN;
            default -> 1;
        };
        if (Double.isNaN(factor)) {
            byte[] objects = new byte[w * h];
            float objectThreshold = (float) threshold();
            DoubleConsumer first = progress == null ? null : half(progress, 0);
            runResized(ip, 1, (i, p) -> {
                fg.set(i, p);
                objects[i] = p > objectThreshold ? (byte) 1 : 0;
            }, cores, first);
            double measured = ObjectScale.medianDiameter(objects, w, h);
            if (measured < ObjectScale.MIN_DIAMETER) {
                // edges or specks, not objects: the network did not find this image's objects at this scale, and
                // enlarging by up to 2 (4 x the work) on such a measure found nothing on flat synthetic discs
                if (log != null) {
                    log.accept(String.format(java.util.Locale.ROOT, "warning: the first pass found objects only %.1f px across, too thin "
                            + "to measure the image's object size by: the plane is not rescaled (give the objects' diameter to rescale it)", measured));
                }
                measured = Double.NaN;
            }
            factor = ObjectScale.factor(objectDiameter(), measured, rescaleTolerance());
            if (factor == 1) {
                return 1;
            }
            progress = progress == null ? null : half(progress, 0.5);
        }
        runResized(ip, factor, fg, cores, progress);
        return factor;
    }

    /** Progress of one of two passes: {@code from} to {@code from} + 0.5. */
    private static DoubleConsumer half(DoubleConsumer progress, double from) {
        return f -> progress.accept(from + f / 2);
    }

    /**
     * The network's maps of the plane resized by {@code factor}, brought back to the plane's size. A plane
     * whose resized size is very large goes band by band ({@link Bands}), each band read with the network's
     * halo (in the plane's pixels) plus a little more for the interpolation, resized on its own and
     * normalised with the whole plane's statistics, so memory stays bounded whatever the plane's size.
     */
    private void runResized(ImageProcessor ip, double factor, PixelWriter fg, PixelWriter cores, DoubleConsumer progress) {
        if (factor == 1) {
            runTiles(ip, null, fg, cores, progress);
            return;
        }
        int w = ip.getWidth();
        int margin = (int) Math.ceil(halo / factor) + (int) Math.ceil(1 / factor) + 2;
        List<Bands.Band> bands = Bands.of(w, ip.getHeight(), factor, margin);
        NormalizationStats norm = bands.size() == 1 ? null : statistics(ip);
        for (int b = 0; b < bands.size(); b++) {
            Bands.Band band = bands.get(b);
            ImageProcessor small = ObjectScale.resize(bands.size() == 1 ? ip : rows(ip, band), factor);
            int sw = small.getWidth();
            int sh = small.getHeight();
            float[] f = new float[sw * sh];
            float[] c = cores == null ? null : new float[sw * sh];
            int done = b;
            runTiles(small, norm, (i, p) -> f[i] = p, c == null ? null : (i, p) -> c[i] = p,
                    progress == null ? null : x -> progress.accept((done + x) / bands.size()));
            ObjectScale.resizeInto(f, sw, sh, w, band.rows(), ownRows(fg, band, w));
            if (c != null) {
                ObjectScale.resizeInto(c, sw, sh, w, band.rows(), ownRows(cores, band, w));
            }
        }
    }

    /** Rows {@code band.y0()..y1()-1} of {@code ip}, a copy. */
    private static ImageProcessor rows(ImageProcessor ip, Bands.Band band) {
        java.awt.Rectangle roi = ip.getRoi();
        ip.setRoi(0, band.y0(), ip.getWidth(), band.rows());
        try {
            return ip.crop();
        } finally {
            ip.setRoi(roi);
        }
    }

    /** A writer taking a band window's pixels and passing on those of the band's own rows, at their place in the plane. */
    private static PixelWriter ownRows(PixelWriter plane, Bands.Band band, int width) {
        int from = (band.coreY0() - band.y0()) * width;
        int to = (band.coreY1() - band.y0()) * width;
        int offset = band.y0() * width;
        return (i, p) -> {
            if (i >= from && i < to) {
                plane.set(offset + i, p);
            }
        };
    }

    /** The plane as the network's input channels (RGB read as the card says, the model package's pre-processing). */
    private PlaneSource source(ImageProcessor ip) {
        return located.preprocess(PlaneSource.of(ip, card.channels(), card.greyAsRgb(), card.rgbToGrey()));
    }

    /** The normalisation the card asks for, with this plane's statistics. */
    private NormalizationStats statistics(ImageProcessor ip) {
        return NormalizationStats.of(card.normalization(), source(ip), ip);
    }

    /**
     * The network over one plane at its own size, tile by tile: foreground and (when not null) core
     * probabilities; normalised with {@code norm}, or (null) with the plane's own statistics.
     */
    private void runTiles(ImageProcessor ip, NormalizationStats norm, PixelWriter fgWriter, PixelWriter coreWriter, DoubleConsumer progress) {
        PlaneSource src = source(ip);
        if (norm == null) {
            norm = NormalizationStats.of(card.normalization(), src, ip);
        }
        int w = ip.getWidth();
        // out of device memory: smaller tiles, then the CPU
        Tiler.TileModel model = TestTimeAugmentation.wrap(located.postprocess(runner), augment());
        Tiler.Options options = new Tiler.Options(tile, halo, stride, false);
        Tiler.Sink fg = foreground(fgWriter, w);
        int sc = seedChannel();
        Tiler.run(src, norm, model, options, coreWriter == null ? fg : (t, o) -> {
            fg.accept(t, o);
            int th = o.shape()[2], tw = o.shape()[3];
            float[] d = o.data();
            for (int y = 0; y < t.validHeight(); y++) {
                int row = (sc * th + t.validY() + y) * tw + t.validX();
                int dst = (t.outY() + y) * w + t.outX();
                for (int x = 0; x < t.validWidth(); x++) {
                    coreWriter.set(dst + x, (float) (1 / (1 + Math.exp(-d[row + x])))); // core probability
                }
            }
        }, log, progress);
    }

    interface PixelWriter {
        void set(int index, float probability);
    }

    /** A sink turning each tile's output into foreground probabilities, as the card's "output" says. */
    private Tiler.Sink foreground(PixelWriter writer, int width) {
        String kind = card.output();
        return (t, o) -> {
            int k = o.shape()[1];
            int th = o.shape()[2];
            int tw = o.shape()[3];
            int plane = th * tw;
            float[] d = o.data();
            for (int y = 0; y < t.validHeight(); y++) {
                int row = (t.validY() + y) * tw + t.validX();
                int dst = (t.outY() + y) * width + t.outX();
                for (int x = 0; x < t.validWidth(); x++) {
                    int i = row + x;
                    float p;
                    switch (kind) {
                        case "softmax" -> {
                            // foreground = 1 - p(background), background = channel 0
                            float max = d[i];
                            for (int c = 1; c < k; c++) {
                                max = Math.max(max, d[c * plane + i]);
                            }
                            double sum = 0;
                            for (int c = 0; c < k; c++) {
                                sum += Math.exp(d[c * plane + i] - max);
                            }
                            p = (float) (1 - Math.exp(d[i] - max) / sum);
                        }
                        case "sigmoid" -> p = (float) (1 / (1 + Math.exp(-d[i])));
                        default -> p = d[i];
                    }
                    writer.set(dst + x, p);
                }
            }
        };
    }

    static String stem(java.nio.file.Path p) {
        return ApplyModel.stripExtension(p.getFileName().toString());
    }

    @Override
    public void close() {
        runner.close();
    }
}
