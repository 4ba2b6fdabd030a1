package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.viz.TrainingLog;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

/**
 * The training commands keep the loss per epoch in the plot and write it beside the model as
 * MODEL-training.png and MODEL-training.csv; headless they show no window and do not fail; an
 * interrupted run writes nothing.
 */
class TrainPlotTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    /** The shipped training sample: 12 synthetic crops (drawn by SampleData) in class sub-folders. */
    static final Path CELLS = Path.of("sample-data/images/blood-cells-train");

    @Test
    void trainClassifierWritesThePlotAndItsNumbersBesideTheModel(@TempDir Path tmp) throws Exception {
        Path data = CELLS;
        Path out = tmp.resolve("models/tiny.onnx");
        try (Context context = new Context()) {
            CommandModule m = context.service(CommandService.class).run(TrainClassifierCommand.class, true, "images", data.toFile(),
                    "out", out.toFile(), "epochs", 3, "steps", 2, "size", 32, "seed", 1L, "backend", "cpu").get();
            assertFalse(m.isCanceled(), String.valueOf(m.getCancelReason()));
            Path png = tmp.resolve("models/tiny-training.png");
            assertEquals(png.toFile(), m.getOutput("plot"));
            assertTrue(Files.isRegularFile(out) && Files.isRegularFile(tmp.resolve("models/tiny.json")));
            ImagePlus plot = IJ.openImage(png.toString());
            assertTrue(plot != null && plot.getWidth() > 100, "a plot picture");
            TrainingLog log = TrainingLog.readCsv(tmp.resolve("models/tiny-training.csv"));
            assertEquals(List.of(1, 2, 3), log.epochs());
            assertEquals("loss", log.metricNames().get(0));
            assertTrue(log.metricNames().contains("accuracy"), "validation accuracy per epoch: " + log.metricNames());
            for (double loss : log.series("loss")) {
                assertTrue(loss > 0 && Double.isFinite(loss), "loss " + loss);
            }
        }
    }

    @Test
    void anInterruptedTrainingIsCancelledAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path data = CELLS;
        File out = tmp.resolve("stopped.onnx").toFile();
        try (Context context = new Context()) {
            CommandInfo info = context.service(CommandService.class).getCommand(TrainClassifierCommand.class);
            Module m = context.service(ModuleService.class).createModule(info);
            m.setInput("images", data.toFile());
            m.setInput("out", out);
            m.setInput("epochs", 50);
            m.setInput("backend", "cpu");
            Thread.currentThread().interrupt(); // as Esc / a cancelled future does: the run stops before its first step
            try {
                m.run();
            } finally {
                Thread.interrupted();
            }
            assertTrue(((TrainClassifierCommand) m.getDelegateObject()).isCanceled());
            assertTrue(((TrainClassifierCommand) m.getDelegateObject()).getCancelReason().contains("cancelled"));
            try (var files = Files.list(tmp)) {
                assertEquals(List.of(), files.map(p -> p.getFileName().toString()).toList(), "no model, card or plot written");
            }
        }
    }
}
