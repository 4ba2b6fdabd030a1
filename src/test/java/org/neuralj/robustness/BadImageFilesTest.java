package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.cli.Main;

/**
 * Damaged image files in a batch: each fails with a reason naming the problem, the good ones are
 * still done, no output appears for a bad one, and a cut-off TIFF is never processed as if complete.
 */
class BadImageFilesTest {

    @Test
    void damagedFilesFailClearlyAndTheRestOfTheBatchIsDone(@TempDir Path tmp) throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        byte[] tiff = Files.readAllBytes(Path.of("sample-data/images/synthetic-nuclei.tif"));
        Files.write(in.resolve("good.tif"), tiff);
        Files.write(in.resolve("cut-off.tif"), java.util.Arrays.copyOf(tiff, tiff.length / 3));
        Files.write(in.resolve("empty.tif"), new byte[0]);
        byte[] noise = new byte[5000];
        new Random(3).nextBytes(noise);
        Files.write(in.resolve("noise.png"), noise);
        Path out = tmp.resolve("out");

        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"apply", "sample-data/models/blob-detector.onnx", in.toString(), "--output", out.toString(),
                "--backend", "cpu"}, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        String report = o.toString(StandardCharsets.UTF_8) + e.toString(StandardCharsets.UTF_8);

        assertEquals(1, code, report);
        assertTrue(Files.isRegularFile(out.resolve("good.tif")), report);
        assertTrue(report.contains("cut-off.tif") && report.contains("the TIFF is cut off"), report);
        assertTrue(report.contains("empty.tif") && report.contains("the file is empty"), report);
        assertTrue(report.contains("noise.png") && report.contains("cannot open"), report);
        for (String bad : new String[] {"cut-off.tif", "empty.tif", "noise.tif"}) {
            assertFalse(Files.exists(out.resolve(bad)), "no output for " + bad);
        }
        try (var files = Files.list(out)) {
            assertEquals(1, files.count(), "only the good output, no temporary left");
        }
    }
}
