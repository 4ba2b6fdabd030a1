package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inspect on a segmentation model in the real ImageJ 1 (menus from plugins.config, a batch-mode
 * macro): Model Graph shows the graph picture, and Explain Prediction on an image with a rectangular
 * selection explains the blob detector's output over that selection only.
 */
class InspectDenseClientTest {

    @Test
    void modelGraphAndAnExplanationOverTheSelection(@TempDir Path tmp) throws Exception {
        ImageJClient client = new ImageJClient(tmp.resolve("ij"));
        Path report = tmp.resolve("report.txt");
        Path macro = tmp.resolve("inspect.ijm");
        Files.writeString(macro, String.join("\n",
                "setBatchMode(true);",
                "run('Model Graph...', 'model=[sample-data/models/nuclei.onnx]');",
                "s = 'graph ' + getTitle() + ' ' + bitDepth() + ' ' + getWidth() + ' ' + getHeight();",
                "close('*');",
                "newImage('spots', '32-bit black', 64, 64, 1);",
                "for (y = 0; y < 64; y++) for (x = 0; x < 64; x++)"
                        + " setPixel(x, y, 20 + 200 * exp(-((x-16)*(x-16) + (y-16)*(y-16)) / 18) + 150 * exp(-((x-48)*(x-48) + (y-44)*(y-44)) / 18));",
                "makeRectangle(10, 10, 12, 12);",
                "run('Explain Prediction...', 'model=[sample-data/models/blob-detector.onnx] method=saliency class=0 layer=[] occlusion=8 raw"
                        + " normalization=zscore backend=cpu');",
                "makeRectangle(42, 38, 12, 12);",
                "getStatistics(area, farMean, farMin, farMax);",
                "makeRectangle(10, 10, 12, 12);",
                "getStatistics(area, inMean, inMin, inMax);",
                "s = s + '\\nregion ' + getTitle() + ' ' + farMax + ' ' + (inMax > 0);",
                "File.saveString(s, '" + report + "');",
                ""));
        String log = client.batch(macro, "");
        assertTrue(Files.isRegularFile(report), "the macro did not finish; ImageJ said:\n" + log);
        List<String> lines = Files.readAllLines(report);
        String[] graph = lines.get(0).split(" ");
        assertEquals(List.of("graph", "Graph", "of", "nuclei.onnx", "24"), List.of(graph).subList(0, 5), lines.get(0));
        assertTrue(Integer.parseInt(graph[6]) > 2000, "a tall picture: " + lines.get(0));
        assertEquals("region spots-blob-detector-saliency 0 1", lines.get(1),
                "zero at the far spot, not zero inside the selection\n" + log);
    }
}
