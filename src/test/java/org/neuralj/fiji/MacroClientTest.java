package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ij.IJ;
import ij.ImagePlus;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped macros in the real client: ImageJ 1 ({@code ij.ImageJ -batch}, the {@code net.imagej:ij}
 * jar) under {@code xvfb-run}, with the NeuralJ plugin jar (built here from target/classes, the same
 * content {@code mvn package} puts in the jar, plugins.config at its root) in a temporary plugins
 * folder, so ImageJ builds its menus from plugins.config exactly as in Fiji. Each macro in macros/ must
 * have its expected outputs listed here, so a new macro cannot ship untested.
 */
class MacroClientTest {
    @TempDir
    static Path ijHome;

    /** Files each macro must write into {@code output=DIR}, checked as images of this width (0: any). */
    private static final Map<String, Map<String, Integer>> EXPECTED = new TreeMap<>(Map.of(
            "apply-model-to-folder.ijm", Map.of("synthetic-nuclei-neuralj.tif", 512),
            "blur-and-edges-of-folder.ijm", Map.of("synthetic-nuclei-blur.tif", 512, "synthetic-nuclei-blur-edges.tif", 512),
            "segment-and-classify.ijm", Map.of("synthetic-nuclei-labels.tif", 512)));

    @BeforeAll
    static void installPlugin() throws IOException {
        Assumptions.assumeTrue(onPath("xvfb-run"),
                "xvfb-run not found: the macro tests need it (apt-get install xvfb xauth; .ci/run installs them)");
        Path plugins = ijHome.resolve("plugins");
        Files.createDirectories(plugins);
        jar(Path.of("target/classes"), plugins.resolve("NeuralJ_-test.jar"));
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

    /** Runs {@code ij.ImageJ -batch MACRO ARG} under xvfb-run from the project folder; returns its output. */
    private static String runImageJ(Path macro, String argument) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("xvfb-run", "-a",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dplugins.dir=" + ijHome.toAbsolutePath(), "-cp", dependencyClassPath(), "ij.ImageJ",
                "-batch", macro.toAbsolutePath().toString()));
        if (!argument.isEmpty()) {
            cmd.add(argument);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output;
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("ImageJ did not finish " + macro.getFileName() + " in 180 s");
        }
        output = p.getInputStream().readAllBytes();
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "ImageJ exit code for " + macro.getFileName() + ":\n" + text);
        return text;
    }

    /**
     * ImageJ itself and the jars a Fiji user puts in jars/ (JOCL, SciJava), from this test's class path;
     * NeuralJ's own classes come only from the plugin jar in the plugins folder.
     */
    private static String dependencyClassPath() {
        List<String> jars = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = Path.of(e).getFileName().toString();
            if (n.endsWith(".jar") && (n.startsWith("ij-") || n.startsWith("jocl-") || n.startsWith("scijava-common-")
                    || n.startsWith("parsington-"))) {
                jars.add(e);
            }
        }
        assertTrue(jars.stream().anyMatch(j -> Path.of(j).getFileName().toString().startsWith("ij-")), "ij jar on the class path: " + jars);
        return String.join(File.pathSeparator, jars);
    }

    private static void jar(Path classes, Path target) throws IOException {
        assertTrue(Files.isRegularFile(classes.resolve("plugins.config")), "plugins.config is packed at the jar root");
        try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
