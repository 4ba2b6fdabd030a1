package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.cli.CliRun.neuralj;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.image.ModelCard;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxTensor;

/**
 * Transfer learning, early stopping and elastic deformation as a user runs them: {@code neuralj train
 * ... --from MODEL --freeze LAYERS}, {@code --patience N}, {@code --elastic X}, on small synthetic data
 * (seconds of training each, CPU backend).
 */
class TransferLearningCliTest {
    @TempDir
    static Path data;
    static Path source;

    /** Crops of a third class: background noise with a dark horizontal bar. */
    static void bars(Path dir, int n, long seed) throws Exception {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            int s = 24 + r.nextInt(16);
            ColorProcessor cp = new ColorProcessor(s, s);
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int v = (Math.abs(y - s / 2) < s / 8 ? 60 : 230) + (int) (8 * r.nextGaussian());
                    int c = SegmentClassifyTrainCliTest.clamp(v);
                    cp.set(x, y, (c << 16) | (c << 8) | c);
                }
            }
            new ij.io.FileSaver(new ImagePlus("bar", cp)).saveAsPng(dir.resolve("bar" + i + ".png").toString());
        }
    }

    private static Map<String, float[]> weights(Path onnx) {
        Map<String, float[]> w = new HashMap<>();
        for (OnnxTensor t : OnnxReader.read(onnx).graph().initializers()) {
            w.put(t.name(), t.toFloats());
        }
        return w;
    }

    @BeforeAll
    static void trainTwoClassSource() throws Exception {
        SegmentClassifyTrainCliTest.cells(data.resolve("two"), 12, 2);
        source = data.resolve("models/two.onnx");
        CliRun r = neuralj("train", "classifier", "--images", data.resolve("two").toString(), "--out", source.toString(), "--epochs", "2",
                "--steps", "20", "--seed", "4", "--size", "24", "--base", "8", "--stages", "1", "--batch", "16", "--backend", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void fineTuningANewHeadKeepsFrozenLayersExactlyAndLearnsTheNewClass() throws Exception {
        Path three = data.resolve("three");
        SegmentClassifyTrainCliTest.cells(three, 12, 7);
        bars(three.resolve("bar"), 12, 8);
        Path tuned = data.resolve("models/three.onnx");
        CliRun r = neuralj("train", "classifier", "--images", three.toString(), "--out", tuned.toString(), "--from", source.toString(),
                "--freeze", "stem", "--epochs", "3", "--steps", "20", "--seed", "5", "--batch", "16", "--backend", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("re-initialised"), "the 2-class head is replaced for 3 classes: " + r.out());
        Map<String, float[]> before = weights(source), after = weights(tuned);
        // frozen: weights, batch-norm scale/shift and running statistics unchanged to the bit
        for (String name : before.keySet()) {
            if (name.startsWith("stem.")) {
                assertArrayEquals(before.get(name), after.get(name), name + " is frozen");
            }
        }
        assertFalse(java.util.Arrays.equals(before.get("stage0.c1.weight"), after.get("stage0.c1.weight")), "stage0 is trained");
        assertEquals(3 * 16, after.get("fc.weight").length, "new head: 16 features x 3 classes");
        ModelCard card = ModelCard.read(data.resolve("models/three.json"));
        assertEquals(java.util.List.of("bar", "ring", "round"), card.classes());
        assertEquals(24, card.inputSize(), "the source's input size is kept");
        assertEquals("two.onnx", card.training().get("started_from"));
        double acc = (Double) card.metrics().get("accuracy");
        assertTrue(acc >= 0.85, "accuracy on the held-out crops after fine-tuning the head: " + acc);
        // the source model is never the output
        CliRun same = neuralj("train", "classifier", "--images", three.toString(), "--out", source.toString(), "--from", source.toString());
        assertEquals(2, same.code(), same.err());
        assertTrue(same.err().contains("overwritten"), same.err());
        CliRun typo = neuralj("train", "classifier", "--images", three.toString(), "--out", data.resolve("models/x.onnx").toString(),
                "--from", source.toString(), "--freeze", "stemm", "--epochs", "1", "--steps", "1", "--backend", "cpu");
        assertEquals(1, typo.code());
        assertTrue(typo.err().contains("--freeze stemm: no layer of that name") && typo.err().contains("stem"), typo.err());
        assertFalse(Files.exists(data.resolve("models/x.onnx")), "nothing written after the error");
    }

    @Test
    void earlyStoppingStopsWhenValidationStallsAndKeepsTheBestEpoch() {
        Path out = data.resolve("models/early.onnx");
        CliRun r = neuralj("train", "classifier", "--images", data.resolve("two").toString(), "--out", out.toString(), "--epochs", "25",
                "--steps", "10", "--seed", "4", "--size", "24", "--base", "8", "--stages", "1", "--batch", "16", "--patience", "2",
                "--backend", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("early stop after epoch"), r.out());
        ModelCard card = ModelCard.read(data.resolve("models/early.json"));
        int run = ((Number) card.training().get("epochs_run")).intValue();
        int best = ((Number) card.training().get("best_epoch")).intValue();
        assertTrue(run < 25, "stopped at epoch " + run);
        assertEquals(best + 2, run, "stopped 2 epochs after the best");
        // the kept weights are the best epoch's: the final evaluation matches the best per-epoch accuracy
        String bestLine = r.out().lines().filter(l -> l.startsWith("epoch " + best + "/")).findFirst().orElseThrow();
        double bestAcc = Double.parseDouble(bestLine.replaceAll(".*accuracy=([0-9.]+).*", "$1"));
        assertEquals(bestAcc, (Double) card.metrics().get("accuracy"), 1e-9, bestLine + " vs card " + card.metrics());
    }

    @Test
    void segmentationReportsDicePerEpochAndFineTunesWithElasticDeformation() throws Exception {
        SegmentClassifyTrainCliTest.discs(data.resolve("images"), data.resolve("masks"), 8, 48, 1);
        Path seg = data.resolve("models/discs.onnx");
        CliRun r = neuralj("train", "segmentation", "--images", data.resolve("images").toString(), "--masks", data.resolve("masks").toString(),
                "--out", seg.toString(), "--epochs", "2", "--steps", "30", "--seed", "3", "--crop", "32", "--base", "8", "--depth", "1",
                "--batch", "4", "--lr", "0.01", "--val", "0.25", "--backend", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("validation {dice="), "per-epoch validation Dice: " + r.out());
        Path tuned = data.resolve("models/discs-tuned.onnx");
        r = neuralj("train", "segmentation", "--images", data.resolve("images").toString(), "--masks", data.resolve("masks").toString(),
                "--out", tuned.toString(), "--from", seg.toString(), "--freeze", "down0", "--elastic", "2", "--epochs", "2", "--steps", "20",
                "--seed", "3", "--crop", "32", "--batch", "4", "--lr", "0.005", "--val", "0.25", "--backend", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        Map<String, float[]> before = weights(seg), after = weights(tuned);
        assertArrayEquals(before.get("down0.c1.weight"), after.get("down0.c1.weight"));
        assertFalse(java.util.Arrays.equals(before.get("head.weight"), after.get("head.weight")), "the unfrozen head trained");
        ModelCard card = ModelCard.read(data.resolve("models/discs-tuned.json"));
        assertEquals(2.0, ((Number) card.training().get("elastic")).doubleValue());
        @SuppressWarnings("unchecked")
        double dice = (Double) ((Map<String, Object>) card.metrics().get("components")).get("dice");
        assertTrue(dice > 0.8, "validation Dice after fine-tuning " + dice);
        CliRun bad = neuralj("train", "classifier", "--images", data.resolve("two").toString(), "--out", data.resolve("y.onnx").toString(),
                "--elastic", "2");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--elastic"), bad.err());
    }
}
