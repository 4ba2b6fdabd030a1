package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.FloatProcessor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code neuralj explain} on segmentation models as users call it: the summary with its graph picture,
 * a saliency map of one output channel over a {@code --region} (zero beyond the region's receptive
 * field, unlike the whole-image map), and the feature maps of a value fused away at load time.
 */
class ExplainDenseCliTest {
    @TempDir
    static Path dir;
    static Path image;
    static final int SIZE = 64;

    @BeforeAll
    static void spots() {
        System.setProperty("java.awt.headless", "true");
        float[] px = new float[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double d1 = (x - 16) * (x - 16) + (y - 16) * (y - 16), d2 = (x - 48) * (x - 48) + (y - 44) * (y - 44);
                px[y * SIZE + x] = (float) (20 + 200 * Math.exp(-d1 / 18) + 150 * Math.exp(-d2 / 18) + ((x * 7 + y * 13) % 5));
            }
        }
        image = dir.resolve("spots.tif");
        IJ.saveAsTiff(new ImagePlus("spots", new FloatProcessor(SIZE, SIZE, px)), image.toString());
    }

    @Test
    void summaryDrawsTheGraph() throws Exception {
        Path png = dir.resolve("nuclei.png");
        String out = ExplainCliTest.run(0, "explain", "summary", "sample-data/models/nuclei.onnx", "--shape", "input=1x1x128x128",
                "--graph", png.toString())[0];
        assertTrue(out.contains("(fused: "), "values fused into a step are named: " + out);
        BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 200 && img.getHeight() > 2000, "a tall picture of ~40 boxes: " + img.getWidth() + "x" + img.getHeight());
    }

    @Test
    void saliencyOverARegionStaysNearTheRegion() {
        Path model = Path.of("sample-data/models/blob-detector.onnx");
        Path whole = dir.resolve("whole.tif"), part = dir.resolve("part.tif");
        ExplainCliTest.run(0, "explain", "saliency", model.toString(), image.toString(), "--class", "0", "--raw", "--backend", "cpu",
                "--output", whole.toString());
        String[] r = ExplainCliTest.run(0, "explain", "saliency", model.toString(), image.toString(), "--class", "0", "--raw",
                "--backend", "cpu", "--region", "10,10,12,12", "--output", part.toString());
        assertTrue(r[1].contains("over 10,10 12x12"), r[1]);
        float[] w = (float[]) IJ.openImage(whole.toString()).getProcessor().getPixels();
        float[] p = (float[]) IJ.openImage(part.toString()).getProcessor().getPixels();
        double nearSpot2Whole = 0, nearSpot2Part = 0, inRegion = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean spot2 = Math.abs(x - 48) < 6 && Math.abs(y - 44) < 6;   // 20+ px beyond the region's receptive field
                nearSpot2Whole += spot2 ? w[y * SIZE + x] : 0;
                nearSpot2Part += spot2 ? p[y * SIZE + x] : 0;
                inRegion += x >= 10 && x < 22 && y >= 10 && y < 22 ? p[y * SIZE + x] : 0;
            }
        }
        assertTrue(nearSpot2Whole > 0, "the whole-image map sees the second spot");
        assertEquals(0.0, nearSpot2Part, "the region's map is zero at the far spot");
        assertTrue(inRegion > 0, "and not zero inside the region");
        ExplainCliTest.run(2, "explain", "saliency", model.toString(), image.toString(), "--region", "10,10,0,5", "--output",
                dir.resolve("bad.tif").toString());
    }

    @Test
    void featureMapsOfAFusedAwayValue() {
        // the blob detector runs its first Conv fused with its ReLU: the Conv's own output is named in the summary
        String table = ExplainCliTest.run(0, "explain", "summary", "sample-data/models/blob-detector.onnx", "--shape",
                "image=1x1x64x64")[0];
        int at = table.indexOf("(fused: ");
        assertTrue(at > 0, table);
        String value = table.substring(at + 8, table.indexOf(')', at)).split(", ")[0];
        Path fm = dir.resolve("fused.tif");
        ExplainCliTest.run(0, "explain", "features", "sample-data/models/blob-detector.onnx", image.toString(), "--layer", value,
                "--backend", "cpu", "--output", fm.toString());
        ImagePlus stack = IJ.openImage(fm.toString());
        assertEquals(3, stack.getStackSize(), "the Conv's 3 channels before its ReLU");
        assertEquals(value + "/0", stack.getStack().getSliceLabel(1));
        float min = Float.MAX_VALUE;
        for (int s = 1; s <= 3; s++) {
            for (float v : (float[]) stack.getStack().getPixels(s)) {
                min = Math.min(min, v);
            }
        }
        assertTrue(min < 0, "values before the ReLU go below zero: min " + min);
    }
}
