package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.plugin.filter.GaussianBlur;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.cli.Main;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Classifier;
import org.neuralj.image.FilterImages;
import org.neuralj.image.ImageFiles;
import org.neuralj.image.Normalization;
import org.neuralj.image.Segmenter;
import org.neuralj.nn.InvalidInputException;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.onnx.ValueInfo;

/**
 * Images a model command or filter may be handed: NaN/Inf pixels (refused by model commands with the
 * count; filters spread them as ImageJ's own filters do), 64-bit float TIFFs (read as 32-bit),
 * complex and 64-bit integer TIFFs (refused by name), the wrong number of channels, stacks where one
 * plane is expected, and a 1 x 1 image.
 */
class ImageInputTest {
    private static final Path BLOBS = Path.of("sample-data/models/blob-detector.onnx");

    private static FloatProcessor ramp(int w, int h) {
        FloatProcessor fp = new FloatProcessor(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                fp.setf(x, y, (float) (100 + 40 * Math.sin(x * 0.3) * Math.cos(y * 0.2) + x));
            }
        }
        return fp;
    }

    private static float[] apply(ImagePlus imp) {
        try (ApplyModel.Applier a = ApplyModel.open(new ApplyModel.Request(BLOBS, Normalization.ZSCORE, false, "cpu"))) {
            ImagePlus out = a.apply(imp, null).image();
            float[] all = new float[out.getWidth() * out.getHeight() * out.getStackSize()];
            for (int z = 1; z <= out.getStackSize(); z++) {
                float[] p = (float[]) out.getStack().getProcessor(z).getPixels();
                System.arraycopy(p, 0, all, (z - 1) * p.length, p.length);
            }
            return all;
        }
    }

    @Test
    void modelCommandsRefuseNonFinitePixelsWithTheirCount(@TempDir Path dir) throws Exception {
        FloatProcessor fp = ramp(48, 40);
        fp.setf(3, 4, Float.NaN);
        fp.setf(10, 11, Float.NaN);
        fp.setf(20, 30, Float.POSITIVE_INFINITY);
        String count = "3 of 1920 pixels are NaN or infinite";
        InvalidInputException a = assertThrows(InvalidInputException.class, () -> apply(new ImagePlus("nan", fp)));
        assertTrue(a.getMessage().contains(count), a.getMessage());
        try (Segmenter seg = Segmenter.open(new Segmenter.Request("nuclei", Segmenter.Output.MASK, null, 0, 0, Double.NaN, "cpu"), null)) {
            InvalidInputException s = assertThrows(InvalidInputException.class, () -> seg.segmentPlane(fp, null));
            assertTrue(s.getMessage().contains(count), s.getMessage());
        }
        InvalidInputException c = assertThrows(InvalidInputException.class, () -> Classifier.input(fp,
                org.neuralj.image.ModelCard.read(Path.of("sample-data/models/blood-cells.json"))));
        assertTrue(c.getMessage().contains(count), c.getMessage());
        // the CLI batch names the file and goes on with the others
        Path in = Files.createDirectories(dir.resolve("in"));
        IJ.saveAsTiff(new ImagePlus("nan", fp), in.resolve("with-nan.tif").toString());
        IJ.saveAsTiff(new ImagePlus("ok", ramp(48, 40)), in.resolve("fine.tif").toString());
        String report = cli(1, "apply", BLOBS.toString(), in.toString(), "--output", dir.resolve("out").toString(), "--backend", "cpu");
        assertTrue(report.lines().anyMatch(l -> l.contains("with-nan.tif") && l.contains(count)), report);
        assertTrue(Files.isRegularFile(dir.resolve("out/fine.tif")), report);
        assertTrue(Files.notExists(dir.resolve("out/with-nan.tif")), report);
    }

    @Test
    void filtersSpreadNaNAsImageJsGaussianBlurDoes() {
        FloatProcessor fp = ramp(40, 32);
        fp.setf(12, 9, Float.NaN);
        FloatProcessor ij = (FloatProcessor) fp.duplicate();
        new GaussianBlur().blurGaussian(ij, 1.5, 1.5, 0.0002);
        for (String spec : Backends.available()) {
            FloatProcessor ours = (FloatProcessor) fp.duplicate();
            try (Backend b = Backends.select(spec)) {
                FilterImages.filter(b, new Filter.Gaussian(1.5, 0.0002), EdgeMode.EDGE, List.of(ours), null, null, null);
            }
            int nan = 0;
            for (int i = 0; i < 40 * 32; i++) {
                float e = ij.getf(i);
                float o = ours.getf(i);
                assertEquals(Float.isNaN(e), Float.isNaN(o), spec + ": pixel " + i + " ImageJ " + e + ", NeuralJ " + o);
                if (Float.isNaN(e)) {
                    nan++;
                } else {
                    assertEquals(e, o, 1e-3, spec + ": pixel " + i);
                }
            }
            assertTrue(nan > 1 && nan < 40 * 32 / 4, spec + ": the NaN spreads over the kernel's reach only: " + nan + " pixels");
        }
    }

    /** A classic TIFF: every page w x h, one sample of {@code bits} bits in {@code format} per pixel, one strip. */
    static byte[] tiff(ByteOrder order, int w, int h, int bits, int format, byte[]... pages) {
        int entries = 9;
        int ifdSize = 2 + 12 * entries + 4;
        int size = 8;
        for (byte[] p : pages) {
            size += ifdSize + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(order);
        b.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M').put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        b.putShort((short) 42).putInt(8);
        for (int i = 0; i < pages.length; i++) {
            int ifd = b.position();
            int data = ifd + ifdSize;
            b.putShort((short) entries);
            entry(b, 256, w);
            entry(b, 257, h);
            entry(b, 258, bits);
            entry(b, 259, 1);
            entry(b, 262, 1);
            entry(b, 273, data);
            entry(b, 277, 1);
            entry(b, 279, pages[i].length);
            entry(b, 339, format);
            b.putInt(i + 1 < pages.length ? data + pages[i].length : 0);
            b.put(pages[i]);
        }
        return b.array();
    }

    private static void entry(ByteBuffer b, int tag, int value) {
        b.putShort((short) tag).putShort((short) 4).putInt(1).putInt(value); // LONG
    }

    private static byte[] doubles(ByteOrder order, double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(order);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    @Test
    void sixtyFourBitFloatTiffsAreReadAs32BitAndComplexOnesRefused(@TempDir Path dir) throws Exception {
        int w = 24, h = 20;
        double[] a = new double[w * h];
        double[] c = new double[w * h];
        for (int i = 0; i < a.length; i++) {
            a[i] = 1000 + i * 0.125 + 1e-9;   // below float precision: rounds to the nearest float
            c[i] = -i * 3.5;
        }
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            Path f = dir.resolve("f64-" + order + ".tif");
            Files.write(f, tiff(order, w, h, 64, 3, doubles(order, a), doubles(order, c)));
            ImagePlus imp = ImageFiles.open(f);
            assertEquals(32, imp.getBitDepth(), f.toString());
            assertEquals(2, imp.getStackSize());
            assertEquals(w, imp.getWidth());
            for (int i = 0; i < a.length; i++) {
                assertEquals((float) a[i], imp.getStack().getProcessor(1).getf(i), f + " page 1 pixel " + i);
                assertEquals((float) c[i], imp.getStack().getProcessor(2).getf(i), f + " page 2 pixel " + i);
            }
        }
        // the CLI runs a model on it like on any 32-bit image
        Path single = dir.resolve("in/single.tif");
        Files.createDirectories(single.getParent());
        Files.write(single, tiff(ByteOrder.LITTLE_ENDIAN, w, h, 64, 3, doubles(ByteOrder.LITTLE_ENDIAN, a)));
        cli(0, "apply", BLOBS.toString(), single.toString(), "--output", dir.resolve("single-out.tif").toString(), "--backend", "cpu");
        float[] viaFile = (float[]) ImageFiles.open(dir.resolve("single-out.tif")).getProcessor().getPixels();
        FloatProcessor same = new FloatProcessor(w, h);
        for (int i = 0; i < a.length; i++) {
            same.setf(i, (float) a[i]);
        }
        assertArrayEquals(apply(new ImagePlus("same", same)), viaFile, 1e-6f);

        String[][] refused = {{"complex.tif", "6", "complex pixels"}, {"complex-int.tif", "5", "complex pixels"},
            {"int64.tif", "1", "64-bit integer"}};
        for (String[] r : refused) {
            Path f = dir.resolve(r[0]);
            Files.write(f, tiff(ByteOrder.LITTLE_ENDIAN, w, h, 64, Integer.parseInt(r[1]), new byte[8 * w * h]));
            NeuralJException e = assertThrows(NeuralJException.class, () -> ImageFiles.open(f));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(r[2]), e.getMessage());
        }
        Path cut = dir.resolve("cut.tif");
        byte[] whole = tiff(ByteOrder.LITTLE_ENDIAN, w, h, 64, 3, doubles(ByteOrder.LITTLE_ENDIAN, a));
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 100));
        NeuralJException e = assertThrows(NeuralJException.class, () -> ImageFiles.open(cut));
        assertTrue(e.getMessage().contains("cut off"), e.getMessage());
    }

    @Test
    void theWrongNumberOfChannelsIsRefusedNamingBoth(@TempDir Path dir) {
        // apply feeds one grey channel: a model that takes three is refused when it opens
        Path rgbNet = dir.resolve("rgb-net.onnx");
        OnnxWriter.write(OnnxModel.of(OnnxGraph.of("rgb", List.of(OnnxNode.of("Conv", List.of("x", "w"), List.of("y"),
                        OnnxAttribute.ofInts("kernel_shape", 1, 1))),
                List.of(OnnxTensor.ofFloats("w", new long[] {1, 3, 1, 1}, new float[] {1, 1, 1})),
                List.of(ValueInfo.symbolicTensor("x", org.neuralj.onnx.DataType.FLOAT, 1L, 3L, "h", "w")),
                List.of(ValueInfo.symbolicTensor("y", org.neuralj.onnx.DataType.FLOAT, 1L, 1L, "h", "w"))), 13), rgbNet);
        ShapeMismatchException a = assertThrows(ShapeMismatchException.class,
                () -> ApplyModel.open(new ApplyModel.Request(rgbNet, Normalization.ZSCORE, false, "cpu")));
        assertTrue(a.getMessage().contains("rgb-net.onnx") && a.getMessage().contains("3 channels"), a.getMessage());
        // the blood-cell classifier takes RGB: a grey image is refused with what to do
        try (Classifier c = Classifier.open(new Classifier.Request("blood-cells", "cpu"))) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> c.classify(ramp(30, 30)));
            assertTrue(e.getMessage().contains("RGB") && e.getMessage().contains("32-bit grey"), e.getMessage());
        }
    }

    @Test
    void stacksAreDonePlaneByPlaneAndA1x1ImageWorks(@TempDir Path dir) throws Exception {
        ImageStack stack = new ImageStack(36, 28);
        for (int z = 0; z < 3; z++) {
            FloatProcessor p = ramp(36, 28);
            p.multiply(1 + z);
            p.add(z * 50);
            stack.addSlice("z" + z, p);
        }
        float[] whole = apply(new ImagePlus("stack", stack));
        for (int z = 0; z < 3; z++) {
            float[] one = apply(new ImagePlus("plane", stack.getProcessor(z + 1).duplicate()));
            float[] part = java.util.Arrays.copyOfRange(whole, z * one.length, (z + 1) * one.length);
            assertArrayEquals(one, part, 1e-6f, "plane " + z + " of the stack = the plane alone");
        }
        Files.copy(BLOBS, dir.resolve("blobs.onnx"));
        Files.writeString(dir.resolve("blobs.json"), "{\"name\": \"blobs\", \"task\": \"segmentation\", \"output\": \"probability\"}");
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(dir.resolve("blobs.json").toString(), Segmenter.Output.PROB, null,
                0, 0, Double.NaN, "cpu"), null)) {
            ImagePlus out = seg.segment(new ImagePlus("stack", stack), null);
            assertEquals(3, out.getStackSize());
            for (int z = 1; z <= 3; z++) {
                ImageProcessor one = seg.segmentPlane(stack.getProcessor(z), null);
                assertArrayEquals((float[]) one.getPixels(), (float[]) out.getStack().getProcessor(z).getPixels(), 1e-6f);
            }
        }
        // 1 x 1: apply (untiled) cannot pool it and says so; segment pads it to the stride and gives a value
        ShapeMismatchException small = assertThrows(ShapeMismatchException.class,
                () -> apply(new ImagePlus("1x1", new FloatProcessor(1, 1, new float[] {5f}))));
        assertTrue(small.getMessage().contains("blob-detector.onnx cannot run on a 1x1 plane"), small.getMessage());
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(dir.resolve("blobs.json").toString(), Segmenter.Output.PROB, null,
                0, 0, Double.NaN, "cpu"), null)) {
            float p = seg.segmentPlane(new FloatProcessor(1, 1, new float[] {5f}), null).getf(0);
            assertTrue(p >= 0 && p <= 1, "1x1 segments to a probability: " + p);
        }
    }

    /** Runs the CLI in-process; asserts the exit code; returns stdout and stderr together. */
    private static String cli(int expectedCode, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(o, true, StandardCharsets.UTF_8));
        String report = o.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, report);
        return report;
    }
}
