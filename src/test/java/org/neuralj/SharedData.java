package org.neuralj;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * Finds the shared test data ({@code ../shared}: ONNX node/model tests, real models, images) for tests
 * that need it. The location comes from the system property {@code neuralj.shared} (the pom sets it to
 * {@code ${project.basedir}/../shared}), else {@code ../shared} relative to the working directory. Tests
 * that need it are skipped with a reason when it is absent, never silently passed.
 */
public final class SharedData {
    private SharedData() {
    }

    /** The shared data folder, or null when it cannot be found. */
    public static Path root() {
        String prop = System.getProperty("neuralj.shared");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        Path fallback = Path.of("..", "shared");
        return Files.isDirectory(fallback) ? fallback.toAbsolutePath().normalize() : null;
    }

    /**
     * The path {@code relative} inside the shared data; skips the calling test (JUnit assumption) with a
     * clear reason when the shared folder or that path is missing.
     */
    public static Path require(String relative) {
        Path root = root();
        Assumptions.assumeTrue(root != null, () -> "../shared not found: set -Dneuralj.shared=<folder> or place the"
                + " shared test data beside the checkout (property neuralj.shared=" + System.getProperty("neuralj.shared")
                + ")");
        Path p = root.resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), () -> "../shared not found: " + p + " is missing from the shared data");
        return p;
    }
}
