package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The real ImageJ 1 client for tests: a plugins folder holding the NeuralJ plugin jar (packed from
 * target/classes with plugins.config at its root, as {@code mvn package} does, so ImageJ builds its
 * menus from it as in Fiji) and a {@code java ... ij.ImageJ} command line under {@code xvfb-run}.
 */
final class RealImageJ {
    private RealImageJ() {
    }

    static boolean xvfbAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "xvfb-run"))) {
                return true;
            }
        }
        return false;
    }

    /** Makes {@code home}/plugins with the plugin jar; returns {@code home}. */
    static Path install(Path home) throws IOException {
        Path classes = Path.of("target/classes");
        assertTrue(Files.isRegularFile(classes.resolve("plugins.config")), "plugins.config is packed at the jar root");
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        try (OutputStream os = Files.newOutputStream(plugins.resolve("NeuralJ_-test.jar")); JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
        return home;
    }

    /** {@code xvfb-run -a java -Dplugins.dir=HOME -cp DEPENDENCIES ij.ImageJ ARGS...}, run from the project folder. */
    static List<String> command(Path home, String... args) {
        List<String> cmd = new ArrayList<>(List.of("xvfb-run", "-a", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dplugins.dir=" + home.toAbsolutePath(), "-cp", dependencyClassPath(), "ij.ImageJ"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * ImageJ itself and the jars a Fiji user has in jars/ (JOCL, SciJava), from this test's class path;
     * NeuralJ's own classes come only from the plugin jar.
     */
    static String dependencyClassPath() {
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
}
