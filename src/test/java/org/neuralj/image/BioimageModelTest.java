package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.FloatProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.cli.Main;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * bioimage.io model packages on the Segment path: the real "UNet 2D Nuclei Broad" package (format
 * 0.5) segments its own test input as the CLI user runs it and matches its test output; a format-0.4
 * package around the shipped blob detector maps percentile scaling, size rule and binarisation onto
 * NeuralJ's tiling; every processing step is checked against a hand computation; and broken or
 * malicious packages are refused naming the file and field.
 */
class BioimageModelTest {
    /** The U-Net's output after NeuralJ's pre-processing, tiling and post-processing vs. the package's test output. */
    static final double UNET_TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    @Test
    void theUNetPackageMapsOntoTheSegmentPath() {
        Path pkg = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        for (Path p : List.of(pkg, pkg.resolve("bioimageio.yaml"))) {
            ModelLocator.Located l = ModelLocator.locate(p.toString(), ModelCard.Task.SEGMENTATION);
            assertNotNull(l.bioimage(), p.toString());
            assertEquals(pkg.resolve("weights.onnx").toAbsolutePath().normalize(), l.onnx());
            ModelCard c = l.card();
            assertEquals("unet2d-nuclei-broad", c.name());
            assertEquals(1, c.channels());
            assertEquals(Normalization.NONE, c.normalization(), "the package's pre-processing replaces the card's normalisation");
            assertEquals(512, c.tile(), "input size 512");
            assertEquals(32, c.halo(), "the output's halo");
            assertEquals("probability", c.output(), "post-processing ends in a sigmoid");
            assertEquals(List.of(new BioimageProcessing.ZeroMeanUnitVariance(true, null, null, 1e-6)).toString(),
                    l.bioimage().preprocessing().steps().toString());
            assertEquals("sigmoid", l.bioimage().postprocessing().describe());
            assertEquals(pkg.resolve("test_input.npy").toAbsolutePath().normalize(), l.bioimage().testInput());
        }
    }

    @Test
    void segmentCliRunsTheUNetPackageAndMatchesItsTestOutput() throws Exception {
        Path pkg = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        Npy.Array in = Npy.read(pkg.resolve("test_input.npy"));
        Npy.Array expected = Npy.read(pkg.resolve("test_output.npy"));
        int h = in.shape()[2], w = in.shape()[3];
        Path image = dir.resolve("test_input.tif");
        IJ.saveAsTiff(new ImagePlus("test_input", new FloatProcessor(w, h, in.data())), image.toString());
        Path out = dir.resolve("out");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"segment", "--model", pkg.toString(), "--output", "prob", "--backend", "cpu", image.toString(),
                out.toString()}, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, o + "\n" + e);
        float[] got = (float[]) IJ.openImage(out.resolve("test_input.tif").toString()).getProcessor().getPixels();
        double worst = 0;
        int at = 0;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(got[i] - expected.data()[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        System.out.printf("unet2d-nuclei-broad via neuralj segment: max |output - test_output.npy| = %.3g at (%d, %d)%n", worst, at % w, at / w);
        assertTrue(worst <= UNET_TOLERANCE, "max difference " + worst + " at (" + at % w + ", " + at / w + "): " + got[at] + " vs "
                + expected.data()[at]);
    }

    /** A format-0.4 package around the shipped blob detector (weights copied in, sha256 given). */
    Path blobPackage(String preprocessing, String postprocessing, String extra) throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("blob-package"));
        Path weights = pkg.resolve("blob.onnx");
        Files.copy(Path.of("sample-data/models/blob-detector.onnx"), weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(pkg.resolve("rdf.yaml"), """
                format_version: 0.4.10
                type: model
                name: Blob detector
                config:
                  bioimageio:
                    nickname: blobby
                license: MIT
                inputs:
                  - name: image
                    axes: bcyx
                    data_type: float32
                    shape:
                      min: [1, 1, 32, 32]
                      step: [0, 0, 16, 16]
                    preprocessing:
                %s
                outputs:
                  - name: blobs
                    axes: bcyx
                    data_type: float32
                    shape: {reference_tensor: image, scale: [1, 1, 1, 1], offset: [0, 0, 0, 0]}
                    halo: [0, 0, 12, 12]
                    postprocessing:
                %s
                weights:
                  onnx:
                    source: ./blob.onnx
                    sha256: %s
                %s
                """.formatted(preprocessing.indent(6).stripTrailing(), postprocessing.indent(6).stripTrailing(),
                BioimageModel.sha256(weights), extra));
        return pkg;
    }

    @Test
    void aFormat04PackageScalesByPercentilesAndBinarises() throws Exception {
        Path pkg = blobPackage("""
                - name: scale_range
                  kwargs: {mode: per_sample, axes: xy, min_percentile: 1, max_percentile: 99.5}
                - name: scale_linear
                  kwargs: {gain: 8, offset: -1, axes: xy}
                """, """
                - name: binarize
                  kwargs: {threshold: 0.5}
                """, "");
        ModelLocator.Located l = ModelLocator.locate(pkg.toString(), ModelCard.Task.SEGMENTATION);
        assertEquals("blobby", l.card().name());
        assertEquals(16, l.card().stride(), "the size rule's step");
        assertEquals(512, l.card().tile(), "32 + k * 16 nearest above 512");
        assertEquals(12, l.card().halo());
        assertEquals("probability", l.card().output());
        int w = 96, h = 80;
        float[] px = new float[w * h];
        Random r = new Random(4);
        for (int i = 0; i < px.length; i++) {
            int x = i % w, y = i / w;
            px[i] = 100 + 20 * (float) r.nextGaussian() + ((x - 30) * (x - 30) + (y - 40) * (y - 40) < 64 ? 900 : 0)
                    + ((x - 70) * (x - 70) + (y - 25) * (y - 25) < 25 ? 600 : 0);
        }
        float[] got;
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(pkg.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu"), null)) {
            got = (float[]) seg.segment(new ImagePlus("blobs", new FloatProcessor(w, h, px.clone())), null).getProcessor().getPixels();
        }
        // by hand: numpy percentiles, the model on the whole image, then > 0.5
        float[] sorted = px.clone();
        Arrays.sort(sorted);
        double lo = numpyPercentile(sorted, 1), hi = numpyPercentile(sorted, 99.5);
        float[] x = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            x[i] = (float) ((px[i] - lo) / (hi - lo + 1e-6)) * 8 - 1;
        }
        float[] y;
        try (CpuBackend b = new CpuBackend(1); Session s = new Session(Model.load(Path.of("sample-data/models/blob-detector.onnx")), b)) {
            y = s.runOnHost(Map.of("image", new HostTensor(new int[] {1, 1, h, w}, x))).values().iterator().next().data();
        }
        int ones = 0;
        float max = 0;
        for (int i = 0; i < y.length; i++) {
            max = Math.max(max, y[i]);
            assertEquals(y[i] > 0.5f ? 1f : 0f, got[i], "pixel (" + i % w + ", " + i / w + "): probability " + y[i]);
            ones += got[i] == 1f ? 1 : 0;
        }
        assertTrue(ones > 20 && ones < px.length / 4, "the two spots are found: " + ones + " foreground pixels (largest probability " + max + ")");
    }

    static double numpyPercentile(float[] sorted, double p) {
        double pos = p / 100 * (sorted.length - 1);
        int i = (int) pos;
        return sorted[i] + (pos - i) * (sorted[Math.min(i + 1, sorted.length - 1)] - sorted[i]);
    }

    /** A plane of 3 channels from arrays. */
    static PlaneSource plane(int w, int h, float[]... channels) {
        return PlaneSource.of(w, h, channels.length, (c, x, y) -> channels[c][y * w + x]);
    }

    static BioimageProcessing steps(String yaml, int channels, boolean output) {
        return BioimageProcessing.parse(BioimageYaml.parse(yaml, "steps.yaml"), "steps.yaml: steps", "raw", channels, output);
    }

    @Test
    void eachStepMatchesAHandComputation() {
        int w = 5, h = 4, n = w * h;
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i * 1.5f - 3;
            b[i] = (i * 7 % 11) * 10f;
        }
        PlaneSource src = plane(w, h, a, b);
        // per channel z-score (0.5 style), then a clip: statistics by hand
        PlaneSource z = steps("""
                - id: zero_mean_unit_variance
                  kwargs: {axes: [x, y], eps: 1.0e-6}
                - id: clip
                  kwargs: {min: -1.0, max: 1.5}
                """, 2, false).apply(src);
        for (int c = 0; c < 2; c++) {
            float[] v = c == 0 ? a : b;
            double mean = 0, sq = 0;
            for (float f : v) {
                mean += f / (double) n;
            }
            for (float f : v) {
                sq += (f - mean) * (f - mean);
            }
            double sd = Math.sqrt(sq / n);
            for (int i = 0; i < n; i++) {
                double want = Math.min(1.5, Math.max(-1, (v[i] - mean) / (sd + 1e-6)));
                assertEquals(want, z.get(c, i % w, i / w), 1e-5, "zmuv+clip channel " + c + " pixel " + i);
            }
        }
        // joint z-score (0.4 style, axes include the channel), then statistics of the clipped result
        PlaneSource chained = steps("""
                - name: clip
                  kwargs: {min: 0, max: 40}
                - name: zero_mean_unit_variance
                  kwargs: {mode: per_sample, axes: cxy}
                """, 2, false).apply(src);
        double mean = 0, sq = 0;
        for (float[] v : new float[][] {a, b}) {
            for (float f : v) {
                mean += Math.min(40, Math.max(0, f)) / (2.0 * n);
            }
        }
        for (float[] v : new float[][] {a, b}) {
            for (float f : v) {
                double d = Math.min(40, Math.max(0, f)) - mean;
                sq += d * d;
            }
        }
        double sd = Math.sqrt(sq / (2 * n));
        assertEquals((Math.min(40, b[7]) - mean) / (sd + 1e-6), chained.get(1, 2, 1), 1e-5, "statistics after the clip, over both channels");
        // scale_range per channel; fixed z-score with one value per channel; scale_linear per channel
        PlaneSource range = steps("""
                - id: scale_range
                  kwargs: {axes: [y, x], min_percentile: 10, max_percentile: 90}
                """, 2, false).apply(src);
        float[] sb = b.clone();
        Arrays.sort(sb);
        double lo = numpyPercentile(sb, 10), hi = numpyPercentile(sb, 90);
        assertEquals((b[13] - lo) / (hi - lo + 1e-6), range.get(1, 3, 2), 1e-5, "scale_range channel 1");
        PlaneSource fixed = steps("""
                - name: zero_mean_unit_variance
                  kwargs: {mode: fixed, axes: xy, mean: [1, 20], std: [2, 5]}
                - name: scale_linear
                  kwargs: {gain: [2, -1], offset: 0.5, axes: xy}
                """, 2, false).apply(src);
        assertEquals(((a[6] - 1) / (2 + 1e-6)) * 2 + 0.5, fixed.get(0, 1, 1), 1e-5);
        assertEquals(((b[6] - 20) / (5 + 1e-6)) * -1 + 0.5, fixed.get(1, 1, 1), 1e-5);
        // post-processing on each output tile: sigmoid then binarize per channel
        Tiler.TileModel post = steps("""
                - id: sigmoid
                - id: binarize
                  kwargs: {threshold: [0.5, 0.9]}
                - id: ensure_dtype
                  kwargs: {dtype: uint8}
                """, 2, true).apply((input, c, th, tw) -> new HostTensor(new int[] {1, 2, 1, 2}, new float[] {-1, 1, 1, 3}));
        assertArrayEquals(new float[] {0, 1, 0, 1}, post.run(new float[0], 1, 1, 2).data(), "sigmoid(1) = 0.73 is below 0.9");
    }

    static void refused(Path pkg, String... words) {
        NeuralJException e = assertThrows(NeuralJException.class, () -> ModelLocator.locate(pkg.toString(), ModelCard.Task.SEGMENTATION));
        for (String word : words) {
            assertTrue(e.getMessage().contains(word), "'" + word + "' in: " + e.getMessage());
        }
    }

    @Test
    void brokenAndMaliciousPackagesAreRefused() throws Exception {
        String zmuv = "- name: zero_mean_unit_variance\n  kwargs: {mode: per_sample, axes: xy}\n";
        String none = "[]";
        Path pkg = blobPackage(zmuv, none, "");
        Path rdf = pkg.resolve("rdf.yaml");
        String good = Files.readString(rdf);
        Files.writeString(rdf, good.replace("format_version: 0.4.10", "format_version: 0.4.10\nevil: !!java.lang.ProcessBuilder [calc]"));
        refused(pkg, "rdf.yaml:2:7", "tags");
        Files.writeString(rdf, good.replace("license: MIT", "license: &a [x]\nauthors: *a"));
        refused(pkg, "anchors");
        Files.writeString(rdf, good.replace("source: ./blob.onnx", "source: ../../blob.onnx"));
        refused(pkg, "weights.onnx.source", "outside the package folder");
        Files.writeString(rdf, good.replace("source: ./blob.onnx", "source: https://example.com/blob.onnx"));
        refused(pkg, "URL");
        Files.writeString(rdf, good.replaceAll("sha256: [0-9a-f]+", "sha256: " + "0".repeat(64)));
        refused(pkg, "weights.onnx.sha256", "does not match");
        Files.writeString(rdf, good.replaceAll("(?s)weights:.*", "weights:\n  torchscript:\n    source: w.pt\n"));
        refused(pkg, "no onnx entry", "torchscript");
        Files.writeString(rdf, good.replace("mode: per_sample", "mode: per_dataset"));
        refused(pkg, "inputs[0].preprocessing[0]", "per_dataset");
        Files.writeString(rdf, good.replace("axes: bcyx\n    data_type: float32\n    shape:\n      min", "axes: byxc\n    data_type: float32\n    shape:\n      min"));
        refused(pkg, "inputs[0].axes", "byxc");
        Files.writeString(rdf, good.replace("name: zero_mean_unit_variance", "name: scale_mean_variance"));
        refused(pkg, "scale_mean_variance", "not supported");
        Files.writeString(rdf, good.replace("postprocessing:\n      []", "postprocessing:\n      - name: scale_range\n        kwargs: {mode: per_sample}"));
        refused(pkg, "outputs[0].postprocessing[0]", "tile by tile");
        Files.writeString(rdf, good.replace("format_version: 0.4.10", "format_version: 0.3.0"));
        refused(pkg, "format_version", "0.3.0");
        Files.delete(rdf);
        NeuralJException e = assertThrows(NeuralJException.class, () -> ModelLocator.locate(pkg.toString(), ModelCard.Task.SEGMENTATION));
        assertTrue(e.getMessage().contains("without a bioimage.io description"), e.getMessage());
    }
}
