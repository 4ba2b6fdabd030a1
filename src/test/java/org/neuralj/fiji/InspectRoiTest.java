package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.gui.ImageRoi;
import ij.gui.Roi;
import ij.measure.ResultsTable;
import ij.process.ImageProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.image.Classifier;
import org.neuralj.image.Inspect;
import org.neuralj.image.ModelCard;
import org.neuralj.image.Normalization;
import org.neuralj.image.RoiClassification;
import org.neuralj.nn.Model;
import org.neuralj.viz.Explain;
import org.neuralj.viz.Heatmap;
import org.neuralj.viz.OnnxTapeNet;

/**
 * Per-ROI explanations of the shipped blood-cell classifier (Inspect › Explain Prediction with "Each
 * ROI"): each ROI's crop is explained as Classify sees it, and its heat map is laid back on the ROI.
 */
class InspectRoiTest {
    private static final Path MODEL = Path.of("sample-data/models/blood-cells.onnx");

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
        Assumptions.assumeTrue(Files.isRegularFile(MODEL), "no shipped blood-cell model");
    }

    @Test
    void gradCamOfEachRoiIsTheMapOfItsCropPlacedOnTheRoi() {
        CellScene scene = CellScene.make();
        ImagePlus smear = scene.image();
        List<RoiClassification.Item> items = RoiClassification.rois(smear, scene.rois().toArray(new Roi[0]));
        Inspect.Request request = new Inspect.Request(MODEL, Inspect.Method.GRADCAM, -1, null, Normalization.ZSCORE, "cpu", false, false,
                8, 20, 3);
        List<Inspect.RoiHeat> heats = Inspect.perRoi(request, smear, items, null);
        assertEquals(3, heats.size());
        ModelCard card = ModelCard.read(ModelCard.cardFileOf(MODEL));
        try (Backend b = Backends.select("cpu"); OnnxTapeNet net = new OnnxTapeNet(Model.load(MODEL), b)) {
            for (int i = 0; i < 3; i++) {
                Inspect.RoiHeat h = heats.get(i);
                Roi roi = scene.rois().get(i);
                assertEquals(scene.classes().get(i), h.prediction().label(), "predicted class of " + roi.getName());
                assertEquals(h.prediction().index(), h.explained(), "the predicted class is explained");
                assertEquals(roi.getBounds(), h.bounds());
                assertEquals(roi.getBounds().width, h.map().width());
                assertEquals(roi.getBounds().height, h.map().height());
                // the same map computed directly with the viz engine on the classifier's input for the crop
                ImageProcessor crop = RoiClassification.crop(smear, items.get(i));
                int s = card.inputSize();
                try (Tensor x = b.upload(Classifier.input(crop, card), 1, 3, s, s)) {
                    Heatmap expected = Explain.gradCam(net, x, h.explained(), null).atInput().resized(crop.getWidth(), crop.getHeight());
                    float worst = 0;
                    for (int k = 0; k < expected.values().length; k++) {
                        worst = Math.max(worst, Math.abs(expected.values()[k] - h.map().values()[k]));
                    }
                    assertTrue(worst <= 1e-5f * Math.max(1f, expected.max()), roi.getName() + ": max difference " + worst);
                    assertTrue(expected.max() > 0, "Grad-CAM of " + roi.getName() + " is not empty");
                }
            }
        }
        // the picture: one heat image per ROI at the ROI, and its outline in the class colour
        ImagePlus shown = Inspect.perRoiImage(smear, heats, "smear-gradcam-rois", 0.5);
        assertEquals(smear.getWidth(), shown.getWidth());
        int images = 0, outlines = 0;
        for (Roi r : shown.getOverlay().toArray()) {
            int k = scene.rois().stream().map(Roi::getName).toList().indexOf(r.getName());
            if (r instanceof ImageRoi heat) {
                assertEquals(scene.rois().get(k).getBounds(), heat.getBounds(), "heat map of " + r.getName() + " on its ROI");
                images++;
            } else if (!(r instanceof ij.gui.TextRoi)) {
                assertEquals(RoiClassification.colour(heats.get(k).prediction().index()), r.getStrokeColor());
                outlines++;
            }
        }
        assertEquals(3, images);
        assertEquals(3, outlines);
        ResultsTable rt = new ResultsTable();
        Inspect.addTo(rt, smear, heats);
        assertEquals(3, rt.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(scene.rois().get(i).getName(), rt.getStringValue("roi", i));
            assertEquals(scene.classes().get(i), rt.getStringValue("class", i));
        }
    }

    @Test
    void saliencyPerRoiRunsAndNonHeatMapsAreRefused() {
        CellScene scene = CellScene.make();
        List<RoiClassification.Item> items = RoiClassification.rois(scene.image(), scene.rois().toArray(new Roi[0]));
        Inspect.Request saliency = new Inspect.Request(MODEL, Inspect.Method.SALIENCY, 2, null, Normalization.ZSCORE, "cpu", false, false,
                8, 20, 3);
        List<Inspect.RoiHeat> heats = Inspect.perRoi(saliency, scene.image(), items, null);
        for (Inspect.RoiHeat h : heats) {
            assertEquals(2, h.explained(), "the class asked for (WBC) is explained for every ROI");
            assertTrue(h.map().max() > 0);
        }
        Inspect.Request features = new Inspect.Request(MODEL, Inspect.Method.FEATURES, -1, null, Normalization.ZSCORE, "cpu", false,
                false, 8, 20, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Inspect.perRoi(features, scene.image(), items, null));
        assertTrue(e.getMessage().contains("heat maps"), e.getMessage());
    }
}
