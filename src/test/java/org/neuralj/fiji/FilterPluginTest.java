package org.neuralj.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.Macro;
import ij.Prefs;
import ij.Undo;
import ij.WindowManager;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.plugin.filter.GaussianBlur;
import ij.plugin.filter.PlugInFilterRunner;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The filter plugins as a macro runs them: ImageJ's own {@link PlugInFilterRunner} with macro options
 * (the same path as {@code run("NeuralJ Gaussian Blur", "sigma=2 stack")}), headless.
 */
class FilterPluginTest {

    static void run(ImagePlus imp, String arg, String command, String options) {
        WindowManager.setTempCurrentImage(imp);
        Thread.currentThread().setName("Run$_filter-test");   // ImageJ reads macro options on such threads
        Macro.setOptions(Thread.currentThread(), options);
        try {
            new PlugInFilterRunner(new FilterPlugin(), command, arg);
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            WindowManager.setTempCurrentImage(null);
        }
    }

    static ImageStack randomStack(int w, int h, int n) {
        Random r = new Random(4);
        ImageStack s = new ImageStack(w, h);
        for (int i = 0; i < n; i++) {
            byte[] p = new byte[w * h];
            r.nextBytes(p);
            s.addSlice("slice " + i, new ByteProcessor(w, h, p));
        }
        return s;
    }

    @Test
    void gaussianOnAStackFiltersEverySliceAsImageJAndKeepsTitleAndCalibration() {
        ImagePlus imp = new ImagePlus("cells", randomStack(40, 30, 3));
        Calibration cal = imp.getCalibration();
        cal.pixelWidth = 0.5;
        cal.pixelHeight = 0.5;
        cal.setUnit("um");
        ImageStack expected = imp.getStack().duplicate();
        for (int s = 1; s <= 3; s++) {
            new GaussianBlur().blurGaussian(expected.getProcessor(s), 2, 2, 0.002);
        }
        run(imp, "gaussian", "NeuralJ Gaussian Blur", "sigma=1 scaled edge=edge backend=cpu stack");
        assertEquals("cells", imp.getTitle());
        assertEquals(0.5, imp.getCalibration().pixelWidth, 0);
        for (int s = 1; s <= 3; s++) {
            byte[] e = (byte[]) expected.getPixels(s), a = (byte[]) imp.getStack().getPixels(s);
            int worst = 0;
            for (int i = 0; i < e.length; i++) {
                worst = Math.max(worst, Math.abs((e[i] & 0xff) - (a[i] & 0xff)));
            }
            assertTrue(worst <= 1, "slice " + s + ": sigma 1 um = 2 px, max difference to ImageJ " + worst + " grey levels");
        }
    }

    @Test
    void undoAfterAWholeStackRunPutsTheStackBack() {
        ImagePlus imp = new ImagePlus("u", randomStack(40, 30, 3));
        ImageStack before = imp.getStack().duplicate();
        run(imp, "gaussian", "NeuralJ Gaussian Blur", "sigma=2 edge=edge backend=cpu stack");
        for (int s = 1; s <= 3; s++) {
            assertFalse(Arrays.equals((byte[]) before.getPixels(s), (byte[]) imp.getStack().getPixels(s)), "slice " + s + " filtered");
        }
        undo(imp);
        for (int s = 1; s <= 3; s++) {
            assertArrayEquals((byte[]) before.getPixels(s), (byte[]) imp.getStack().getPixels(s), "slice " + s + " back after Undo");
        }
        // with undo switched off (Edit > Options > Misc) no copy is kept, as for ImageJ's own filters
        boolean disabled = Prefs.disableUndo;
        Prefs.disableUndo = true;
        try {
            run(imp, "edges", "NeuralJ Find Edges", "edge=edge backend=cpu stack");
            byte[] edges = ((byte[]) imp.getStack().getPixels(2)).clone();
            undo(imp);
            assertArrayEquals(edges, (byte[]) imp.getStack().getPixels(2), "nothing to undo when undo is disabled");
        } finally {
            Prefs.disableUndo = disabled;
        }
    }

    static void undo(ImagePlus imp) {
        WindowManager.setTempCurrentImage(imp);
        try {
            Undo.undo();
        } finally {
            WindowManager.setTempCurrentImage(null);
        }
    }

    @Test
    void withoutStackOnlyTheCurrentSliceChangesAndARoiLimitsTheOutput() {
        ImagePlus imp = new ImagePlus("s", randomStack(40, 30, 2));
        imp.setSlice(2);
        ImageStack before = imp.getStack().duplicate();
        imp.setRoi(new Roi(10, 5, 12, 8));
        run(imp, "edges", "NeuralJ Find Edges", "edge=edge backend=cpu");
        assertArrayEquals((byte[]) before.getPixels(1), (byte[]) imp.getStack().getPixels(1), "slice 1 untouched");
        ImageProcessor expected = before.getProcessor(2).duplicate();
        expected.setRoi(new Roi(10, 5, 12, 8));
        expected.findEdges();
        byte[] e = (byte[]) expected.getPixels(), a = (byte[]) imp.getStack().getPixels(2), b = (byte[]) before.getPixels(2);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                int i = y * 40 + x;
                boolean inside = x >= 10 && x < 22 && y >= 5 && y < 13;
                assertEquals(inside ? e[i] : b[i], a[i], "pixel (" + x + "," + y + ")" + (inside ? " inside" : " outside") + " the ROI");
            }
        }
    }

    @Test
    void customKernelFromMacroTextAndBadKernelGivesNoChange() {
        FloatProcessor fp = new FloatProcessor(20, 10);
        fp.setf(5, 5, 1f);
        ImagePlus imp = new ImagePlus("k", fp);
        run(imp, "custom", "NeuralJ Convolve", "text1=[0 0 0\n0 0 2\n0 0 0] normalize edge=zero backend=cpu");
        assertEquals(1f, imp.getProcessor().getf(4, 5), 1e-6, "normalised kernel shifts the pixel left");
        assertEquals(0f, imp.getProcessor().getf(5, 5), 1e-6);
        float[] before = ((float[]) imp.getProcessor().getPixels()).clone();
        // an even-sized kernel: IJ.error (logged headless), the image is unchanged
        run(imp, "custom", "NeuralJ Convolve", "text1=[1 1\n1 1] normalize backend=cpu");
        assertArrayEquals(before, (float[]) imp.getProcessor().getPixels(), 0f);
    }

    @Test
    void rgbIsFilteredPerChannel() {
        int[] px = new int[16 * 12];
        Random r = new Random(9);
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextInt() & 0xffffff;
        }
        ImagePlus imp = new ImagePlus("rgb", new ij.process.ColorProcessor(16, 12, px.clone()));
        ij.process.ColorProcessor expected = new ij.process.ColorProcessor(16, 12, px.clone());
        new GaussianBlur().blurGaussian(expected, 1.5, 1.5, 0.002);
        run(imp, "gaussian", "NeuralJ Gaussian Blur", "sigma=1.5 backend=cpu");
        int[] e = (int[]) expected.getPixels(), a = (int[]) imp.getProcessor().getPixels();
        for (int i = 0; i < e.length; i++) {
            for (int c = 0; c < 3; c++) {
                int d = Math.abs(((e[i] >> (8 * c)) & 0xff) - ((a[i] >> (8 * c)) & 0xff));
                assertTrue(d <= 1, "RGB pixel " + i + " channel " + c + " differs by " + d);
            }
        }
    }
}
