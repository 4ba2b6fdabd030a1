package org.neuralj.train.task;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ImageProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;
import org.neuralj.image.Classifier;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Normalization;
import org.neuralj.image.VizImages;
import org.neuralj.io.AtomicFiles;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.train.Init;
import org.neuralj.train.LrSchedule;
import org.neuralj.train.OnnxExport;
import org.neuralj.train.Optimizer;
import org.neuralj.train.Sequential;
import org.neuralj.train.Tape;
import org.neuralj.train.Transfer;
import org.neuralj.train.data.Augment;
import org.neuralj.train.data.Balanced;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.data.Sample;
import org.neuralj.train.data.Split;
import org.neuralj.viz.ConfusionMatrix;

/**
 * Trains a small ResNet classifier from class sub-folders: class-balanced batches of augmented views
 * (flips, rotations, crop-zoom, colour jitter, brightness/contrast) fed through the same input path as
 * {@link Classifier} (resize to the card's size, normalise), softmax cross-entropy, AdamW with warm-up
 * and cosine decay; a validation split by group; writes the ONNX model and its card with accuracy, the
 * confusion matrix and a size-blind accuracy (every validation crop first resized to one size).
 */
public final class ClassifierTraining {

    /**
     * @param from     transfer learning: start from this NeuralJ classifier (.onnx; its architecture replaces channels, base
     *                 and stages; the head is re-initialised when the number of classes differs), or null
     * @param freeze   layer names (prefixes such as "stem", "stage0") not to train, with --from
     * @param patience stop after this many epochs without a better validation accuracy and keep the best epoch (0: off)
     */
    public record Config(Path images, Path out, String name, int channels, int size, int epochs, int steps, int batch, int base,
                         int stages, float lr, long seed, double validation, Function<Path, String> groups, String backend,
                         Map<String, Object> trainingInfo, Path from, List<String> freeze, int patience) {

        public Config(Path images, Path out, String name, int channels, int size, int epochs, int steps, int batch, int base, int stages,
                      float lr, long seed, double validation, Function<Path, String> groups, String backend, Map<String, Object> trainingInfo) {
            this(images, out, name, channels, size, epochs, steps, batch, base, stages, lr, seed, validation, groups, backend, trainingInfo,
                    null, List.of(), 0);
        }

        public Config {
            freeze = TrainingRuns.checkedFreeze(from, freeze);
            if (from != null) {
                // the source's architecture wins: its weights only fit a network of the same shape
                int[] shape = Transfer.resnetShape(OnnxReader.read(from), from.toString());
                channels = shape[0];
                base = shape[1];
                stages = shape[2];
            }
        }
    }

    public record Result(ModelCard card, Path model, Path cardFile) {
    }

    private ClassifierTraining() {
    }

    public static Result run(Config c, TrainingListener l) {
        Map<String, List<Sample>> byClass = Datasets.classFolders(c.images(), c.channels(), c.groups());
        List<String> classes = new ArrayList<>(byClass.keySet());
        List<Sample> all = new ArrayList<>();
        byClass.values().forEach(all::addAll);
        Split.Parts<Sample> parts = Split.byGroup(all, Sample::group, c.validation(), c.seed());
        Map<String, List<Sample>> trainByClass = new LinkedHashMap<>();
        for (String k : classes) {
            trainByClass.put(k, new ArrayList<>());
        }
        for (Sample s : parts.train()) {
            trainByClass.get(classes.get(s.classIndex())).add(s);
        }
        for (Map.Entry<String, List<Sample>> e : trainByClass.entrySet()) {
            if (e.getValue().isEmpty()) {
                throw new NeuralJException("class '" + e.getKey() + "' has no training images left after the validation split");
            }
        }
        l.log(String.format("%d images in %d classes %s: %d for training, %d for validation (split by group, seed %d)", all.size(),
                classes.size(), classes, parts.train().size(), parts.validation().size(), c.seed()));
        ModelCard card = new ModelCard(c.name(), ModelCard.Task.CLASSIFICATION, c.out().getFileName().toString(), "bcyx", c.channels(),
                Normalization.ZSCORE, c.size(), "softmax", classes, 0.5, 0, 0, 0, Map.of(), Map.of(), Map.of());
        int total = c.epochs() * c.steps();
        Random rng = new Random(c.seed());
        Map<String, Object> transfer = new LinkedHashMap<>();
        Balanced<Sample> sampler = new Balanced<>(trainByClass);
        Augment aug = Augment.DEFAULT;
        int s = c.size(), k = classes.size(), ch = c.channels();
        try (Backend b = Backends.select(c.backend())) {
            l.log("training on " + b.name());
            try (Sequential net = Nets.resnet(new Init(b, c.seed()), ch, c.base(), c.stages(), k);
                 Optimizer opt = Optimizer.adamW(net.parameters(), LrSchedule.warmup(Math.min(30, total / 10 + 1),
                         LrSchedule.cosine(c.lr(), total, c.lr() / 20)), 1e-4f).clipGradNorm(5f)) {
                if (c.from() != null) {
                    transfer.putAll(TrainingRuns.startFrom(net.parameters(), c.from(), c.freeze(), l));
                }
                ModelCard input = card;                 // how the network's input is made (size, channels, normalisation)
                transfer.putAll(TrainingRuns.epochs(c.epochs(), c.steps(), step -> {
                    float[] x = new float[c.batch() * ch * s * s];
                    float[] y = new float[c.batch() * k];
                    for (int i = 0; i < c.batch(); i++) {
                        Sample smp = sampler.next(rng);
                        float[] in = Classifier.input(aug.classificationView(smp, rng), input);
                        aug.intensity(in, rng);
                        System.arraycopy(in, 0, x, i * in.length, in.length);
                        y[i * k + smp.classIndex()] = 1f;
                    }
                    try (Tensor xt = b.upload(x, c.batch(), ch, s, s); Tensor yt = b.upload(y, c.batch(), k);
                         Tape t = new Tape(b, Tape.TRAIN).seed(c.seed() * 1_000_003 + step)) {
                        var loss = t.softmaxCrossEntropy(net.forward(t, t.input(xt)), yt);
                        t.backward(loss);
                        opt.step();
                        return loss.download()[0];
                    }
                }, () -> parts.validation().isEmpty() ? Map.of() : Map.of("accuracy", accuracy(net, b, parts.validation(), input, 0)),
                        "accuracy", c.patience(), net.parameters(), l));
                Files.createDirectories(c.out().toAbsolutePath().getParent());
                OnnxExport.write(net, b, c.out(), "input", "output", 1, ch, s, s);
            } catch (java.io.IOException e) {
                throw new NeuralJException("cannot write " + c.out() + ": " + e.getMessage(), e);
            }
        }
        Map<String, Object> training = new LinkedHashMap<>(c.trainingInfo() == null ? Map.of() : c.trainingInfo());
        training.put("seed", c.seed());
        training.put("epochs", c.epochs());
        training.put("steps_per_epoch", c.steps());
        training.put("batch", c.batch());
        training.put("training_images", parts.train().size());
        training.put("validation_images", parts.validation().size());
        training.put("validation_split", "by group, fraction " + c.validation() + ", seed " + c.seed());
        training.putAll(transfer);
        card = card.withTraining(training);
        Path cardFile = ModelCard.cardFileOf(c.out());
        card.write(cardFile);
        if (!parts.validation().isEmpty()) {
            Map<String, Object> metrics = evaluate(cardFile.toString(), parts.validation(), c.backend(), 100);
            card = card.withMetrics(metrics);
            card.write(cardFile);
            l.log("validation: " + metrics);
            writeConfusion(c.out(), classes, metrics, l);
        }
        return new Result(card, c.out(), cardFile);
    }

    /** The validation confusion matrix beside the model: MODEL-confusion.png (shaded by rate, counts written in) and .csv. */
    static void writeConfusion(Path model, List<String> classes, Map<String, Object> metrics, TrainingListener l) {
        @SuppressWarnings("unchecked")
        List<List<Object>> rows = (List<List<Object>>) metrics.get("confusion_rows_true_columns_predicted");
        long[][] counts = new long[rows.size()][];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = rows.get(i).stream().mapToLong(v -> ((Number) v).longValue()).toArray();
        }
        ConfusionMatrix m = new ConfusionMatrix(classes, counts);
        String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path png = model.resolveSibling(stem + "-confusion.png");
        Path csv = model.resolveSibling(stem + "-confusion.csv");
        ImagePlus image = VizImages.confusion(m, stem + " validation confusion");
        AtomicFiles.writeFile(png, tmp -> {
            if (!new FileSaver(image).saveAsPng(tmp.toString())) {
                throw new java.io.IOException("ImageJ could not write the PNG");
            }
        });
        AtomicFiles.writeString(csv, m.csv());
        l.log("wrote " + png + " and " + csv);
    }

    /** Accuracy of the in-memory network on samples (the classifier's input path, no augmentation). */
    static double accuracy(Sequential net, Backend b, List<Sample> samples, ModelCard card, int resizeFirst) {
        int correct = 0;
        int s = card.inputSize(), k = card.classes().size();
        for (int from = 0; from < samples.size(); from += 32) {
            List<Sample> part = samples.subList(from, Math.min(samples.size(), from + 32));
            float[] x = new float[part.size() * card.channels() * s * s];
            for (int i = 0; i < part.size(); i++) {
                float[] in = Classifier.input(Augment.processor(part.get(i)), card);
                System.arraycopy(in, 0, x, i * in.length, in.length);
            }
            try (Tensor xt = b.upload(x, part.size(), card.channels(), s, s); Tape t = new Tape(b, Tape.EVAL)) {
                float[] z = net.forward(t, t.input(xt)).download();
                for (int i = 0; i < part.size(); i++) {
                    int best = 0;
                    for (int j = 1; j < k; j++) {
                        if (z[i * k + j] > z[i * k + best]) {
                            best = j;
                        }
                    }
                    if (best == part.get(i).classIndex()) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) samples.size();
    }

    /**
     * Accuracy and confusion matrix (rows: true class, columns: predicted) of a saved classifier run
     * through {@link Classifier} on native crops, and the accuracy when every crop is first resized to
     * {@code blindSize} x {@code blindSize} (size-blind).
     */
    public static Map<String, Object> evaluate(String model, List<Sample> samples, String backend, int blindSize) {
        try (Classifier cl = Classifier.open(new Classifier.Request(model, backend))) {
            int k = cl.card().classes().size();
            long[][] confusion = new long[k][k];
            int correct = 0, blind = 0;
            for (Sample s : samples) {
                ImageProcessor ip = Augment.processor(s);
                int p = cl.classify(ip).index();
                confusion[s.classIndex()][p]++;
                if (p == s.classIndex()) {
                    correct++;
                }
                ImageProcessor r = ip.duplicate();
                r.setInterpolationMethod(ImageProcessor.BILINEAR);
                if (cl.classify(r.resize(blindSize, blindSize, true)).index() == s.classIndex()) {
                    blind++;
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("images", samples.size());
            m.put("accuracy", correct / (double) samples.size());
            m.put("size_blind_accuracy", blind / (double) samples.size());
            m.put("size_blind_side", blindSize);
            List<Object> rows = new ArrayList<>();
            for (long[] row : confusion) {
                List<Object> r = new ArrayList<>();
                for (long v : row) {
                    r.add(v);
                }
                rows.add(r);
            }
            m.put("confusion_rows_true_columns_predicted", rows);
            m.put("classes", cl.card().classes());
            return m;
        }
    }
}
