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
import java.util.Locale;
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

    /**
     * Files each macro must write into {@code output=DIR}: images checked to be of this width (0: any),
     * CSV files to have this many rows below the header.
     */
    private static final Map<String, Map<String, Integer>> EXPECTED = new TreeMap<>(Map.of(
            "apply-model-to-folder.ijm", Map.of("synthetic-nuclei-neuralj.tif", 512),
            "blur-and-edges-of-folder.ijm", Map.of("synthetic-nuclei-blur.tif", 512, "synthetic-nuclei-blur-edges.tif", 512),
            "segment-nuclei-in-folder.ijm", Map.of("synthetic-nuclei-labels.tif", 512, "nucleus-counts.csv", 1),
            "classify-cells-in-folder.ijm", Map.of("cell-classes.csv", 3),
            "train-classifier-from-folders.ijm", Map.of("my-blood-cells.onnx", -1, "my-blood-cells.json", -1,
                    "my-blood-cells-classes.csv", 3)));

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
            long t0 = System.nanoTime();
            String log = runImageJ(macro, "output=" + out);
            System.out.printf(Locale.ROOT, "MacroClientTest: %s in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
            for (Map.Entry<String, Integer> e : expected.entrySet()) {
                Path f = out.resolve(e.getKey());
                assertTrue(Files.isRegularFile(f), name + " did not write " + e.getKey() + "; ImageJ said:\n" + log);
                if (e.getKey().endsWith(".csv")) {
                    assertEquals(e.getValue() + 1, Files.readAllLines(f).size(), f + ": header and rows\n" + Files.readString(f));
                } else if (e.getKey().endsWith(".tif")) {
                    ImagePlus imp = IJ.openImage(f.toString());
                    assertNotNull(imp, f + " is not an image");
                    if (e.getValue() > 0) {
                        assertEquals(e.getValue(), imp.getWidth(), f.toString());
                    }
                }
            }
            checkContent(name, out, log);
        }
    }

    /** What the macros computed, beyond the files being there. */
    private static void checkContent(String macro, Path out, String log) throws IOException {
        switch (macro) {
            case "segment-nuclei-in-folder.ijm" -> {
                // image,nuclei,mean_area_px: the count is the number of labels in the label image written
                List<String> csv = Files.readAllLines(out.resolve("nucleus-counts.csv"));
                assertEquals("synthetic-nuclei.tif", column(csv, "image").get(0));
                ImagePlus labels = IJ.openImage(out.resolve("synthetic-nuclei-labels.tif").toString());
                assertEquals(16, labels.getBitDepth());
                int[] hist = labels.getProcessor().getHistogram();
                long present = java.util.stream.IntStream.range(1, hist.length).filter(v -> hist[v] > 0).count();
                assertEquals(present, Long.parseLong(column(csv, "nuclei").get(0)), "nuclei counted in the CSV = labels in the image");
                assertTrue(Double.parseDouble(column(csv, "mean_area_px").get(0)) > 10, "a mean nucleus area: " + csv);
                assertTrue(present >= 50 && present <= 90, present + " nuclei in the 70-nucleus sample");
            }
            case "classify-cells-in-folder.ijm" -> {
                // the shipped model gets the three synthetic sample crops right; their names state the
                // class (synthetic-platelet-1.png, synthetic-rbc-1.png, synthetic-wbc-1.png)
                List<String> csv = Files.readAllLines(out.resolve("cell-classes.csv"));
                List<String> images = column(csv, "image");
                List<String> classes = column(csv, "class");
                for (int i = 0; i < images.size(); i++) {
                    String stated = images.get(i).split("-")[1];
                    assertTrue(classes.get(i).toLowerCase(Locale.ROOT).startsWith(stated), images.get(i) + " classified as " + classes.get(i));
                }
            }
            case "train-classifier-from-folders.ijm" -> {
                String card = Files.readString(out.resolve("my-blood-cells.json"));
                assertTrue(card.contains("\"Platelets\"") && card.contains("\"RBC\"") && card.contains("\"WBC\""),
                        "the card names the class folders: " + card);
                for (String c : column(Files.readAllLines(out.resolve("my-blood-cells-classes.csv")), "class")) {
                    assertTrue(List.of("Platelets", "RBC", "WBC").contains(c), "classified with the trained model: " + c);
                }
            }
            default -> {
            }
        }
    }

    /** The values of one column of a CSV file (header first), found by its name. */
    private static List<String> column(List<String> csv, String name) {
        int k = List.of(csv.get(0).split(",")).indexOf(name);
        assertTrue(k >= 0, "no column '" + name + "' in " + csv.get(0));
        return csv.subList(1, csv.size()).stream().map(l -> l.split(",")[k]).toList();
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
