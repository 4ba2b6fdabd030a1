package org.neuralj.image;

import ij.process.ImageProcessor;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;

/**
 * Classifies whole images (or planes) with a model whose card says {@code task: classification}: the
 * plane is resized to the card's input size (bilinear), normalised, run, and the logits turned into
 * class probabilities (softmax). The work behind {@code neuralj classify}, Plugins › NeuralJ › Classify
 * and the SciJava command.
 */
public final class Classifier implements AutoCloseable {

    /** @param model a model name or an .onnx/.json file; @param backend auto, cpu, opencl, opencl:N */
    public record Request(String model, String backend) {
        public Request {
            backend = backend == null || backend.isBlank() ? "auto" : backend;
        }
    }

    /** The winning class and every class's probability (in the card's order). */
    public record Prediction(int index, String label, float[] probabilities) {
    }

    private final ModelCard card;
    private final ModelRunner runner;

    private Classifier(ModelCard card, ModelRunner runner) {
        this.card = card;
        this.runner = runner;
    }

    public static Classifier open(Request r) {
        ModelLocator.Located loc = ModelLocator.locate(r.model(), ModelCard.Task.CLASSIFICATION);
        if (loc.card() == null) {
            throw new NeuralJException(loc.onnx() + ": a classifier needs its model card (" + ModelCard.cardFileOf(loc.onnx()).getFileName()
                    + ") for the class names and input size");
        }
        return new Classifier(loc.card(), ModelRunner.open(Model.load(loc.onnx()), r.backend()));
    }

    public ModelCard card() {
        return card;
    }

    public String backendName() {
        return runner.backendName();
    }

    public Prediction classify(ImageProcessor ip) {
        float[] x = input(ip, card);
        int s = card.inputSize();
        HostTensor out = runner.runOrFallBack(new HostTensor(new int[] {1, card.channels(), s, s}, x));
        float[] z = out.data();
        if (z.length != card.classes().size()) {
            throw new NeuralJException(card.name() + ": the model gives " + z.length + " outputs for " + card.classes().size() + " classes");
        }
        float[] p = "probability".equals(card.output()) ? z.clone() : softmax(z);
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return new Prediction(best, card.classes().get(best), p);
    }

    /** The network input for a plane: resized to the card's size, normalised, [C][S][S]. */
    public static float[] input(ImageProcessor ip, ModelCard card) {
        PlaneSource.requireFinite(ip); // before resizing, so the count is the image's
        int s = card.inputSize();
        ImageProcessor r = ip.getWidth() == s && ip.getHeight() == s ? ip : resized(ip, s);
        PlaneSource src = PlaneSource.of(r, card.channels(), card.greyAsRgb());
        NormalizationStats n = NormalizationStats.of(card.normalization(), src, r);
        float[] x = new float[card.channels() * s * s];
        for (int c = 0; c < card.channels(); c++) {
            for (int y = 0; y < s; y++) {
                for (int xx = 0; xx < s; xx++) {
                    x[(c * s + y) * s + xx] = n.apply(src.get(c, xx, y));
                }
            }
        }
        return x;
    }

    static ImageProcessor resized(ImageProcessor ip, int s) {
        ImageProcessor d = ip.duplicate();
        d.setInterpolationMethod(ImageProcessor.BILINEAR);
        return d.resize(s, s, true);
    }

    static float[] softmax(float[] z) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
            sum += e[i];
        }
        float[] p = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }

    @Override
    public void close() {
        runner.close();
    }
}
