package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.ByteProcessor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 16000 x 16000 8-bit image segmented by {@code neuralj segment} in a child JVM with {@code -Xmx3g}
 * (tiles of 1024 with the receptive field's halo; the mask is written tile by tile, no float copy of the
 * image), as a mask and as 16-bit labels (made band by band, {@link Bands}). A separate long run, not in the default test command (a few minutes on 2 cores):
 * {@code mvn test -Dtest=LargeImageTest -Dneuralj.long=true}.
 */
@EnabledIfSystemProperty(named = "neuralj.long", matches = "true")
class LargeImageTest {

    @Test
    void a16000SquareImageSegmentsWith3GigabytesOfHeap(@TempDir Path tmp) throws Exception {
        int n = 16000;
        Path big = tmp.resolve("big.tif");
        {
            ByteProcessor bp = new ByteProcessor(n, n);
            byte[] px = (byte[]) bp.getPixels();
            java.util.Arrays.fill(px, (byte) 20);
            for (int cy = 100; cy < n; cy += 200) {
                for (int cx = 100; cx < n; cx += 200) {
                    for (int y = cy - 30; y <= cy + 30; y++) {
                        for (int x = cx - 30; x <= cx + 30; x++) {
                            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= 900) {
                                px[y * n + x] = (byte) 200;
                            }
                        }
                    }
                }
            }
            IJ.saveAsTiff(new ImagePlus("big", bp), big.toString());
        }
        Path model = TilerTest.plainNet(tmp);
        String cp = System.getProperty("java.class.path");
        for (String output : List.of("mask", "labels")) {
            Path out = tmp.resolve(output);
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx3g",
                    "--add-modules", "jdk.incubator.vector", "-cp", cp, "org.neuralj.cli.Main", "segment", "--model", model.toString(),
                    "--output", output, "--tile", "1024", "--backend", "cpu", big.toString(), out.toString());
            long t0 = System.nanoTime();
            Path logFile = tmp.resolve(output + ".txt");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            assertTrue(p.waitFor(30, TimeUnit.MINUTES), "timed out");
            String log = Files.readString(logFile);
            System.out.printf("16000x16000 segment --output %s -Xmx3g: exit %d in %.0f s%n%s%n", output, p.exitValue(),
                    (System.nanoTime() - t0) / 1e9, log);
            assertEquals(0, p.exitValue(), log);
            File written = out.resolve("big.tif").toFile();
            int bytes = output.equals("mask") ? 1 : 2;
            assertTrue(written.length() >= (long) bytes * n * n, output + " written: " + written.length() + " bytes");
            if (output.equals("labels")) {
                // labelled band by band (Bands): every disc once, none cut
                assertTrue(log.contains("big: 6400 object(s)"), log);
                assertTrue(!log.contains("may be cut"), log);
            }
        }
    }
}
