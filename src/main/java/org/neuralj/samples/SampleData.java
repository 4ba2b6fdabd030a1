package org.neuralj.samples;

import ij.IJ;
import ij.ImagePlus;
import ij.process.ShortProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.onnx.ValueInfo;

/**
 * Makes the files in {@code sample-data/} (the template they are generated from; never edit them by
 * hand): a synthetic fluorescence image of nuclei, and a small hand-set (not trained) blob-detector
 * CNN in ONNX that the demo runs on it. Run: {@code java -cp ... org.neuralj.samples.SampleData sample-data}.
 */
public final class SampleData {
    private SampleData() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "sample-data");
        Files.createDirectories(dir.resolve("images"));
        Files.createDirectories(dir.resolve("models"));
        ImagePlus nuclei = syntheticNuclei(512, 512, 70, 42);
        IJ.saveAsTiff(nuclei, dir.resolve("images/synthetic-nuclei.tif").toString());
        OnnxWriter.write(blobDetector(), dir.resolve("models/blob-detector.onnx"));
        System.out.println("wrote " + dir.resolve("images/synthetic-nuclei.tif") + " and " + dir.resolve("models/blob-detector.onnx"));
    }

    /**
     * A 16-bit image of {@code count} elliptical nuclei (radius 6-14 px, textured, soft edges) on an
     * uneven background with Gaussian read noise, seeded so it is the same on every machine.
     */
    public static ImagePlus syntheticNuclei(int w, int h, int count, long seed) {
        Random rnd = new Random(seed);
        float[] img = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img[y * w + x] = 300 + 80f * x / w + 40f * y / h; // uneven illumination
            }
        }
        for (int n = 0; n < count; n++) {
            double cx = 15 + rnd.nextDouble() * (w - 30);
            double cy = 15 + rnd.nextDouble() * (h - 30);
            double a = 6 + rnd.nextDouble() * 8;
            double b = a * (0.6 + rnd.nextDouble() * 0.4);
            double angle = rnd.nextDouble() * Math.PI;
            double brightness = 900 + rnd.nextDouble() * 1800;
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            int r = (int) Math.ceil(a + 3);
            for (int y = (int) cy - r; y <= (int) cy + r; y++) {
                for (int x = (int) cx - r; x <= (int) cx + r; x++) {
                    if (x < 0 || y < 0 || x >= w || y >= h) {
                        continue;
                    }
                    double dx = x - cx;
                    double dy = y - cy;
                    double u = (dx * cos + dy * sin) / a;
                    double v = (-dx * sin + dy * cos) / b;
                    double d = Math.sqrt(u * u + v * v);
                    double edge = 1 / (1 + Math.exp((d - 1) * 10)); // soft boundary
                    double texture = 0.85 + 0.15 * Math.sin(x * 0.9 + n) * Math.cos(y * 0.7 - n);
                    img[y * w + x] += (float) (brightness * edge * texture);
                }
            }
        }
        ShortProcessor sp = new ShortProcessor(w, h);
        for (int i = 0; i < img.length; i++) {
            double noisy = img[i] + rnd.nextGaussian() * 25;
            sp.set(i, (int) Math.max(0, Math.min(65535, Math.round(noisy))));
        }
        ImagePlus imp = new ImagePlus("synthetic-nuclei", sp);
        imp.getCalibration().pixelWidth = 0.65;
        imp.getCalibration().pixelHeight = 0.65;
        imp.getCalibration().setUnit("micron");
        return imp;
    }

    /**
     * A blob-detector CNN with hand-set weights: Conv 1->3 (negated Laplacian-of-Gaussian kernels,
     * sigma 2, 3 and 4, 25x25), Relu, 2x2 MaxPool, Conv 3->1 (1x1, mean of the scales), nearest
     * Resize x2 back to the input size, Sigmoid. Input [1,1,H,W] with H, W even; output a blob map.
     */
    public static OnnxModel blobDetector() {
        int k = 25;
        double[] sigmas = {2, 3, 4};
        float[] w1 = new float[sigmas.length * k * k];
        for (int s = 0; s < sigmas.length; s++) {
            float[] log = negatedLog(k, sigmas[s]);
            System.arraycopy(log, 0, w1, s * k * k, k * k);
        }
        float[] b1 = {0, 0, 0};
        float[] w2 = {4f / 3, 4f / 3, 4f / 3};
        float[] b2 = {-2f};
        List<OnnxTensor> init = new ArrayList<>();
        init.add(OnnxTensor.ofFloats("log_w", new long[] {3, 1, k, k}, w1));
        init.add(OnnxTensor.ofFloats("log_b", new long[] {3}, b1));
        init.add(OnnxTensor.ofFloats("mix_w", new long[] {1, 3, 1, 1}, w2));
        init.add(OnnxTensor.ofFloats("mix_b", new long[] {1}, b2));
        init.add(OnnxTensor.ofFloats("scales", new long[] {4}, new float[] {1, 1, 2, 2}));
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Conv", List.of("image", "log_w", "log_b"), List.of("responses"),
                        OnnxAttribute.ofInts("kernel_shape", k, k), OnnxAttribute.ofInts("pads", k / 2, k / 2, k / 2, k / 2)).withName("log_filters"),
                OnnxNode.of("Relu", List.of("responses"), List.of("blobs")).withName("relu"),
                OnnxNode.of("MaxPool", List.of("blobs"), List.of("pooled"),
                        OnnxAttribute.ofInts("kernel_shape", 2, 2), OnnxAttribute.ofInts("strides", 2, 2)).withName("pool"),
                OnnxNode.of("Conv", List.of("pooled", "mix_w", "mix_b"), List.of("score"),
                        OnnxAttribute.ofInts("kernel_shape", 1, 1)).withName("mix_scales"),
                OnnxNode.of("Resize", List.of("score", "", "scales"), List.of("score_full"),
                        OnnxAttribute.of("mode", "nearest")).withName("upsample"),
                OnnxNode.of("Sigmoid", List.of("score_full"), List.of("blob_probability")).withName("sigmoid"));
        OnnxGraph graph = OnnxGraph.of("blob-detector", nodes, init,
                List.of(ValueInfo.symbolicTensor("image", org.neuralj.onnx.DataType.FLOAT, 1L, 1L, "height", "width")),
                List.of(ValueInfo.symbolicTensor("blob_probability", org.neuralj.onnx.DataType.FLOAT, 1L, 1L, "height", "width")));
        return OnnxModel.of(graph, 13);
    }

    /** -LoG(sigma) * sigma^2 (scale-normalised, positive at a bright blob's centre), k x k. */
    static float[] negatedLog(int k, double sigma) {
        float[] w = new float[k * k];
        int c = k / 2;
        double sum = 0;
        for (int y = 0; y < k; y++) {
            for (int x = 0; x < k; x++) {
                double r2 = (x - c) * (x - c) + (y - c) * (y - c);
                double g = Math.exp(-r2 / (2 * sigma * sigma)) / (2 * Math.PI * sigma * sigma);
                double log = (r2 - 2 * sigma * sigma) / (sigma * sigma * sigma * sigma) * g;
                w[y * k + x] = (float) (-log * sigma * sigma);
                sum += w[y * k + x];
            }
        }
        // remove the truncation's DC offset so flat background gives 0
        for (int i = 0; i < w.length; i++) {
            w[i] -= (float) (sum / w.length);
        }
        return w;
    }
}
