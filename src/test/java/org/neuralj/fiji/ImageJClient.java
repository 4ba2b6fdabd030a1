package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The real ImageJ 1 client for the front-end tests: a folder laid out as an ImageJ/Fiji installation
 * (plugins/ holding the NeuralJ plugin jar, built from target/classes with plugins.config at its root,
 * the content {@code mvn package} puts in the jar) and a child JVM under {@code xvfb-run} with ImageJ and
 * the jars a Fiji user has in jars/ (JOCL, SciJava) on its class path. NeuralJ's own classes come only
 * from the plugin jar, through ImageJ's plugin class loader, as in Fiji.
 */
final class ImageJClient {
    private final Path home;

    /** Lays out {@code home} (plugins/ with the plugin jar); skips the test where xvfb-run is missing. */
    ImageJClient(Path home) throws IOException {
        Assumptions.assumeTrue(onPath("xvfb-run"),
                "xvfb-run not found: the ImageJ client tests need it (apt-get install xvfb xauth; .ci/run installs them)");
        this.home = home;
        Path plugins = home.resolve("plugins");
        Files.createDirectories(plugins);
        jar(Path.of("target/classes"), plugins.resolve("NeuralJ_-test.jar"));
    }

    /** Runs {@code ij.ImageJ -batch MACRO [ARGUMENT]} from the project folder; returns its output. */
    String batch(Path macro, String argument) throws Exception {
        List<String> args = new ArrayList<>(List.of("ij.ImageJ", "-batch", macro.toAbsolutePath().toString()));
        if (!argument.isEmpty()) {
            args.add(argument);
        }
        return java(List.of(), args, macro.getFileName().toString());
    }

    /**
     * Runs {@code java [extra class path] MAIN ARGS} under xvfb-run from the project folder, with this
     * installation's plugins folder and a home of its own (so ImageJ's preferences start empty and the
     * user's are never touched); fails on a non-zero exit, showing the output; returns the output.
     */
    String java(List<Path> extraClassPath, List<String> mainAndArgs, String what) throws Exception {
        Path userHome = home.resolve("home-" + System.nanoTime());
        Files.createDirectories(userHome);
        List<String> cp = new ArrayList<>(dependencyClassPath());
        extraClassPath.forEach(p -> cp.add(p.toAbsolutePath().toString()));
        List<String> cmd = new ArrayList<>(List.of("xvfb-run", "-a",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-Dplugins.dir=" + home.toAbsolutePath(), "-Duser.home=" + userHome.toAbsolutePath(),
                "-cp", String.join(File.pathSeparator, cp)));
        cmd.addAll(mainAndArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // read while it runs, so a chatty child never blocks on a full pipe
        byte[][] output = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                output[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                output[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            fail("ImageJ did not finish " + what + " in 300 s; it said:\n"
                    + (output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8)));
        }
        reader.join();
        String text = new String(output[0], StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "ImageJ exit code for " + what + ":\n" + text);
        return text;
    }

    /** ImageJ itself and the jars a Fiji user puts in jars/ (JOCL, SciJava), from this test's class path. */
    private static List<String> dependencyClassPath() {
        List<String> jars = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = Path.of(e).getFileName().toString();
            if (n.endsWith(".jar") && (n.startsWith("ij-") || n.startsWith("jocl-") || n.startsWith("scijava-common-")
                    || n.startsWith("parsington-"))) {
                jars.add(e);
            }
        }
        assertTrue(jars.stream().anyMatch(j -> Path.of(j).getFileName().toString().startsWith("ij-")), "ij jar on the class path: " + jars);
        return jars;
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
