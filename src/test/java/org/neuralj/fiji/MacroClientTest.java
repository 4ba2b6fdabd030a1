package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped macros in the real client: ImageJ 1 ({@code ij.ImageJ -batch}, the {@code net.imagej:ij}
 * jar) under {@code xvfb-run}, with the NeuralJ plugin jar in a temporary plugins folder
 * ({@link ImageJClient}), so ImageJ builds its menus from plugins.config exactly as in Fiji. Each macro in macros/ must
 * have its expected outputs listed here, so a new macro cannot ship untested.
 */
class MacroClientTest {
    @TempDir
    static Path ijHome;
    private static ImageJClient client;

    /** Files each macro must write into {@code output=DIR}, checked as images of this width (0: any). */
    private static final Map<String, Map<String, Integer>> EXPECTED = new TreeMap<>(Map.of(
            "apply-model-to-folder.ijm", Map.of("synthetic-nuclei-neuralj.tif", 512),
            "blur-and-edges-of-folder.ijm", Map.of("synthetic-nuclei-blur.tif", 512, "synthetic-nuclei-blur-edges.tif", 512),
            "segment-and-classify.ijm", Map.of("synthetic-nuclei-labels.tif", 512)));

    @BeforeAll
    static void installPlugin() throws IOException {
        client = new ImageJClient(ijHome);
    }

    @Test
    void everyShippedMacroRunsInTheRealImageJAndWritesItsFiles(@TempDir Path tmp) throws Exception {
        List<Path> macros;
        try (Stream<Path> s = Files.list(Path.of("macros"))) {
            macros = s.filter(p -> p.toString().endsWith(".ijm")).sorted().toList();
        }
        assertTrue(!macros.isEmpty(), "macros/ ships examples");
        for (Path macro : macros) {
            String name = macro.getFileName().toString();
            Map<String, Integer> expected = EXPECTED.get(name);
            assertNotNull(expected, "macros/" + name + " has no expected outputs in " + MacroClientTest.class.getSimpleName()
                    + ": add them so it is tested");
            Path out = tmp.resolve(name.replace(".ijm", ""));
            String log = runImageJ(macro, "output=" + out);
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
                Path f = out.resolve(e.getKey());
                assertTrue(Files.isRegularFile(f), name + " did not write " + e.getKey() + "; ImageJ said:\n" + log);
                ImagePlus imp = IJ.openImage(f.toString());
                assertNotNull(imp, f + " is not an image");
                if (e.getValue() > 0) {
                    assertEquals(e.getValue(), imp.getWidth(), f.toString());
                }
            }
        }
    }

    @Test
    void theResultIsSelectableByTitleAndCarriesCalibrationInBatchMode(@TempDir Path tmp) throws Exception {
        Path macro = tmp.resolve("titles.ijm");
        Path out = tmp.resolve("checked.txt");
        Files.writeString(macro, String.join("\n",
                "setBatchMode(true);",
                "open('sample-data/images/synthetic-nuclei.tif');",
                "run('Apply ONNX Model...', 'model=[sample-data/models/blob-detector.onnx] normalization=zscore sigmoid backend=cpu');",
                "selectImage('synthetic-nuclei-blob-detector');",
                "getPixelSize(unit, pw, ph);",
                "getMinAndMax(min, max);",
                "File.saveString(getTitle() + ' ' + bitDepth() + ' ' + nImages + ' ' + unit + ' ' + pw + ' ' + (min >= 0 && max <= 1), '" + out + "');",
                ""));
        String log = runImageJ(macro, "");
        assertTrue(Files.isRegularFile(out), "the macro did not finish; ImageJ said:\n" + log);
        String[] words = Files.readString(out).trim().split(" ");
        assertEquals("synthetic-nuclei-blob-detector", words[0]);
        assertEquals("32", words[1]);
        assertEquals("2", words[2], "input and result open");
        assertEquals("0.65", words[4].substring(0, Math.min(4, words[4].length())), "calibration carried over");
        assertEquals("1", words[5], "sigmoid maps to [0, 1]");
    }

    private static String runImageJ(Path macro, String argument) throws Exception {
        return client.batch(macro, argument);
    }
}
