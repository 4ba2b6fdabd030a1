package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.FloatProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.fiji.TrainingPlotWindow;
import org.neuralj.image.VizImages;
import org.neuralj.train.Act;
import org.neuralj.train.Conv2d;
import org.neuralj.train.Dense;
import org.neuralj.train.Flatten;
import org.neuralj.train.GlobalAvgPool;
import org.neuralj.train.Init;
import org.neuralj.train.OnnxExport;
import org.neuralj.train.Pool2d;
import org.neuralj.train.Sequential;
import org.neuralj.viz.ConfusionMatrix;
import org.neuralj.viz.TrainingLog;

/** {@code neuralj explain} as users call it, and the pictures the Fiji commands show. */
class ExplainCliTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path image;

    @BeforeAll
    static void makeModelAndImage() {
        System.setProperty("java.awt.headless", "true");
        try (CpuBackend b = new CpuBackend(1)) {
            Init init = new Init(b, 3);
            try (Sequential net = new Sequential(new Conv2d(init, "c1", 1, 4, 3), Act.relu(), Pool2d.max(2),
                    new Conv2d(init, "c2", 4, 6, 3), Act.relu(), new GlobalAvgPool(), new Flatten(), new Dense(init, "fc", 6, 3))) {
                model = dir.resolve("tiny.onnx");
                OnnxExport.write(net, b, model, "input", "logits", 1, 1, 20, 20);
            }
        }
        float[] px = new float[20 * 20];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i % 20 > 5 && i % 20 < 12 && i / 20 > 4 && i / 20 < 11) ? 200 : 20 + (i * 7919 % 13);
        }
        image = dir.resolve("square.tif");
        IJ.saveAsTiff(new ImagePlus("square", new FloatProcessor(20, 20, px)), image.toString());
    }

    static String[] run(int expected, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String o = out.toString(StandardCharsets.UTF_8), e = err.toString(StandardCharsets.UTF_8);
        assertEquals(expected, code, "exit code of " + String.join(" ", argv) + "\nstdout: " + o + "\nstderr: " + e);
        return new String[] {o, e};
    }

    @Test
    void summaryPrintsEveryLayerWithShapesParametersAndReceptiveField() {
        String out = run(0, "explain", "summary", model.toString(), "--shape", "input=1x1x20x20")[0];
        assertTrue(out.contains("Conv+relu"), out);
        assertTrue(out.contains("[1,6,10,10]") && out.contains("[1,3]"), out);
        assertTrue(out.contains("global"), out);
        // c1 with its ReLU and the max-pool folded in: 4*1*9 + 4 = 40 weights, 2 x 400 x 4 x 9 FLOPs at the conv's own
        // size; receptive field 3, then the pool (2, jump 2): 4; then c2: 4 + 2*2 = 8
        assertTrue(out.matches("(?s).*Conv\\+relu\\+maxpool\\s+\\[1,4,10,10]\\s+40\\s+28,800\\s+4 \\(jump 2\\).*"), out);
        assertTrue(out.contains("8 (jump 2)"), out);
    }

    @Test
    void heatMapsFeatureMapsKernelsAndDreamAreWritten() throws Exception {
        for (String method : List.of("saliency", "smoothgrad", "guided", "gradcam", "guided-gradcam", "occlusion")) {
            Path out = dir.resolve(method + ".tif");
            run(0, "explain", method, model.toString(), image.toString(), "--output", out.toString(), "--backend", "cpu",
                    "--steps", "3", "--patch", "4");
            ImagePlus imp = IJ.openImage(out.toString());
            assertEquals(ImagePlus.COLOR_RGB, imp.getType(), method);
            assertTrue(imp.getWidth() > 20 && imp.getHeight() >= 20, method + ": overlay plus colour bar");
        }
        Path raw = dir.resolve("raw-gradcam.tif");
        run(0, "explain", "gradcam", model.toString(), image.toString(), "--output", raw.toString(), "--raw", "--class", "2");
        assertEquals(20, IJ.openImage(raw.toString()).getWidth());
        Path fm = dir.resolve("features.tif");
        String value = ModelValue.firstRelu(model);
        run(0, "explain", "features", model.toString(), image.toString(), "--output", fm.toString(), "--layer", value);
        ImagePlus stack = IJ.openImage(fm.toString());
        assertEquals(4, stack.getStackSize());
        assertEquals(value + "/2", stack.getStack().getSliceLabel(3));
        Path k = dir.resolve("kernels.tif");
        run(0, "explain", "kernels", model.toString(), "--output", k.toString());
        ImagePlus km = IJ.openImage(k.toString());
        assertEquals(1 + 1 * (24 / 3 * 3 + 1), km.getWidth(), "one input channel: one tile a row, 8x zoom");
        Path dream = dir.resolve("dream.tif");
        run(0, "explain", "dream", model.toString(), image.toString(), "--output", dream.toString(), "--class", "1",
                "--steps", "3", "--octaves", "2");
        assertEquals(20, IJ.openImage(dream.toString()).getWidth());
        // bad usage and a missing layer
        run(2, "explain", "nonsense", model.toString(), image.toString(), "--output", dir.resolve("x.tif").toString());
        String[] r = run(1, "explain", "features", model.toString(), image.toString(), "--output", dir.resolve("y.tif").toString(),
                "--layer", "no-such-value");
        assertTrue((r[0] + r[1]).contains("no value 'no-such-value'"), r[1]);
    }

    @Test
    void trainingPlotAndConfusionMatrixArePictures() throws Exception {
        TrainingPlotWindow plot = new TrainingPlotWindow("training");
        for (int e = 1; e <= 5; e++) {
            plot.epochEnd(e, Map.of("loss", 1.0 / e, "accuracy", 1 - 0.5 / e));
        }
        Path stem = dir.resolve("training");
        plot.save(stem);
        ImagePlus png = IJ.openImage(stem + ".png");
        assertTrue(png.getWidth() > 100, "plot PNG");
        TrainingLog back = TrainingLog.readCsv(Path.of(stem + ".csv"));
        assertEquals(5, back.size());
        assertEquals(0.2, back.series("loss")[4], 1e-6);
        ConfusionMatrix cm = ConfusionMatrix.of(List.of("a", "b"), new int[] {0, 0, 1, 1}, new int[] {0, 1, 1, 1});
        assertEquals(0.75, cm.accuracy(), 1e-12);
        ImagePlus cmi = VizImages.confusion(cm, "cm");
        // cell (truth a, predicted a) is half the row: mid shade; (b, b) is the whole row: darkest
        int aa = cmi.getProcessor().get(80 + 2, 80 + 2) & 255, bb = cmi.getProcessor().get(80 + 48 + 2, 80 + 48 + 2) & 255;
        assertTrue(bb < aa, "darker for the larger rate");
        assertTrue(Files.size(Path.of(stem + ".csv")) > 0);
    }

    /** The first Relu output name of the model (a value the engine keeps after fusion). */
    static final class ModelValue {
        static String firstRelu(Path file) {
            for (var n : org.neuralj.onnx.OnnxReader.read(file).graph().nodes()) {
                if (n.opType().equals("Relu")) {
                    return n.outputs().get(0);
                }
            }
            throw new IllegalStateException("no Relu");
        }
    }
}
