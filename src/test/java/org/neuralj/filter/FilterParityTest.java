package org.neuralj.filter;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ij.IJ;
import ij.ImagePlus;
import ij.plugin.filter.Convolver;
import ij.plugin.filter.GaussianBlur;
import ij.plugin.filter.UnsharpMask;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.SharedData;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.image.FilterImages;

/**
 * NeuralJ's filters against ImageJ's own implementations (the golden data): GaussianBlur, Convolver,
 * findEdges, UnsharpMask, sharpen; on random data and the shared real images, every bit depth, on every
 * backend. 32-bit: max |difference| &lt;= 1e-4 of the image's range; 8/16-bit and RGB: at most 1 grey level.
 */
class FilterParityTest {
    private static final Map<String, Backend> BACKENDS = new HashMap<>();

    static Stream<String> backends() {
        return Backends.available().stream();
    }

    static Backend backend(String spec) {
        return BACKENDS.computeIfAbsent(spec, Backends::select);
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.values().forEach(Backend::close);
        BACKENDS.clear();
    }

    // ---- helpers --------------------------------------------------------------------------------

    static FloatProcessor randomFloat(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] p = new float[w * h];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextGaussian() * 100 + 20 * Math.sin(i % w * 0.1));
        }
        return new FloatProcessor(w, h, p);
    }

    static ImageProcessor randomOf(int bitDepth, int w, int h, long seed) {
        Random r = new Random(seed);
        switch (bitDepth) {
            case 8: {
                byte[] p = new byte[w * h];
                r.nextBytes(p);
                return new ByteProcessor(w, h, p);
            }
            case 16: {
                short[] p = new short[w * h];
                for (int i = 0; i < p.length; i++) {
                    p[i] = (short) r.nextInt(65536);
                }
                return new ShortProcessor(w, h, p, null);
            }
            case 24: {
                int[] p = new int[w * h];
                for (int i = 0; i < p.length; i++) {
                    p[i] = r.nextInt() & 0xffffff;
                }
                return new ColorProcessor(w, h, p);
            }
            default:
                return randomFloat(w, h, seed);
        }
    }

    /** Fails unless |a - e| <= tol * range(e) everywhere; the message has the figures. */
    static double assertFloatClose(FloatProcessor expected, FloatProcessor actual, double relTol, String what) {
        return assertFloatClose(expected, expected, actual, relTol, what);
    }

    /** As above with the range taken from the input image {@code source}. */
    static double assertFloatClose(ImageProcessor source, FloatProcessor expected, FloatProcessor actual, double relTol,
                                   String what) {
        float[] e = (float[]) expected.getPixels();
        float[] a = (float[]) actual.getPixels();
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (int i = 0; i < source.getPixelCount(); i++) {
            float v = source.getf(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double range = Math.max(max - min, 1e-30);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        double rel = worst / range;
        if (!(rel <= relTol)) {
            fail(String.format("%s: max |diff| %.3g = %.3g of the range %.4g (allowed %.1g) at (%d,%d): ImageJ %s, NeuralJ %s",
                    what, worst, rel, range, relTol, at % expected.getWidth(), at / expected.getWidth(), e[at], a[at]));
        }
        return rel;
    }

    /** Fails unless every pixel (every channel) differs by at most maxLevels. */
    static int assertIntegerClose(ImageProcessor expected, ImageProcessor actual, int maxLevels, String what) {
        int worst = 0, at = 0, n = expected.getPixelCount(), differing = 0;
        int channels = expected instanceof ColorProcessor ? 3 : 1;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                int e = channels == 3 ? (expected.get(i) >> (16 - 8 * c)) & 0xff : expected.get(i);
                int a = channels == 3 ? (actual.get(i) >> (16 - 8 * c)) & 0xff : actual.get(i);
                int d = Math.abs(e - a);
                if (d > 0) {
                    differing++;
                }
                if (d > worst) {
                    worst = d;
                    at = i;
                }
            }
        }
        if (worst > maxLevels) {
            fail(String.format("%s: max difference %d grey levels at (%d,%d) (allowed %d); %d of %d values differ",
                    what, worst, at % expected.getWidth(), at / expected.getWidth(), maxLevels, differing, n * channels));
        }
        return worst;
    }

    static ImageProcessor neuralj(String spec, Filter f, ImageProcessor ip) {
        ImageProcessor copy = ip.duplicate();
        FilterImages.filter(backend(spec), f, EdgeMode.EDGE, List.of(copy), null, null, null);
        return copy;
    }

    static ImageProcessor imagejGauss(ImageProcessor ip, double sigma, double accuracy) {
        ImageProcessor copy = ip.duplicate();
        new GaussianBlur().blurGaussian(copy, sigma, sigma, accuracy);
        return copy;
    }

    // ---- Gaussian -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gaussian32BitRandomMatchesImageJ(String spec) {
        FloatProcessor fp = randomFloat(157, 103, 1);
        for (double sigma : new double[] {0.5, 1, 2, 3.7, 8, 10, 17, 40}) {
            ImageProcessor expected = imagejGauss(fp, sigma, 0.0002);
            ImageProcessor actual = neuralj(spec, new Filter.Gaussian(sigma, 0.0002), fp);
            assertFloatClose((FloatProcessor) expected, (FloatProcessor) actual, 1e-4,
                    "Gaussian sigma " + sigma + " 32-bit 157x103 on " + spec);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gaussianEveryBitDepthMatchesImageJ(String spec) {
        for (int depth : new int[] {8, 16, 24, 32}) {
            ImageProcessor ip = randomOf(depth, 96, 71, depth);
            double acc = GaussianKernels.accuracyFor(depth);
            for (double sigma : new double[] {1.5, 12}) {
                ImageProcessor expected = imagejGauss(ip, sigma, acc);
                ImageProcessor actual = neuralj(spec, new Filter.Gaussian(sigma, acc), ip);
                String what = "Gaussian sigma " + sigma + " " + depth + "-bit on " + spec;
                if (depth == 32) {
                    assertFloatClose((FloatProcessor) expected, (FloatProcessor) actual, 1e-4, what);
                } else {
                    assertIntegerClose(expected, actual, 1, what);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gaussianTinyAndHugeSigma(String spec) {
        // a 1x1 image and a 3x2 image with a sigma far larger than the image
        FloatProcessor one = new FloatProcessor(1, 1, new float[] {42f});
        ImageProcessor r1 = neuralj(spec, new Filter.Gaussian(5, 0.0002), one);
        assertTrue(Math.abs(r1.getf(0) - 42f) < 1e-4, "1x1 image, sigma 5: expected 42, got " + r1.getf(0));
        FloatProcessor small = new FloatProcessor(3, 2, new float[] {1, 2, 3, 4, 5, 6});
        for (double sigma : new double[] {3, 1000}) {
            assertFloatClose(small, (FloatProcessor) imagejGauss(small, sigma, 0.0002),
                    (FloatProcessor) neuralj(spec, new Filter.Gaussian(sigma, 0.0002), small), 1e-4,
                    "Gaussian sigma " + sigma + " on a 3x2 image on " + spec);
        }
    }

    // ---- Convolver --------------------------------------------------------------------------------

    static float[] randomKernel(int kw, int kh, long seed) {
        Random r = new Random(seed);
        float[] k = new float[kw * kh];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (r.nextGaussian() + 0.3);
        }
        return k;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void customKernelMatchesConvolverEveryBitDepth(String spec) {
        int[][] sizes = {{3, 3}, {7, 7}, {5, 3}, {1, 9}, {15, 15}};
        for (int depth : new int[] {8, 16, 24, 32}) {
            ImageProcessor ip = randomOf(depth, 64, 53, 10 + depth);
            for (int[] s : sizes) {
                for (boolean normalize : new boolean[] {true, false}) {
                    float[] k = randomKernel(s[0], s[1], s[0] * 31 + s[1]);
                    if (!normalize && depth != 32) {
                        for (int i = 0; i < k.length; i++) {
                            k[i] /= k.length;       // keep integer results mostly inside the type's range
                        }
                    }
                    ImageProcessor expected = ip.duplicate();
                    Convolver cv = new Convolver();
                    cv.setNormalize(normalize);
                    convolveAsImageJ(cv, expected, k, s[0], s[1]);
                    ImageProcessor actual = neuralj(spec, new Filter.Custom(new Kernel2D(s[0], s[1], k), normalize), ip);
                    String what = "Custom " + s[0] + "x" + s[1] + (normalize ? " normalized " : " ") + depth + "-bit on " + spec;
                    if (depth == 32) {
                        assertFloatClose((FloatProcessor) expected, (FloatProcessor) actual, 1e-4, what);
                    } else {
                        assertIntegerClose(expected, actual, 1, what);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void separableCustomKernelMatchesConvolver(String spec) {
        // an outer product: runs as two 1-D passes
        float[] row = {1, 4, 6, 4, 1};
        float[] col = {-1, 0, 2, 0, -1};
        float[] k = new float[25];
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 5; x++) {
                k[y * 5 + x] = col[y] * row[x];
            }
        }
        assertTrue(new Kernel2D(5, 5, k).separate() != null, "the outer product must be found separable");
        FloatProcessor fp = randomFloat(80, 60, 5);
        ImageProcessor expected = fp.duplicate();
        new Convolver().convolve(expected, k, 5, 5);
        assertFloatClose((FloatProcessor) expected, (FloatProcessor) neuralj(spec, new Filter.Custom(new Kernel2D(5, 5, k), true), fp),
                1e-4, "separable 5x5 custom kernel on " + spec);
    }

    // ---- Find Edges, Unsharp Mask, Sharpen ---------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void findEdgesMatchesImageJEveryBitDepth(String spec) {
        for (int depth : new int[] {8, 16, 24, 32}) {
            ImageProcessor ip = randomOf(depth, 77, 58, 20 + depth);
            if (depth == 16) {
                ip.multiply(1.0 / 8);   // keep the gradient magnitude mostly below 65535
            }
            ImageProcessor expected = ip.duplicate();
            expected.findEdges();
            ImageProcessor actual = neuralj(spec, new Filter.FindEdges(), ip);
            String what = "Find Edges " + depth + "-bit on " + spec;
            if (depth == 32) {
                assertFloatClose((FloatProcessor) expected, (FloatProcessor) actual, 1e-4, what);
            } else {
                assertIntegerClose(expected, actual, 1, what);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void unsharpMaskAndSharpenMatchImageJ32Bit(String spec) {
        FloatProcessor fp = randomFloat(90, 70, 7);
        FloatProcessor expected = (FloatProcessor) fp.duplicate();
        expected.snapshot();
        new UnsharpMask().sharpenFloat(expected, 2.0, 0.6f);
        assertFloatClose(expected, (FloatProcessor) neuralj(spec, new Filter.UnsharpMask(2.0, 0.6), fp), 1e-4,
                "Unsharp Mask sigma 2 weight 0.6 on " + spec);
        FloatProcessor sharp = (FloatProcessor) fp.duplicate();
        sharp.sharpen();
        assertFloatClose(sharp, (FloatProcessor) neuralj(spec, Filter.Fixed.sharpen(), fp), 1e-4, "Sharpen on " + spec);
    }

    // ---- real images ----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void realImagesMatchImageJ(String spec) throws Exception {
        Path blobs = SharedData.require("data/bbbc007-blobs/data/BBBC007/images/A9_p5d_crop1.tif");
        Path nucleiDir = SharedData.require("data/nuclei-dsb2018/images");
        Path nuclei;
        try (Stream<Path> s = Files.list(nucleiDir)) {
            nuclei = s.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
        for (Path file : new Path[] {blobs, nuclei}) {
            ImagePlus imp = IJ.openImage(file.toString());
            assertTrue(imp != null, "ImageJ cannot open " + file);
            ImageProcessor ip = imp.getProcessor();
            String name = file.getFileName() + " (" + imp.getBitDepth() + "-bit " + ip.getWidth() + "x" + ip.getHeight() + ")";
            for (ImageProcessor src : new ImageProcessor[] {ip, ip.convertToFloatProcessor()}) {
                int depth = src instanceof FloatProcessor ? 32 : imp.getBitDepth();
                double acc = GaussianKernels.accuracyFor(depth);
                check(src, imagejGauss(src, 2, acc), neuralj(spec, new Filter.Gaussian(2, acc), src),
                        "Gaussian sigma 2 on " + name + " as " + depth + "-bit on " + spec);
                check(src, imagejGauss(src, 10, acc), neuralj(spec, new Filter.Gaussian(10, acc), src),
                        "Gaussian sigma 10 on " + name + " as " + depth + "-bit on " + spec);
                ImageProcessor edges = src.duplicate();
                edges.findEdges();
                check(src, edges, neuralj(spec, new Filter.FindEdges(), src), "Find Edges on " + name + " as " + depth + "-bit on " + spec);
                float[] k = randomKernel(7, 7, 3);
                ImageProcessor conv = src.duplicate();
                convolveAsImageJ(new Convolver(), conv, k, 7, 7);
                check(src, conv, neuralj(spec, new Filter.Custom(new Kernel2D(7, 7, k), true), src),
                        "Custom 7x7 normalized on " + name + " as " + depth + "-bit on " + spec);
            }
        }
    }

    /** What ImageJ's Convolve command does (CONVERT_TO_FLOAT): each channel as float, then back. */
    static void convolveAsImageJ(Convolver cv, ImageProcessor ip, float[] k, int kw, int kh) {
        FloatProcessor fp = null;
        for (int c = 0; c < ip.getNChannels(); c++) {
            fp = ip.toFloat(c, fp);
            fp.snapshot();
            cv.convolve(fp, k, kw, kh);
            ip.setPixels(c, fp);
        }
    }

    private static void check(ImageProcessor src, ImageProcessor expected, ImageProcessor actual, String what) {
        if (src instanceof FloatProcessor) {
            assertFloatClose((FloatProcessor) expected, (FloatProcessor) actual, 1e-4, what);
        } else {
            assertIntegerClose(expected, actual, 1, what);
        }
    }
}
