package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.gui.Overlay;
import ij.io.FileSaver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Fiji-side outputs in the real ImageJ 1 with a display (its window, under {@code xvfb-run}), driven
 * by a macro as a user's would be: Segment's objects land in a batch-mode macro's ROI Manager and the
 * Results table; Classify each ROI of an overlay writes the known classes; Explain Prediction with
 * "Each ROI" lays a heat map on every ROI; Train Classifier opens its live plot window (not batch mode)
 * and saves the plot beside the model.
 */
class FijiClientTest {

    @Test
    void roiManagerResultsPerRoiClassesExplanationsAndTheLivePlotInTheRealImageJ(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("sample-data/models/nuclei.json")), "no shipped models");
        ImageJClient client = new ImageJClient(tmp.resolve("ij"));
        CellScene scene = CellScene.make();
        Overlay rois = new Overlay();
        scene.rois().forEach(rois::add);
        ImagePlus smear = scene.image();
        smear.setOverlay(rois);
        Path smearFile = tmp.resolve("smear.tif");
        assertTrue(new FileSaver(smear).saveAsTiff(smearFile.toString()), "the test scene is saved with its ROIs in the overlay");
        Path cells = TrainPlotTest.CELLS.toAbsolutePath();
        Path model = tmp.resolve("models/tiny.onnx");
        Path report = tmp.resolve("report.txt");
        Path macro = tmp.resolve("client.ijm");
        Files.writeString(macro, String.join("\n",
                "setBatchMode(true);",
                "open('sample-data/images/synthetic-nuclei.tif');",
                "makeRectangle(0, 0, 256, 256);",
                "run('Crop');",
                "run('NeuralJ Segment...', 'model=[sample-data/models/nuclei.json] output=labels instances=watershed tile=256 halo=0 threshold=0.5 backend=cpu add display');",
                "getStatistics(area, mean, min, max);",
                "s = 'segment ' + max + ' ' + roiManager('count') + ' ' + nResults + ' ' + call('ij.plugin.frame.RoiManager.getName', '0') + ' ' + getResult('Label', nResults - 1);",
                "roiManager('reset');",
                "close('*');",
                "open('" + smearFile + "');",
                "run('NeuralJ Classify...', 'model=[sample-data/models/blood-cells.json] classify=roi labels=none overlay backend=cpu');",
                "s = s + '\\nclassify ' + Table.getString('class', 0, 'NeuralJ Classes') + ' ' + Table.getString('class', 1, 'NeuralJ Classes') + ' ' + Table.getString('class', 2, 'NeuralJ Classes') + ' ' + Overlay.size;",
                "run('Explain Prediction...', 'model=[sample-data/models/blood-cells.onnx] method=gradcam class=-1 layer=[] occlusion=8 each_roi normalization=zscore backend=cpu');",
                "s = s + '\\nexplain ' + getTitle() + ' ' + Overlay.size + ' ' + Table.size('NeuralJ Explanations') + ' ' + Table.getString('class', 2, 'NeuralJ Explanations');",
                "close('*');",
                "setBatchMode(false);",
                "run('NeuralJ Train Classifier...', 'images=[" + cells + "] out=[" + model + "] epochs=2 steps=2 seed=1 validation=0 backend=cpu');",
                "s = s + '\\ntrain ' + isOpen('NeuralJ Train Classifier: tiny') + ' ' + File.exists('" + tmp.resolve("models/tiny-training.png") + "') + ' '"
                        + " + File.exists('" + tmp.resolve("models/tiny-training.csv") + "');",
                "File.saveString(s, '" + report + "');",
                "run('Quit');",
                ""));
        // ImageJ with its window (-macro, not -batch) runs the macro, which quits it at the end
        String log = client.java(List.of(), List.of("ij.ImageJ", "-macro", macro.toAbsolutePath().toString()), "the client macro");
        assertTrue(Files.isRegularFile(report), "the macro did not finish; ImageJ said:\n" + log);
        String said = Files.readString(report);
        Map<String, String[]> lines = new HashMap<>();
        for (String line : Files.readAllLines(report)) {
            String[] w = line.trim().split(" ");
            lines.put(w[0], w);
        }
        String[] seg = lines.get("segment");
        int labels = (int) Double.parseDouble(seg[1]);
        assertTrue(labels > 5, "nuclei found; the macro reported:\n" + said + "\nImageJ said:\n" + log);
        assertEquals(labels, Integer.parseInt(seg[2]), "one ROI per label in the batch-mode ROI Manager");
        assertEquals(labels, Integer.parseInt(seg[3]), "one Results row per label");
        assertEquals("1", seg[4], "the first ROI is named by its label");
        assertEquals(labels, (int) Double.parseDouble(seg[5]), "the last row is the last label");
        assertEquals(List.of("classify", "Platelets", "RBC", "WBC", "12"), List.of(lines.get("classify")),
                "classes of the three ROIs; overlay: the 3 ROIs + for each a filled copy, an outline and a label");
        String[] explain = lines.get("explain");
        assertEquals("smear-blood-cells-gradcam-rois", explain[1]);
        assertEquals("9", explain[2], "a heat map, an outline and a label per ROI");
        assertEquals("3", explain[3]);
        assertEquals("WBC", explain[4]);
        assertEquals(List.of("train", "1", "1", "1"), List.of(lines.get("train")), "plot window open, PNG and CSV beside the model\n" + log);
    }
}
