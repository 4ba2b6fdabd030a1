package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.samples.SampleData;

/**
 * Every NeuralJ menu command is recordable and its recorded line replays exactly, proven in the real
 * ImageJ 1 under xvfb-run. Step 1 ({@link RecordingSession}, a child JVM with ImageJ's window and the
 * Recorder open): each command is chosen from the menu, its dialog filled with values that differ from
 * the defaults, OK pressed; the Recorder's {@code run("…", "…")} line and the result are kept. Step 2 (a
 * fresh ImageJ with empty preferences, {@code -batch}): each recorded line, copied verbatim into a macro,
 * runs on a freshly opened copy of the same image. The replayed result must equal the interactive one:
 * pixels bit for bit, tables cell for cell, trained models byte for byte, the Devices log line for line.
 */
class RecordReplayTest {
    private static final String BLOB = "sample-data/models/blob-detector.onnx";
    private static final String NUCLEI_IMAGE = "sample-data/images/synthetic-nuclei.tif";
    private static final String CELL_IMAGE = "sample-data/images/blood-cells/synthetic-wbc-1.png";

    /** One menu command as the user drives it: the image it works on, the fields set, what it produces. */
    private record Scenario(String name, String command, String image, String fields, String result) {
        String planLine() {
            return String.join("\t", name, command, image, fields, result);
        }
    }

    @Test
    void everyNeuralJCommandRecordsALineThatReplaysToTheSameResult(@TempDir Path tmp) throws Exception {
        ImageJClient client = new ImageJClient(tmp.resolve("imagej"));
        Path segData = segmentationTrainingData(tmp.resolve("seg-train"));
        Path trained = tmp.resolve("trained");
        Files.createDirectories(trained);
        List<Scenario> scenarios = scenarios(segData, trained);
        assertEveryMenuCommandIsCovered(scenarios);

        Path plan = tmp.resolve("plan.tsv");
        Files.write(plan, scenarios.stream().map(Scenario::planLine).toList());
        Path rec = tmp.resolve("recorded");
        String session = client.java(List.of(Path.of("target/test-classes")),
                List.of(RecordingSession.class.getName(), plan.toString(), rec.toString()), "the recording session");
        session.lines().filter(l -> l.startsWith("RecordingSession: ")).forEach(System.out::println);

        // the replay macro: each recorded line verbatim, on a fresh copy of the image
        Path replayed = tmp.resolve("replayed");
        Files.createDirectories(replayed);
        StringBuilder macro = new StringBuilder("setBatchMode(true);\n");
        List<String> lines = new ArrayList<>();
        for (Scenario s : scenarios) {
            String recorded = Files.readString(rec.resolve(s.name() + ".recorded"));
            String line = recordedLine(s, recorded, session);
            lines.add(s.name() + ": " + line);
            // every value typed into the dialog is in the line: key=value, a bare key for a ticked box,
            // no key for an unticked one (ImageJ's macro convention)
            String options = " " + line.substring(line.indexOf(", \"") + 3, line.lastIndexOf('"')) + " ";
            for (String kv : s.fields().split(";")) {
                if (kv.contains("=")) {
                    String key = kv.substring(0, kv.indexOf('='));
                    String value = kv.substring(kv.indexOf('=') + 1);
                    boolean bare = options.contains(" " + key + " ");
                    switch (value) {
                        case "true" -> assertTrue(bare, s.name() + ": the ticked box " + key + " is recorded: " + line);
                        case "false" -> assertTrue(!bare && !options.contains(" " + key + "="), s.name() + ": the unticked box "
                                + key + " is left out: " + line);
                        default -> assertTrue(options.contains(" " + key + "="), s.name() + ": the field " + key + " is recorded: " + line);
                    }
                }
            }
            macro.append("close('*');\n");
            if (!s.image().equals("-")) {
                macro.append("open('").append(Path.of(s.image()).toAbsolutePath()).append("');\n");
            }
            macro.append("print('replay ").append(s.name()).append("');\n");
            macro.append(line).append('\n');
            String out = replayed.resolve(s.name()).toAbsolutePath().toString();
            if (s.result().equals("image")) {
                macro.append("saveAs('Tiff', '").append(out).append("-replay.tif');\n");
            } else if (s.result().startsWith("table:")) {
                String title = s.result().substring("table:".length());
                macro.append("Table.save('").append(out).append("-replay.csv', '").append(title).append("');\n");
                macro.append("Table.reset('").append(title).append("');\n");
            }
        }
        macro.append("print('replay done');\n");
        // the trained models the interactive run wrote are moved aside; the replay writes them again
        Path interactiveModels = tmp.resolve("interactive-models");
        Files.move(trained, interactiveModels);
        Files.createDirectories(trained);
        Path replayMacro = tmp.resolve("replay.ijm");
        Files.writeString(replayMacro, macro);
        String replayLog = client.batch(replayMacro, "");
        assertTrue(replayLog.contains("replay done"), "the replay macro ran to its end:\n" + replayLog);

        for (Scenario s : scenarios) {
            String r = s.result();
            if (r.equals("image")) {
                assertSameImage(s.name(), rec.resolve(s.name() + "-interactive.tif"), replayed.resolve(s.name() + "-replay.tif"));
            } else if (r.startsWith("table:")) {
                assertEquals(Files.readString(rec.resolve(s.name() + "-interactive.csv")),
                        Files.readString(replayed.resolve(s.name() + "-replay.csv")), s.name() + ": the replayed table");
            } else if (r.startsWith("model:")) {
                assertSameModel(s.name(), interactiveModels.resolve(r.substring("model:".length())),
                        trained.resolve(r.substring("model:".length())));
            } else {
                String interactive = Files.readString(rec.resolve(s.name() + "-interactive.log")).trim();
                assertTrue(interactive.startsWith("NeuralJ backends:"), s.name() + " logged: " + interactive);
                for (String l : interactive.split("\n")) {
                    assertTrue(replayLog.contains(l), s.name() + ": the replay logs '" + l + "' too:\n" + replayLog);
                }
            }
        }
        System.out.println("RecordReplayTest: " + scenarios.size() + " commands recorded and replayed:\n  " + String.join("\n  ", lines));
    }

    /** The scenarios: every command in plugins.config, each field set away from its default where there is one. */
    private static List<Scenario> scenarios(Path seg, Path trained) {
        String cells = Path.of("sample-data/images/blood-cells-train").toAbsolutePath().toString();
        String edge = "edge=reflect;backend=cpu";
        return List.of(
                new Scenario("gaussian", "NeuralJ Gaussian Blur", NUCLEI_IMAGE, "sigma=3.5;" + edge, "image"),
                new Scenario("mean", "NeuralJ Mean", NUCLEI_IMAGE, "radius=3;edge=zero;backend=cpu", "image"),
                new Scenario("unsharp", "NeuralJ Unsharp Mask", NUCLEI_IMAGE, "sigma=2;weight=0.7;" + edge, "image"),
                new Scenario("sharpen", "NeuralJ Sharpen", NUCLEI_IMAGE, edge, "image"),
                new Scenario("edges", "NeuralJ Find Edges", NUCLEI_IMAGE, edge, "image"),
                new Scenario("sobel-x", "NeuralJ Sobel X", NUCLEI_IMAGE, edge, "image"),
                new Scenario("sobel-y", "NeuralJ Sobel Y", NUCLEI_IMAGE, edge, "image"),
                new Scenario("laplacian", "NeuralJ Laplacian", NUCLEI_IMAGE, "eight=true;" + edge, "image"),
                new Scenario("log", "NeuralJ Laplacian of Gaussian", NUCLEI_IMAGE, "sigma=1.5;" + edge, "image"),
                new Scenario("dog", "NeuralJ Difference of Gaussians", NUCLEI_IMAGE, "sigma1=1;sigma2=3;" + edge, "image"),
                new Scenario("emboss", "NeuralJ Emboss", NUCLEI_IMAGE, edge, "image"),
                new Scenario("convolve", "NeuralJ Convolve", NUCLEI_IMAGE, "text1=0 1 0\\n1 -4 1\\n0 1 0;normalize=false;" + edge, "image"),
                new Scenario("apply", "Apply ONNX Model...", NUCLEI_IMAGE,
                        "model=" + BLOB + ";normalization=percentile;sigmoid=true;backend=cpu", "image"),
                new Scenario("devices", "NeuralJ Devices", "-", "-", "log"),
                new Scenario("segment", "NeuralJ Segment...", NUCLEI_IMAGE,
                        "model=sample-data/models/nuclei.json;output=labels;instances=components;threshold=0.4;augment=2;diameter=auto;backend=cpu", "image"),
                new Scenario("classify", "NeuralJ Classify...", CELL_IMAGE,
                        "model=sample-data/models/blood-cells.json;backend=cpu", "table:" + ClassifyPlugin.TABLE),
                new Scenario("train-classifier", "NeuralJ Train Classifier...", "-",
                        "images=" + cells + ";out=" + trained.resolve("cells.onnx") + ";epochs=1;steps=2;seed=3;validation=0;backend=cpu",
                        "model:cells.onnx"),
                new Scenario("train-segmentation", "NeuralJ Train Segmentation...", "-",
                        "images=" + seg.resolve("images") + ";masks=" + seg.resolve("masks") + ";out=" + trained.resolve("blobs.onnx")
                                + ";epochs=1;steps=1;seed=5;validation=0;backend=cpu", "model:blobs.onnx"),
                new Scenario("summary", "Model Summary...", NUCLEI_IMAGE, "model=" + BLOB, "table:Summary of blob-detector.onnx"),
                new Scenario("graph", "Model Graph...", NUCLEI_IMAGE, "model=" + BLOB, "image"),
                new Scenario("features", "Feature Maps...", NUCLEI_IMAGE, "model=" + BLOB + ";montage=true;backend=cpu", "image"),
                new Scenario("kernels", "Learned Kernels...", "-", "model=" + BLOB, "image"),
                new Scenario("explain", "Explain Prediction...", CELL_IMAGE,
                        "model=sample-data/models/blood-cells.onnx;method=saliency;class=1;raw=true;backend=cpu", "image"),
                new Scenario("dream", "Activation Maximisation...", CELL_IMAGE,
                        "model=sample-data/models/blood-cells.onnx;channel=2;steps=2;octaves=1;backend=cpu", "image"));
    }

    /** A new menu entry must get a scenario here, so no command ships unrecordable. */
    private static void assertEveryMenuCommandIsCovered(List<Scenario> scenarios) throws IOException {
        Set<String> menu = new LinkedHashSet<>();
        Matcher m = Pattern.compile("^[^#].*?,\\s*\"([^\"]+)\"", Pattern.MULTILINE).matcher(Files.readString(Path.of("plugins.config")));
        while (m.find()) {
            menu.add(m.group(1));
        }
        Set<String> covered = new LinkedHashSet<>();
        scenarios.forEach(s -> covered.add(s.command()));
        menu.removeAll(covered);
        assertTrue(menu.isEmpty(), "plugins.config commands without a record/replay scenario: " + menu);
    }

    /** The one run(...) line the Recorder wrote for the scenario's command. */
    private static String recordedLine(Scenario s, String recorded, String session) {
        List<String> runs = recorded.lines().filter(l -> l.startsWith("run(\"" + s.command() + "\"")).toList();
        assertEquals(1, runs.size(), s.name() + ": one run line recorded, got:\n" + recorded + "\nsession:\n" + session);
        return runs.get(0);
    }

    private static void assertSameImage(String name, Path interactive, Path replay) {
        assertTrue(Files.isRegularFile(replay), name + ": the replay wrote no image");
        ImagePlus a = IJ.openImage(interactive.toString());
        ImagePlus b = IJ.openImage(replay.toString());
        assertNotNull(a, interactive.toString());
        assertNotNull(b, replay.toString());
        assertEquals(a.getWidth() + "x" + a.getHeight() + "x" + a.getStackSize() + " " + a.getBitDepth() + "-bit",
                b.getWidth() + "x" + b.getHeight() + "x" + b.getStackSize() + " " + b.getBitDepth() + "-bit", name + ": size and type");
        ImageStack sa = a.getStack();
        ImageStack sb = b.getStack();
        for (int z = 1; z <= sa.getSize(); z++) {
            ImageProcessor pa = sa.getProcessor(z);
            ImageProcessor pb = sb.getProcessor(z);
            for (int i = 0; i < pa.getPixelCount(); i++) {
                if (Float.floatToIntBits(pa.getf(i)) != Float.floatToIntBits(pb.getf(i))) {
                    throw new AssertionError(name + ": replayed pixel " + i + " of slice " + z + " is " + pb.getf(i)
                            + ", interactively " + pa.getf(i));
                }
            }
        }
        assertTrue(a.getProcessor().getStatistics().stdDev > 0, name + ": the result is not blank");
    }

    /** The replay trains the same model again, byte for byte, and writes its card. */
    private static void assertSameModel(String name, Path interactive, Path replay) throws IOException {
        assertTrue(Files.isRegularFile(interactive), name + ": the interactive run wrote " + interactive);
        assertTrue(Files.isRegularFile(replay), name + ": the replay wrote " + replay);
        assertArrayEquals(Files.readAllBytes(interactive), Files.readAllBytes(replay), name + ": the replayed model");
        assertTrue(Files.isRegularFile(Path.of(replay.toString().replace(".onnx", ".json"))), name + ": its card");
    }

    /** Two 160 x 160 synthetic-nuclei images with their label masks (threshold, then components). */
    private static Path segmentationTrainingData(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("images"));
        Files.createDirectories(dir.resolve("masks"));
        for (int i = 0; i < 2; i++) {
            ImagePlus imp = SampleData.syntheticNuclei(160, 160, 8, 40 + i);
            ImageProcessor ip = imp.getProcessor();
            double mean = ip.getStatistics().mean;
            ByteProcessor mask = new ByteProcessor(160, 160);
            for (int p = 0; p < ip.getPixelCount(); p++) {
                mask.set(p, ip.getf(p) > mean * 1.5 ? 1 : 0);
            }
            IJ.saveAsTiff(imp, dir.resolve("images/field-" + i + ".tif").toString());
            IJ.saveAsTiff(new ImagePlus("mask", mask), dir.resolve("masks/field-" + i + ".tif").toString());
        }
        return dir;
    }
}
