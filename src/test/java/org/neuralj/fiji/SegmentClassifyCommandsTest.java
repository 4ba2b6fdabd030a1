package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.measure.ResultsTable;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.awt.Rectangle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.image.Instances;
import org.neuralj.image.RoiClassification;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * NeuralJ Segment and Classify as headless SciJava commands (Context + CommandService, as a script or
 * headless Fiji calls them), with the shipped models on the shipped sample images: objects as ROIs and
 * measurements checked against the label image pixel by pixel, classes of known cells per ROI, per
 * label object and per slice.
 */
class SegmentClassifyCommandsTest {
    private static final Path NUCLEI = Path.of("sample-data/models/nuclei.json");
    private static final Path CELLS = Path.of("sample-data/models/blood-cells.json");

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @Test
    void segmentAndClassifyRunHeadlessWithTheShippedModels() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("sample-data/models/nuclei.json")), "no shipped nucleus model");
        ImagePlus nuclei = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        ImagePlus wbc = IJ.openImage("sample-data/images/blood-cells/synthetic-wbc-1.png");
        try (Context context = new Context()) {
            CommandService commands = context.service(CommandService.class);
            CommandModule m = commands.run(SegmentImageCommand.class, true, "image", nuclei, "model", "sample-data/models/nuclei.json",
                    "output", "labels", "instances", "auto", "tile", 256, "diameter", "auto", "backend", "cpu").get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            ImagePlus labels = (ImagePlus) m.getOutput("result");
            assertNotNull(labels);
            assertEquals(16, labels.getBitDepth());
            assertEquals("synthetic-nuclei-nuclei", labels.getTitle());
            int objects = (int) labels.getProcessor().getStatistics().max;
            assertTrue(objects >= 50 && objects <= 90, objects + " nuclei found in the 70-nucleus sample");

            m = commands.run(ClassifyImageCommand.class, true, "image", wbc, "model", "sample-data/models/blood-cells.json", "backend", "cpu")
                    .get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            assertEquals("WBC", m.getOutput("label"));

            // training as a command: a missing mask folder cancels it with the reason, nothing written
            Path tmp = Files.createTempDirectory("neuralj-train");
            m = commands.run(TrainSegmentationCommand.class, true, "images", new java.io.File("sample-data/images"), "masks",
                    tmp.resolve("none").toFile(), "out", tmp.resolve("m.onnx").toFile(), "epochs", 1, "steps", 1, "backend", "cpu").get();
            assertTrue(m.isCanceled());
            assertTrue(m.getCancelReason().contains("none"), m.getCancelReason());
            assertFalse(Files.exists(tmp.resolve("m.onnx")));

            m = commands.run(SegmentImageCommand.class, true, "image", nuclei, "model", "no-such-model", "backend", "cpu").get();
            assertTrue(m.isCanceled());
            assertTrue(m.getCancelReason().contains("no model named"), m.getCancelReason());
        }
    }

    @Test
    void segmentGivesOneRoiPerLabelNamedByItAndMeasuresEachLabelExactly() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(NUCLEI), "no shipped nucleus model");
        ImagePlus nuclei = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        nuclei.setRoi(0, 0, 256, 320);
        nuclei = nuclei.crop(); // a quarter-ish of the sample keeps the test quick; the crop keeps the calibration
        double pw = nuclei.getCalibration().pixelWidth;
        assertEquals(0.65, pw, 1e-3, "the sample is calibrated (microns), so areas and centroids must be scaled");
        try (Context context = new Context()) {
            CommandModule m = context.service(CommandService.class).run(SegmentImageCommand.class, true, "image", nuclei,
                    "model", NUCLEI.toString(), "output", "labels", "instances", "watershed", "tile", 256, "backend", "cpu",
                    "add", true, "display", true).get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            ImageProcessor labels = ((ImagePlus) m.getOutput("result")).getProcessor();
            Roi[] rois = (Roi[]) m.getOutput("rois");
            ResultsTable table = (ResultsTable) m.getOutput("objects");
            // independent per-label sums straight from the label image
            int n = Instances.count(labels);
            long[] area = new long[n + 1];
            double[] sx = new double[n + 1], sy = new double[n + 1], sv = new double[n + 1];
            for (int y = 0; y < labels.getHeight(); y++) {
                for (int x = 0; x < labels.getWidth(); x++) {
                    int l = (int) labels.getf(x, y);
                    area[l]++;
                    sx[l] += x + 0.5;
                    sy[l] += y + 0.5;
                    sv[l] += nuclei.getProcessor().getf(x, y);
                }
            }
            assertTrue(n >= 15, n + " nuclei");
            assertEquals(n, rois.length, "one ROI per label");
            assertEquals(n, table.size(), "one Results row per label");
            for (int l = 1; l <= n; l++) {
                Roi roi = rois[l - 1];
                assertEquals(Integer.toString(l), roi.getName(), "ROIs are named by label, in label order");
                // the ROI holds exactly the label's pixels: inside its bounds every pixel it contains has the
                // label, and it contains as many pixels as the label has
                Rectangle b = roi.getBounds();
                int inside = 0;
                for (int y = b.y; y < b.y + b.height; y++) {
                    for (int x = b.x; x < b.x + b.width; x++) {
                        boolean in = roi.contains(x, y);
                        if (in != ((int) labels.getf(x, y) == l)) {
                            fail("label " + l + ": pixel (" + x + "," + y + ") is " + (in ? "" : "not ") + "in its ROI " + b);
                        }
                        inside += in ? 1 : 0;
                    }
                }
                assertEquals(area[l], inside);
                assertEquals(l, table.getValue("Label", l - 1), 0);
                assertEquals(area[l] * pw * pw, table.getValue("Area", l - 1), 1e-6, "calibrated area of label " + l);
                assertEquals(sx[l] / area[l] * pw, table.getValue("X", l - 1), 1e-6);
                assertEquals(sy[l] / area[l] * pw, table.getValue("Y", l - 1), 1e-6);
                assertEquals(sv[l] / area[l], table.getValue("Mean", l - 1), 1e-6, "mean intensity of the input");
                assertEquals(nuclei.getTitle(), table.getStringValue("Image", l - 1));
            }

            // a probability map with objects: the same objects from the same single network pass
            m = context.service(CommandService.class).run(SegmentImageCommand.class, true, "image", nuclei, "model", NUCLEI.toString(),
                    "output", "prob", "instances", "watershed", "tile", 256, "backend", "cpu", "add", false, "display", true).get();
            assertEquals(32, ((ImagePlus) m.getOutput("result")).getBitDepth());
            ResultsTable again = (ResultsTable) m.getOutput("objects");
            assertEquals(n, again.size());
            assertArrayEquals(table.getColumn("Area"), again.getColumn("Area"), 0);
            assertNull(m.getOutput("rois"), "no ROIs unless asked for");
        }
    }

    @Test
    void classifyEachRoiEachObjectAndEachSliceNamesTheKnownCells() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(CELLS), "no shipped blood-cell model");
        CellScene scene = CellScene.make();
        ImagePlus smear = scene.image();
        Overlay rois = new Overlay();
        scene.rois().forEach(rois::add);
        smear.setOverlay(rois);
        try (Context context = new Context()) {
            CommandService commands = context.service(CommandService.class);
            CommandModule m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(),
                    "classify", "roi", "overlay", true, "backend", "cpu").get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            ResultsTable t = (ResultsTable) m.getOutput("table");
            assertEquals(3, t.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(scene.rois().get(i).getName(), t.getStringValue("roi", i));
                assertEquals(scene.classes().get(i), t.getStringValue("class", i), "ROI " + scene.rois().get(i).getName());
                double sum = t.getValue("p_Platelets", i) + t.getValue("p_RBC", i) + t.getValue("p_WBC", i);
                assertEquals(1, sum, 1e-5, "class probabilities sum to 1");
                assertTrue(t.getValue("p_" + scene.classes().get(i), i) > 0.5);
            }
            // the overlay: the three user ROIs kept, each also outlined in its class colour and labelled
            Overlay o = smear.getOverlay();
            int outlines = 0, texts = 0;
            for (Roi r : o.toArray()) {
                if (r.getProperty(RoiClassification.MARK) == null) {
                    continue;
                }
                int k = scene.rois().stream().map(Roi::getName).toList().indexOf(r.getName());
                int cls = List.of("Platelets", "RBC", "WBC").indexOf(scene.classes().get(k));
                if (r instanceof TextRoi text) {
                    assertTrue(text.getText().startsWith(scene.classes().get(k)), text.getText());
                    texts++;
                } else if (r.getFillColor() == null) {
                    assertEquals(RoiClassification.colour(cls), r.getStrokeColor(), "outline of " + r.getName());
                    assertEquals(scene.rois().get(k).getBounds(), r.getBounds());
                    outlines++;
                }
            }
            assertEquals(3, outlines);
            assertEquals(3, texts);
            assertEquals(3, RoiClassification.withoutMarks(o).size(), "the user's ROIs stay");
            // classifying again reads the user's ROIs only, not the marks drawn the first time
            m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(), "classify", "roi",
                    "backend", "cpu").get();
            assertEquals(3, ((ResultsTable) m.getOutput("table")).size());

            // each object of a label image: the same boxes, the same classes
            smear.setOverlay(null);
            m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(), "classify", "object",
                    "labels", scene.labels(), "backend", "cpu").get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            t = (ResultsTable) m.getOutput("table");
            assertEquals(3, t.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(Integer.toString(i + 1), t.getStringValue("roi", i));
                assertEquals(scene.classes().get(i), t.getStringValue("class", i));
            }

            // each slice of a stack of the three crops
            ImageStack stack = new ImageStack(64, 64);
            for (Roi r : scene.rois()) {
                ImageProcessor ip = smear.getProcessor().duplicate();
                ip.setRoi(r);
                stack.addSlice(r.getName(), ip.crop().resize(64, 64, true));
            }
            m = commands.run(ClassifyImageCommand.class, true, "image", new ImagePlus("crops", stack), "model", CELLS.toString(),
                    "classify", "slice", "backend", "cpu").get();
            t = (ResultsTable) m.getOutput("table");
            assertEquals(3, t.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 1, (int) t.getValue("slice", i));
                assertEquals(scene.classes().get(i), t.getStringValue("class", i), "slice " + (i + 1));
            }

            // bad requests cancel with the reason
            m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(), "classify", "object",
                    "backend", "cpu").get();
            assertTrue(m.isCanceled() && m.getCancelReason().contains("label image"), m.getCancelReason());
            m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(), "classify", "roi",
                    "backend", "cpu").get();
            assertTrue(m.isCanceled() && m.getCancelReason().contains("has no ROIs"), m.getCancelReason());
            m = commands.run(ClassifyImageCommand.class, true, "image", smear, "model", CELLS.toString(), "classify", "object",
                    "labels", new ImagePlus("small", new ShortProcessor(10, 10)), "backend", "cpu").get();
            assertTrue(m.isCanceled() && m.getCancelReason().contains("does not match"), m.getCancelReason());
        }
    }
}
