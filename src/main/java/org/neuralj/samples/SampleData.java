package org.neuralj.samples;

import ij.IJ;
import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ColorProcessor;
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
 * hand): a synthetic fluorescence image of nuclei, a small hand-set (not trained) blob-detector CNN in
 * ONNX that the demo runs on it, and synthetic blood-smear crops of the three classes of the shipped
 * {@code blood-cells} classifier ({@code images/blood-cells/synthetic-CLASS-1.png} to classify, and
 * {@code images/blood-cells-train/Platelets|RBC|WBC/synthetic-CLASS-2..5.png} to train on). Everything is
 * seeded, so a run writes the same files on every machine. Regenerate them, from the repository root:
 * {@code mvn -q -B package -DskipTests && java -Djava.awt.headless=true -cp target/NeuralJ_-0.1.0-SNAPSHOT.jar
 * org.neuralj.samples.SampleData sample-data} (the jar finds ImageJ in {@code target/jars}).
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
        for (BloodCell cell : BloodCell.values()) {
            savePng(bloodCell(cell, cell.seed(1)), dir.resolve("images/blood-cells/" + cell.fileName(1)));
            for (int i = 2; i <= 5; i++) {
                savePng(bloodCell(cell, cell.seed(i)), dir.resolve("images/blood-cells-train/" + cell.folder() + "/" + cell.fileName(i)));
            }
        }
        System.out.println("wrote synthetic blood-cell crops to " + dir.resolve("images/blood-cells") + " and "
                + dir.resolve("images/blood-cells-train"));
    }

    private static void savePng(ImagePlus imp, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!new FileSaver(imp).saveAsPng(file.toString())) {
            throw new IOException("could not write " + file);
        }
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

    /** The cell classes of the blood-smear crops, named as the shipped classifier's card and training folders name them. */
    public enum BloodCell {
        PLATELET("Platelets", "platelet"), RBC("RBC", "rbc"), WBC("WBC", "wbc");

        private final String folder;
        private final String tag;

        BloodCell(String folder, String tag) {
            this.folder = folder;
            this.tag = tag;
        }

        /** The class name: the training sub-folder and the classifier's label. */
        public String folder() {
            return folder;
        }

        /** {@code synthetic-wbc-1.png}: the name states the class. */
        public String fileName(int i) {
            return "synthetic-" + tag + "-" + i + ".png";
        }

        /** The seed of crop {@code i}: the shipped crop to classify is 1, the training crops 2..5. */
        public long seed(int i) {
            return 1000L * (ordinal() + 1) + i;
        }
    }

    /** Background light (RGB) and the absorbance per unit stain density of the two stains (Beer-Lambert). */
    private static final double[] LIGHT = {208, 205, 208};
    private static final double[] PINK_OD = {0.2, 0.42, 0.33};    // eosin-like: red blood cells, cytoplasm
    private static final double[] PURPLE_OD = {0.64, 0.77, 0.08}; // azure-like: nuclei, platelet granules

    /**
     * An RGB crop of one stained blood-smear cell, cut tightly around it as a detector's box would: a red
     * blood cell (about 100 px, a pink disc with a paler centre), a white blood cell (about 170 px, pale
     * cytoplasm around a dark purple lobed nucleus, with fragments of neighbouring red cells at the edges)
     * or a platelet (about 40 px, a small purple granular blob), on a light, faintly pink-grey background. Stains
     * absorb light: each pixel is the background times {@code exp(-(pink * PINK_OD + purple * PURPLE_OD))},
     * then slightly blurred (the optics) and given noise. Seeded: the same crop on every machine.
     */
    public static ImagePlus bloodCell(BloodCell cell, long seed) {
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L); // spread: nearby seeds give unrelated crops
        Smear s = switch (cell) {
            case RBC -> redCell(rnd);
            case WBC -> whiteCell(rnd);
            case PLATELET -> platelet(rnd);
        };
        return new ImagePlus("synthetic-" + cell.tag, s.render());
    }

    private static Smear redCell(Random rnd) {
        Smear s = new Smear(88 + rnd.nextInt(16), 88 + rnd.nextInt(16), rnd);
        s.neighbours(1 + rnd.nextInt(2), 44);
        s.redCell(s.w / 2.0 + rnd.nextGaussian() * 2, s.h / 2.0 + rnd.nextGaussian() * 2, 0.45 * s.w, 0.45 * s.h);
        return s;
    }

    private static Smear whiteCell(Random rnd) {
        Smear s = new Smear(150 + rnd.nextInt(40), 135 + rnd.nextInt(35), rnd);
        double cx = s.w / 2.0 + rnd.nextGaussian() * 3;
        double cy = s.h / 2.0 + rnd.nextGaussian() * 3;
        float[] cytoplasm = s.ellipse(cx, cy, 0.48 * s.w, 0.48 * s.h, 0, 3);
        s.neighbours(2 + rnd.nextInt(2), 46);
        for (int i = 0; i < cytoplasm.length; i++) { // the white cell lies over the red ones
            s.pink[i] *= 1 - cytoplasm[i];
        }
        s.stain(s.pink, cytoplasm, 0.15, s.texture(6), 0.2);
        s.stain(s.purple, cytoplasm, 0.08, s.texture(6), 0.2);
        // the nucleus: 3 or 4 overlapping lobes along an arc around the centre
        double m = Math.min(s.w, s.h);
        int lobes = 3 + rnd.nextInt(2);
        double start = rnd.nextDouble() * 2 * Math.PI;
        float[] nucleus = new float[s.w * s.h];
        for (int k = 0; k < lobes; k++) {
            double t = start + k * (2.2 * Math.PI / 3) / (lobes - 1);
            double r = (0.24 + 0.05 * rnd.nextDouble()) * m;
            max(nucleus, s.ellipse(cx + 0.22 * m * Math.cos(t), cy + 0.22 * m * Math.sin(t), r, r * (0.75 + 0.2 * rnd.nextDouble()),
                    rnd.nextDouble() * Math.PI, 2));
        }
        s.stain(s.purple, nucleus, 1.0, s.texture(5), 0.3);
        return s;
    }

    private static Smear platelet(Random rnd) {
        Smear s = new Smear(34 + rnd.nextInt(10), 31 + rnd.nextInt(11), rnd);
        double cx = s.w / 2.0 + rnd.nextGaussian();
        double cy = s.h / 2.0 + rnd.nextGaussian();
        s.stain(s.purple, s.ellipse(cx, cy, 8 + 2 * rnd.nextDouble(), 6 + 2 * rnd.nextDouble(), rnd.nextDouble() * Math.PI, 2), 0.35, null, 0);
        float[] granules = new float[s.w * s.h];
        int n = 4 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            double r = 2 + 1.5 * rnd.nextDouble();
            max(granules, s.ellipse(cx + rnd.nextGaussian() * 2.5, cy + rnd.nextGaussian() * 2.5, r, r, 0, 1));
        }
        s.stain(s.purple, granules, 0.45, null, 0);
        return s;
    }

    private static void max(float[] into, float[] mask) {
        for (int i = 0; i < into.length; i++) {
            into[i] = Math.max(into[i], mask[i]);
        }
    }

    /** A crop being drawn: the densities of the two stains per pixel. */
    private static final class Smear {
        final int w;
        final int h;
        final float[] pink;
        final float[] purple;
        final Random rnd;

        Smear(int w, int h, Random rnd) {
            this.w = w;
            this.h = h;
            this.pink = new float[w * h];
            this.purple = new float[w * h];
            this.rnd = rnd;
        }

        /** A soft-edged filled ellipse, 1 inside and 0 outside (semi-axes a, b in px; edge width {@code soft} px). */
        float[] ellipse(double cx, double cy, double a, double b, double angle, double soft) {
            float[] m = new float[w * h];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double dx = x - cx;
                    double dy = y - cy;
                    double u = (dx * cos + dy * sin) / a;
                    double v = (-dx * sin + dy * cos) / b;
                    double beyond = (Math.sqrt(u * u + v * v) - 1) * Math.min(a, b); // px outside the rim
                    m[y * w + x] = (float) (1 / (1 + Math.exp(beyond / soft)));
                }
            }
            return m;
        }

        /** Adds {@code density * mask}, modulated by {@code amount * texture} where a texture is given. */
        void stain(float[] layer, float[] mask, double density, float[] texture, double amount) {
            for (int i = 0; i < layer.length; i++) {
                double t = texture == null ? 1 : Math.max(0, 1 + amount * texture[i]);
                layer[i] += (float) (density * mask[i] * t);
            }
        }

        /** A red blood cell: a pink disc, thinner (paler) in the middle. */
        void redCell(double cx, double cy, double a, double b) {
            float[] disc = ellipse(cx, cy, a, b, 0, 2);
            float[] centre = ellipse(cx, cy, 0.45 * a, 0.45 * b, 0, 0.12 * a);
            for (int i = 0; i < disc.length; i++) {
                disc[i] -= 0.6f * centre[i];
            }
            stain(pink, disc, 1.0, texture(4), 0.08);
        }

        /** {@code n} red cells of radius about {@code r} centred just outside the crop, so only part of each shows. */
        void neighbours(int n, double r) {
            double start = rnd.nextDouble() * 2 * Math.PI;
            for (int k = 0; k < n; k++) {
                double t = start + k * 2 * Math.PI / n + rnd.nextGaussian() * 0.3;
                double ca = Math.cos(t);
                double sa = Math.sin(t);
                // from the centre towards angle t to the crop's border, then r * 0.6 beyond it
                double toBorder = Math.min(Math.abs(w / 2.0 / (ca == 0 ? 1e-9 : ca)), Math.abs(h / 2.0 / (sa == 0 ? 1e-9 : sa)));
                double d = toBorder + r * 0.6;
                double rr = r * (0.9 + 0.2 * rnd.nextDouble());
                redCell(w / 2.0 + d * ca, h / 2.0 + d * sa, rr, rr * (0.85 + 0.15 * rnd.nextDouble()));
            }
        }

        /** Smooth random variation, zero mean and unit standard deviation, on the scale of {@code sigma} px. */
        float[] texture(double sigma) {
            float[] t = new float[w * h];
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) rnd.nextGaussian();
            }
            blur(t, sigma);
            double sum = 0;
            double sq = 0;
            for (float v : t) {
                sum += v;
                sq += v * v;
            }
            double mean = sum / t.length;
            double std = Math.sqrt(Math.max(1e-12, sq / t.length - mean * mean));
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) ((t[i] - mean) / std);
            }
            return t;
        }

        /** Light through the stains (Beer-Lambert), blurred by the optics (sigma 1 px), with camera noise. */
        ColorProcessor render() {
            float[] light = texture(20);
            float[][] rgb = new float[3][w * h];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < w * h; i++) {
                    double od = pink[i] * PINK_OD[c] + purple[i] * PURPLE_OD[c];
                    rgb[c][i] = (float) (LIGHT[c] * (1 + 0.012 * light[i]) * Math.exp(-od));
                }
                blur(rgb[c], 1.0);
            }
            ColorProcessor cp = new ColorProcessor(w, h);
            for (int i = 0; i < w * h; i++) {
                int[] v = new int[3];
                for (int c = 0; c < 3; c++) {
                    v[c] = (int) Math.max(0, Math.min(255, Math.round(rgb[c][i] + rnd.nextGaussian() * 2.5)));
                }
                cp.set(i, 0xff000000 | (v[0] << 16) | (v[1] << 8) | v[2]);
            }
            return cp;
        }

        /** Separable Gaussian blur of a w x h plane in place (edges clamped); plain loops, so the same everywhere. */
        void blur(float[] a, double sigma) {
            int r = (int) Math.ceil(3 * sigma);
            float[] k = new float[2 * r + 1];
            double sum = 0;
            for (int i = -r; i <= r; i++) {
                k[i + r] = (float) Math.exp(-i * i / (2 * sigma * sigma));
                sum += k[i + r];
            }
            for (int i = 0; i < k.length; i++) {
                k[i] /= (float) sum;
            }
            float[] tmp = new float[a.length];
            for (int y = 0; y < h; y++) { // along x: a[y][x] -> tmp[y][x]
                for (int x = 0; x < w; x++) {
                    float v = 0;
                    for (int i = -r; i <= r; i++) {
                        v += k[i + r] * a[y * w + Math.max(0, Math.min(w - 1, x + i))];
                    }
                    tmp[y * w + x] = v;
                }
            }
            for (int y = 0; y < h; y++) { // along y: tmp[y][x] -> a[y][x]
                for (int x = 0; x < w; x++) {
                    float v = 0;
                    for (int i = -r; i <= r; i++) {
                        v += k[i + r] * tmp[Math.max(0, Math.min(h - 1, y + i)) * w + x];
                    }
                    a[y * w + x] = v;
                }
            }
        }
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
