package org.neuralj.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.VirtualStack;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.image.FilterImages;

/** Bad kernels, sigmas and images: a FilterException that says what is wrong, or a correct result. */
class FilterBadInputTest {
    private static String message(Runnable r) {
        return assertThrows(FilterException.class, r::run).getMessage();
    }

    @Test
    void kernelsThatCannotBeUsedAreRefusedWithTheReason() {
        assertTrue(message(() -> Kernel2D.parse("1 1\n1 1")).contains("must be odd"));
        assertTrue(message(() -> Kernel2D.parse("1 2 3 4")).contains("must be odd"));
        assertTrue(message(() -> Kernel2D.parse("   ")).contains("empty"));
        assertTrue(message(() -> Kernel2D.parse("1 x 1")).contains("'x' (row 1, column 2) is not a number"));
        assertTrue(message(() -> Kernel2D.parse("1 1 1\n1 1")).contains("row 2 has 2 numbers"));
        assertTrue(message(() -> Kernel2D.parse("1 NaN 1")).contains("not a finite number"));
        assertEquals(3, Kernel2D.parse("1,2,1\n2,4,2\n1,2,1").width());
        assertEquals(3, Kernel2D.parse("1 2 1 2 4 2 1 2 1").height(), "one line of 9 numbers is 3x3, as in ImageJ");
        assertEquals(7, Kernel2D.parse("1 1 1 1 1 1 1").width(), "one line of 7: a 7x1 kernel");
    }

    @Test
    void sigmasOutOfRangeAreRefused() {
        assertTrue(message(() -> new Filter.Gaussian(0, 0.0002)).contains("sigma x must be a number > 0, was 0.0"));
        assertTrue(message(() -> new Filter.Gaussian(-2, 0.0002)).contains("> 0"));
        assertTrue(message(() -> new Filter.Gaussian(Double.NaN, 0.0002)).contains("> 0"));
        assertTrue(message(() -> new Filter.Gaussian(1e9, 0.0002)).contains("too large"));
        assertTrue(message(() -> new Filter.UnsharpMask(2, 1.0)).contains("weight"));
        assertTrue(message(() -> new Filter.Mean(0)).contains("radius"));
        assertTrue(message(() -> EdgeMode.parse("wrap")).contains("edge, zero or reflect"));
    }

    @Test
    void tinyImagesVirtualAndRgbStacks() {
        try (CpuBackend cpu = new CpuBackend(2)) {
            // 1x1 image: every filter gives a finite result (the edge pixel is all there is)
            for (Filter f : new Filter[] {new Filter.Gaussian(3, 0.0002), new Filter.Gaussian(50, 0.0002), new Filter.Mean(4),
                new Filter.FindEdges(), Filter.Fixed.sharpen(), new Filter.LaplacianOfGaussian(2),
                new Filter.Custom(Kernel2D.parse("1 2 1\n2 4 2\n1 2 1"), true)}) {
                FloatProcessor one = new FloatProcessor(1, 1, new float[] {7f});
                FilterImages.filter(cpu, f, EdgeMode.EDGE, List.of(one), null, null, null);
                assertTrue(Float.isFinite(one.getf(0)), f + " on 1x1 gave " + one.getf(0));
                if (f instanceof Filter.Gaussian || f instanceof Filter.Mean || f instanceof Filter.Custom || f == null) {
                    assertEquals(7f, one.getf(0), 1e-4, f + " keeps a constant image");
                }
            }
            // a virtual stack is refused for whole-stack runs
            VirtualStack vs = new VirtualStack(4, 4, null, "/nonexistent");
            vs.addSlice("a.tif");
            vs.addSlice("b.tif");
            ImagePlus virtual = new ImagePlus("virtual", (ImageStack) vs);
            assertTrue(message(() -> FilterImages.processors(virtual, true)).contains("virtual stack"));
            // an RGB stack: each slice and each channel is filtered on its own
            ImageStack rgb = new ImageStack(8, 6);
            for (int s = 0; s < 2; s++) {
                int[] px = new int[48];
                java.util.Arrays.fill(px, s == 0 ? 0x102030 : 0x405060);
                rgb.addSlice(new ColorProcessor(8, 6, px));
            }
            ImagePlus imp = new ImagePlus("rgb", rgb);
            FilterImages.filter(cpu, new Filter.Gaussian(2, 0.002), EdgeMode.EDGE, imp, true, null);
            ImageProcessor s2 = imp.getStack().getProcessor(2);
            assertEquals(0x405060, s2.get(3, 3) & 0xffffff, "a flat RGB slice stays flat per channel");
            assertEquals(0x102030, imp.getStack().getProcessor(1).get(0, 0) & 0xffffff);
        }
    }
}
