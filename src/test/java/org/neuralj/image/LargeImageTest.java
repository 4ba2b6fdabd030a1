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
 * image), as a mask (a small conv net) and as 16-bit labels (the shipped nuclei model, rescaled and labelled band
 * by band, {@link Bands}). A separate long run, not in the default test command (a few minutes on 2 cores):
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
            // labels: the shipped nuclei model (a small random net gives no objects to count), told the discs' diameter
            // (60 px, about three times its training nuclei), so the plane is shrunk by 0.31 band by band as well
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx3g",
                    "--add-modules", "jdk.incubator.vector", "-cp", cp, "org.neuralj.cli.Main", "segment", "--model",
                    output.equals("mask") ? model.toString() : "sample-data/models/nuclei.json", "--output", output,
                    // the small net's tiles can be large; the U-Net's stay at its card's 512 (1024-pixel tiles of it
                    // hold a few hundred MB of activations each and left the 3 GB heap collecting garbage all the time)
                    "--tile", output.equals("mask") ? "1024" : "0", "--diameter", output.equals("mask") ? "off" : "60",
                    "--backend", "cpu", big.toString(), out.toString());
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
                // resized and labelled band by band (Bands): every disc once (within 1 %), none cut
                java.util.regex.Matcher found = java.util.regex.Pattern.compile("big.tif: (\\d+) object\\(s\\)").matcher(log);
                assertTrue(found.find(), log);
                assertEquals(6400, Integer.parseInt(found.group(1)), 64, log);
                assertTrue(log.contains("big.tif: resized by 0."), log);
                assertTrue(!log.contains("may be cut"), log);
            }
        }
    }
}
