package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.cli.CliRun.neuralj;

import ij.IJ;
import ij.ImagePlus;
import ij.plugin.filter.GaussianBlur;
import ij.process.ShortProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code neuralj filter ...} as a user types it: one file, a folder, and bad input. */
class FilterCommandTest {
    private static Path image(Path dir, String name, long seed) {
        short[] p = new short[50 * 40];
        Random r = new Random(seed);
        for (int i = 0; i < p.length; i++) {
            p[i] = (short) r.nextInt(4000);
        }
        ImagePlus imp = new ImagePlus(name, new ShortProcessor(50, 40, p, null));
        imp.getCalibration().pixelWidth = 0.25;
        Path f = dir.resolve(name + ".tif");
        IJ.saveAsTiff(imp, f.toString());
        return f;
    }

    @Test
    void gaussianOnOneFileWithPositionalOutputMatchesImageJ(@TempDir Path tmp) {
        Path in = image(tmp, "a", 1);
        Path out = tmp.resolve("a-blur.tif");
        CliRun r = neuralj("filter", "gaussian", "--sigma", "2", "--backend", "cpu", in.toString(), out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        ImagePlus got = IJ.openImage(out.toString());
        assertEquals(16, got.getBitDepth(), "bit depth kept");
        assertEquals(0.25, got.getCalibration().pixelWidth, 1e-9, "calibration kept");
        ImagePlus expected = IJ.openImage(in.toString());
        new GaussianBlur().blurGaussian(expected.getProcessor(), 2, 2, 0.0002);
        int worst = 0;
        for (int i = 0; i < 50 * 40; i++) {
            worst = Math.max(worst, Math.abs(expected.getProcessor().get(i) - got.getProcessor().get(i)));
        }
        assertTrue(worst <= 1, "max difference to ImageJ " + worst + " grey levels");
    }

    @Test
    void folderWithOutputOptionAndEveryFilterName(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        image(dir, "x", 2);
        image(dir, "y", 3);
        String[][] filters = {{"gaussian", "--sigma", "1.5"}, {"mean", "--radius", "2"}, {"unsharp", "--sigma", "1", "--weight", "0.5"},
            {"sharpen"}, {"edges"}, {"sobel-x"}, {"sobel-y"}, {"laplacian", "--eight"}, {"log", "--sigma", "2"},
            {"dog", "--sigma", "1", "--sigma2", "3"}, {"emboss"}, {"custom", "--kernel", "1 2 1\\n2 4 2\\n1 2 1"}};
        for (String[] f : filters) {
            Path out = tmp.resolve("out-" + f[0]);
            String[] args = new String[f.length + 8];
            args[0] = "filter";
            System.arraycopy(f, 0, args, 1, f.length);
            System.arraycopy(new String[] {"--edge", "reflect", "--backend", "cpu", dir.toString(), "--output", out.toString()}, 0,
                    args, f.length + 1, 7);
            CliRun r = neuralj(args);
            assertEquals(0, r.code(), f[0] + ": " + r.out() + r.err());
            assertTrue(Files.isRegularFile(out.resolve("x.tif")) && Files.isRegularFile(out.resolve("y.tif")), f[0] + " wrote both");
        }
    }

    @Test
    void badInputIsAUsageErrorWithTheReason(@TempDir Path tmp) {
        Path in = image(tmp, "b", 4);
        String o = tmp.resolve("o.tif").toString();
        String[][] cases = {
            {"filter", "gaussian", "--sigma", "0", in.toString(), o},
            {"filter", "gaussian", "--sigma", "-1", in.toString(), o},
            {"filter", "gaussian", "--sigma", "1e9", in.toString(), o},
            {"filter", "gaussian", "--sigma", "abc", in.toString(), o},
            {"filter", "custom", "--kernel", "1 1\\n1 1", in.toString(), o},
            {"filter", "custom", "--kernel", "1 a 1", in.toString(), o},
            {"filter", "custom", "--kernel", "", in.toString(), o},
            {"filter", "blur", in.toString(), o},
            {"filter", "mean", "--radius", "2", "--edge", "wrap", in.toString(), o}};
        for (String[] c : cases) {
            CliRun r = neuralj(c);
            assertEquals(2, r.code(), String.join(" ", c) + " -> " + r.err());
            assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertTrue(neuralj("filter", "gaussian", "--sigma", "0", in.toString(), o).err().contains("must be a number > 0, was 0.0"));
        assertTrue(neuralj("filter", "custom", "--kernel", "1 1\\n1 1", in.toString(), o).err().contains("must be odd"));
        assertTrue(neuralj("filter", "custom", "--kernel", "1 a 1", in.toString(), o).err().contains("'a'"));
    }
}
