package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.Backends;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.backend.opencl.OpenClBackend;
import org.neuralj.cli.Main;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Classifier;
import org.neuralj.image.FilterImages;
import org.neuralj.image.ImageFiles;
import org.neuralj.image.Models;
import org.neuralj.image.Normalization;
import org.neuralj.image.Segmenter;
import org.neuralj.image.Warnings;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.samples.SampleData;

/**
 * Out of device memory, provoked on PoCL with the memory cap ({@code -Dneuralj.opencl.maxMemory}):
 * a cap between what a whole plane and what a half-size tile need makes segment and apply retry with
 * smaller tiles and stay on the device, with the untiled result; a cap too small for anything moves
 * segment, apply, classify and the filters to the CPU with one warning (also in the CLI summary), with
 * the CPU's result.
 */
class DeviceMemoryFallbackTest {
    private static final String CAP = "neuralj.opencl.maxMemory";
    private static String device;
    private static ImageProcessor plane;

    @BeforeAll
    static void openClAndAnImage() {
        List<String> specs = Backends.available();
        Assumptions.assumeTrue(specs.size() > 1, "no OpenCL device here (CI has PoCL)");
        device = specs.get(1);
        ImagePlus nuclei = ImageFiles.open(Path.of("sample-data/images/synthetic-nuclei.tif"));
        ImageProcessor ip = nuclei.getProcessor();
        ip.setRoi(40, 60, 256, 192);
        plane = ip.crop();
    }

    /** The sample blob detector (conv, pool, resize, sigmoid) as a segmentation model with a card. */
    private static Path segmentationModel(Path dir) throws Exception {
        OnnxWriter.write(SampleData.blobDetector(), dir.resolve("blobs.onnx"));
        Files.writeString(dir.resolve("blobs.json"), "{\"name\": \"blobs\", \"task\": \"segmentation\", \"model\": \"blobs.onnx\","
                + " \"input\": {\"channels\": 1, \"normalization\": \"zscore\"}, \"output\": \"probability\","
                + " \"classes\": [\"background\", \"blob\"]}");
        return dir.resolve("blobs.json");
    }

    private static <T> T withCap(String cap, Supplier<T> run) {
        System.setProperty(CAP, cap);
        try {
            return run.get();
        } finally {
            System.clearProperty(CAP);
        }
    }

    /** Device bytes the blob detector's tensors (weights, input, activations, output) peak at for one h x w run. */
    private static long peakBytes(Path onnx, int h, int w) {
        Model m = Models.loadTileable(onnx);
        try (OpenClBackend cl = (OpenClBackend) Backends.select(device); Session s = new Session(m, cl)) {
            s.runOnHost(Map.of("image", new HostTensor(new int[] {1, 1, h, w}, new float[h * w])));
            return cl.peakDeviceBytes();
        }
    }

    private static float[] segment(Path card, String backend, int tile, List<String> log, String[] ranOn) {
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(card.toString(), Segmenter.Output.PROB, null, tile, 0, Double.NaN,
                backend), log::add)) {
            float[] p = (float[]) seg.segmentPlane(plane, null).getPixels();
            ranOn[0] = seg.backendName();
            return p;
        }
    }

    @Test
    void segmentRetriesWithSmallerTilesThenFallsBackToTheCpu(@TempDir Path dir) throws Exception {
        Path card = segmentationModel(dir);
        String[] ranOn = new String[1];
        float[] reference = segment(card, "cpu", 512, new ArrayList<>(), ranOn);

        // between the whole 256 x 192 plane and a 128 x 128 tile: the first try fails, 128-pixel tiles fit
        long whole = peakBytes(dir.resolve("blobs.onnx"), 192, 256);
        long tile = peakBytes(dir.resolve("blobs.onnx"), 128, 128);
        assertTrue(tile < whole, tile + " < " + whole);
        String cap = String.valueOf((whole + tile) / 2);
        List<String> log = new ArrayList<>();
        int mark = Warnings.mark();
        float[] retried = withCap(cap, () -> segment(card, device, 512, log, ranOn));
        System.out.printf("segment 256x192, cap %s bytes (whole plane %d, 128-tile %d): %s; on %s%n", cap, whole, tile, log, ranOn[0]);
        assertEquals(device, ranOn[0].substring(0, device.length()), "stays on the device");
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("retrying with 128-pixel tiles"), log.get(0));
        assertTrue(Warnings.since(mark).isEmpty(), "no CPU warning: " + Warnings.since(mark));
        assertClose(reference, retried, "128-pixel tiles after out-of-memory vs untiled on the CPU");

        // nothing fits: smaller tiles down to the smallest, then the CPU, said once
        log.clear();
        float[] onCpu = withCap("1k", () -> segment(card, device, 512, log, ranOn));
        List<String> warned = Warnings.since(mark);
        System.out.println("segment with a 1k cap: " + log.size() + " retries, then " + warned);
        assertTrue(ranOn[0].startsWith("cpu"), ranOn[0]);
        assertEquals(1, warned.size(), warned.toString());
        assertTrue(warned.get(0).contains("running on the CPU") && warned.get(0).contains("blobs.onnx"), warned.get(0));
        assertClose(reference, onCpu, "CPU fall-back vs CPU");
    }

    @Test
    void applyTilesAPlaneThatDoesNotFitAndTheCliSummarySaysWhenItFellBack(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("blobs.onnx");
        OnnxWriter.write(SampleData.blobDetector(), onnx);
        ImagePlus imp = new ImagePlus("crop", plane);
        float[] reference;
        try (ApplyModel.Applier a = ApplyModel.open(new ApplyModel.Request(onnx, Normalization.ZSCORE, false, "cpu"))) {
            reference = (float[]) a.apply(imp, null).image().getProcessor().getPixels();
        }
        long whole = peakBytes(onnx, 192, 256);
        long tile = peakBytes(onnx, 128, 128);
        int mark = Warnings.mark();
        String[] ranOn = new String[1];
        float[] tiled = withCap(String.valueOf((whole + tile) / 2), () -> {
            try (ApplyModel.Applier a = ApplyModel.open(new ApplyModel.Request(onnx, Normalization.ZSCORE, false, device))) {
                ApplyModel.Result r = a.apply(imp, null);
                ranOn[0] = r.backendName();
                return (float[]) r.image().getProcessor().getPixels();
            }
        });
        assertEquals(device, ranOn[0].substring(0, device.length()), "tiles kept it on the device");
        assertTrue(Warnings.since(mark).isEmpty(), Warnings.since(mark).toString());
        assertClose(reference, tiled, "apply in tiles after out-of-memory vs whole on the CPU");

        // the CLI: a cap too small for anything; the batch is done on the CPU and the summary warns once
        Path in = Files.createDirectories(dir.resolve("in"));
        for (String name : new String[] {"a.tif", "b.tif"}) {
            ij.IJ.saveAsTiff(new ImagePlus(name, plane.duplicate()), in.resolve(name).toString());
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = withCap("1k", () -> Main.run(new String[] {"apply", onnx.toString(), in.toString(), "--output",
                dir.resolve("out").toString(), "--backend", device}, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)));
        String out = o.toString(StandardCharsets.UTF_8);
        System.out.println("CLI apply with a 1k cap:\n" + out);
        assertEquals(0, code, out + e.toString(StandardCharsets.UTF_8));
        assertTrue(out.contains("2 written"), out);
        assertEquals(1, out.split("warning: ", -1).length - 1, "one warning in the summary:\n" + out);
        assertTrue(out.contains("running on the CPU"), out);
        float[] written = (float[]) ImageFiles.open(dir.resolve("out/b.tif")).getProcessor().getPixels();
        assertClose(reference, written, "CLI output after the fall-back vs CPU");
    }

    @Test
    void classifyAndFiltersFallBackToTheCpu() {
        // classify: the blood-cell classifier (64 x 64 RGB input) with a cap too small for its weights
        ImageProcessor rgb = plane.convertToByte(true).convertToRGB();
        Classifier.Prediction cpu;
        try (Classifier c = Classifier.open(new Classifier.Request("sample-data/models/blood-cells.json", "cpu"))) {
            cpu = c.classify(rgb);
        }
        int mark = Warnings.mark();
        String[] ranOn = new String[1];
        Classifier.Prediction fell = withCap("1k", () -> {
            try (Classifier c = Classifier.open(new Classifier.Request("sample-data/models/blood-cells.json", device))) {
                Classifier.Prediction p = c.classify(rgb);
                ranOn[0] = c.backendName();
                return p;
            }
        });
        assertTrue(ranOn[0].startsWith("cpu"), ranOn[0]);
        assertEquals(1, Warnings.since(mark).size(), Warnings.since(mark).toString());
        assertEquals(cpu.label(), fell.label());
        assertClose(cpu.probabilities(), fell.probabilities(), "classifier probabilities after the fall-back");

        // filters: a Gaussian on a plane the capped device cannot hold
        FloatProcessor a = plane.convertToFloatProcessor();
        FloatProcessor b = (FloatProcessor) a.duplicate();
        Filter gauss = new Filter.Gaussian(2, 0.0002);
        try (CpuBackend c = new CpuBackend()) {
            FilterImages.filter(c, gauss, EdgeMode.EDGE, List.of(a), null, null, null);
        }
        mark = Warnings.mark();
        withCap("1k", () -> {
            try (var cl = Backends.select(device)) {
                FilterImages.filter(cl, gauss, EdgeMode.EDGE, List.of(b), null, null, null);
            }
            return null;
        });
        assertEquals(1, Warnings.since(mark).size(), Warnings.since(mark).toString());
        assertClose((float[]) a.getPixels(), (float[]) b.getPixels(), "Gaussian after the fall-back");
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        System.out.printf("%s: max |difference| %.3g%n", what, worst);
        assertTrue(worst <= 1e-4, what + ": worst at " + at + ": " + expected[at] + " vs " + actual[at]);
    }
}
