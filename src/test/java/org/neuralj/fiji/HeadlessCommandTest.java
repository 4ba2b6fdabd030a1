package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.neuralj.image.ApplyModel;
import org.neuralj.image.Normalization;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * The SciJava commands run truly headless, as a script or a server would: a SciJava {@link Context},
 * the {@link CommandService}, {@code java.awt.headless=true}, no ImageJ 1 instance and no display.
 */
class HeadlessCommandTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
        assertTrue(GraphicsEnvironment.isHeadless(), "java.awt.headless=true must hold for this test to mean anything");
    }

    @Test
    void applyModelRunsThroughTheCommandServiceAndGivesTheEngineResult() throws Exception {
        ImagePlus input = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        try (Context context = new Context()) {
            CommandService commands = context.service(CommandService.class);
            CommandInfo info = commands.getCommand(ApplyModelCommand.class);
            assertNotNull(info, "the @Plugin index (META-INF/json) lists the command");
            assertEquals("neuralj.apply", info.getName());
            CommandModule module = commands.run(ApplyModelCommand.class, true,
                    "image", input, "model", new File("sample-data/models/blob-detector.onnx"),
                    "normalization", "zscore", "sigmoid", true, "backend", "cpu").get();
            assertTrue(!module.isCanceled(), "cancelled: " + module.getCancelReason());
            ImagePlus out = (ImagePlus) module.getOutput("output");
            assertNotNull(out);
            assertEquals("synthetic-nuclei-blob-detector", out.getTitle());
            assertEquals(input.getWidth(), out.getWidth());
            assertEquals(input.getCalibration().pixelWidth, out.getCalibration().pixelWidth, 1e-9);
            ImagePlus expected = ApplyModel.run(new ApplyModel.Request(Path.of("sample-data/models/blob-detector.onnx"),
                    Normalization.ZSCORE, true, "cpu"), input, null).image();
            assertArrayEquals((float[]) expected.getProcessor().getPixels(), (float[]) out.getProcessor().getPixels(), 0f);
            float[] p = (float[]) out.getProcessor().getPixels();
            for (float v : p) {
                assertTrue(v >= 0 && v <= 1, "sigmoid output in [0, 1]: " + v);
            }
        }
    }

    @Test
    void aMissingModelCancelsTheCommandWithTheReasonAndNoDialog() throws Exception {
        ImagePlus input = IJ.openImage("sample-data/images/synthetic-nuclei.tif");
        try (Context context = new Context()) {
            CommandModule module = context.service(CommandService.class).run(ApplyModelCommand.class, true,
                    "image", input, "model", new File("no-such-model.onnx"), "backend", "cpu").get();
            assertTrue(module.isCanceled(), "a failure cancels the command");
            assertTrue(module.getCancelReason().contains("no-such-model.onnx"), module.getCancelReason());
            assertNull(module.getOutput("output"));
        }
    }
}
