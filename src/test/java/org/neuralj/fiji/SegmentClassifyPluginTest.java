package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.macro.Interpreter;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.image.Instances;
import org.neuralj.image.ObjectScale;
import org.neuralj.image.RoiClassification;

/**
 * The ImageJ 1 Segment and Classify commands as a macro line runs them ({@code run("NeuralJ Segment...",
 * "... add display")}), headless: macro options on an ImageJ plugin thread in batch mode, the result
 * becomes the current image. With no display there is no ROI Manager: the objects go to the result's overlay.
 * (The ROI Manager itself, in a real ImageJ, is checked by {@link FijiClientTest}.)
 */
class SegmentClassifyPluginTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("sample-data/models/nuclei.json")), "no shipped models");
    }

    /**
     * Runs {@code plugin} on {@code imp} with macro {@code options} in batch mode (as a headless macro
     * runs: shown images become the current image); returns the current image afterwards.
     */
    static ImagePlus run(PlugIn plugin, String arg, ImagePlus imp, String options) {
        Interpreter.batchMode = true;
        WindowManager.setTempCurrentImage(imp);
        String name = Thread.currentThread().getName();
        Thread.currentThread().setName("Run$_plugin-test"); // ImageJ reads macro options on such threads
        Macro.setOptions(Thread.currentThread(), options);
        try {
            plugin.run(arg);
            return WindowManager.getCurrentImage();
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Thread.currentThread().setName(name);
            WindowManager.setTempCurrentImage(null);
            Interpreter.batchMode = false;
        }
    }

    @Test
    void segmentAddsOneObjectPerLabelAndARowPerLabelToResults() {
        ImagePlus nuclei = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        nuclei.setRoi(256, 0, 256, 256);
        nuclei = nuclei.crop();
        ResultsTable results = ResultsTable.getResultsTable();
        results.reset();
        ImagePlus labels = run(new SegmentPlugin(), "", nuclei,
                "model=[sample-data/models/nuclei.json] output=labels instances=watershed tile=256 halo=0 threshold=0.5 backend=cpu add display");
        assertNotSame(nuclei, labels, "the label image is the current image");
        assertEquals(nuclei.getTitle().replaceFirst("\\.tif$", "") + "-nuclei", labels.getTitle());
        int n = Instances.count(labels.getProcessor());
        assertTrue(n > 5, n + " nuclei");
        assertEquals(n, results.size(), "a Results row per label");
        Overlay objects = labels.getOverlay();
        assertEquals(n, objects.size(), "headless: one ROI per label on the result's overlay");
        for (int l = 1; l <= n; l++) {
            assertEquals(Integer.toString(l), objects.get(l - 1).getName());
            assertEquals(l, results.getValue("Label", l - 1), 0);
        }

        // "none": no image, only the measurements
        results.reset();
        ImagePlus current = run(new SegmentPlugin(), "", nuclei,
                "model=[sample-data/models/nuclei.json] output=none instances=watershed tile=256 backend=cpu display");
        assertEquals(nuclei, current, "no new image");
        assertEquals(n, results.size());
    }

    @Test
    void segmentBringsLargeNucleiToTheModelsSizeWithTheDiameterOption() {
        ImagePlus nuclei = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        nuclei.setRoi(256, 0, 256, 256);
        nuclei = nuclei.crop();
        String common = "model=[sample-data/models/nuclei.json] output=labels instances=auto tile=0 halo=0 threshold=0 backend=cpu";
        int n = Instances.count(run(new SegmentPlugin(), "", nuclei, common + " diameter=off").getProcessor());
        // the same nuclei three times larger: auto (the shipped card's default) shrinks the plane for the network
        ImagePlus large = nuclei.resize(768, 768, "bilinear");
        large.setTitle("large");
        ImagePlus labels = run(new SegmentPlugin(), "", large, common + " diameter=[model's]");
        assertEquals(768, labels.getWidth(), "labels at the image's own size");
        int found = Instances.count(labels.getProcessor());
        assertEquals(n, found, Math.max(2, n / 10), "the same nuclei found at 3x");
        double d = ObjectScale.medianDiameter(labels.getProcessor());
        int given = Instances.count(run(new SegmentPlugin(), "", large, common + " diameter=" + Math.round(d)).getProcessor());
        assertEquals(n, given, Math.max(2, n / 10), "their diameter given in pixels");
    }

    @Test
    void classifyEachRoiOfTheOverlayWritesTheClassOnEachCell() {
        CellScene scene = CellScene.make();
        ImagePlus smear = scene.image();
        Overlay rois = new Overlay();
        scene.rois().forEach(rois::add);
        smear.setOverlay(rois);
        run(new ClassifyPlugin(), "", smear, "model=[sample-data/models/blood-cells.json] classify=roi labels=none overlay backend=cpu");
        List<String> written = new ArrayList<>();
        for (Roi r : smear.getOverlay().toArray()) {
            if (r instanceof TextRoi t && r.getProperty(RoiClassification.MARK) != null) {
                written.add(r.getName() + ":" + t.getText().split(" ")[0]);
            }
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expected.add(scene.rois().get(i).getName() + ":" + scene.classes().get(i));
        }
        assertEquals(expected, written);
    }
}
