package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * NeuralJ Segment and Classify as headless SciJava commands (Context + CommandService, as a script or
 * headless Fiji calls them), with the shipped models on the shipped sample images.
 */
class SegmentClassifyCommandsTest {

    @Test
    void segmentAndClassifyRunHeadlessWithTheShippedModels() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("sample-data/models/nuclei.json")), "no shipped nucleus model");
        System.setProperty("java.awt.headless", "true");
        ImagePlus nuclei = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        ImagePlus wbc = IJ.openImage("sample-data/images/blood-cells/wbc-BloodImage_00001.png");
        try (Context context = new Context()) {
            CommandService commands = context.service(CommandService.class);
            CommandModule m = commands.run(SegmentImageCommand.class, true, "image", nuclei, "model", "sample-data/models/nuclei.json",
                    "output", "labels", "instances", "auto", "tile", 256, "backend", "cpu").get();
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
}
