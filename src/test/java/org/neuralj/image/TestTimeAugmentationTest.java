package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.ImageProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.HostTensor;

/** Test-time augmentation: the symmetries and their inverses, the average, and the Segment path with it. */
class TestTimeAugmentationTest {

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat();
        }
        return a;
    }

    @Test
    void aModelThatCommutesWithTheSymmetriesIsUnchangedAndEachTileSeesAllOfThem() {
        // a pointwise model (2 output channels) commutes with every flip and transpose; non-square tiles too
        int c = 2, h = 6, w = 10;
        float[] x = random(c * h * w, 3);
        List<String> seen = new ArrayList<>();
        Tiler.TileModel pointwise = (in, ch, th, tw) -> {
            seen.add(th + "x" + tw);
            float[] o = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                o[i] = 3 * in[i] - 1;
            }
            return new HostTensor(new int[] {1, ch, th, tw}, o);
        };
        HostTensor plain = pointwise.run(x, c, h, w);
        for (int n : new int[] {2, 4, 8}) {
            seen.clear();
            HostTensor avg = TestTimeAugmentation.wrap(pointwise, n).run(x, c, h, w);
            assertArrayEquals(plain.shape(), avg.shape());
            assertArrayEquals(plain.data(), avg.data(), 1e-5f, "augment " + n);
            assertEquals(n, seen.size());
            assertEquals(n == 8 ? 4 : 0, seen.stream().filter(s -> s.equals(w + "x" + h)).count(), "transposed runs: " + seen);
        }
        assertTrue(TestTimeAugmentation.wrap(pointwise, 1) == pointwise, "1 transform: the model itself");
    }

    @Test
    void outputsAreMappedBackBeforeTheyAreAveraged() {
        // the model writes each pixel's column index: mirrored left-right and mapped back it reads w-1-x, so
        // the mean of the two is (w-1)/2 everywhere; with the transposes the row index joins in
        int h = 4, w = 8;
        Tiler.TileModel column = (in, ch, th, tw) -> {
            float[] o = new float[th * tw];
            for (int y = 0; y < th; y++) {
                for (int x = 0; x < tw; x++) {
                    o[y * tw + x] = x;
                }
            }
            return new HostTensor(new int[] {1, 1, th, tw}, o);
        };
        float[] in = new float[h * w];
        float[] two = TestTimeAugmentation.wrap(column, 2).run(in, 1, h, w).data();
        for (float v : two) {
            assertEquals((w - 1) / 2f, v, 1e-6f);
        }
        float[] eight = TestTimeAugmentation.wrap(column, 8).run(in, 1, h, w).data();
        // 4 runs see columns as columns (mean (w-1)/2), 4 see rows as columns (mean (h-1)/2)
        for (float v : eight) {
            assertEquals(((w - 1) / 2f + (h - 1) / 2f) / 2, v, 1e-6f);
        }
    }

    @Test
    void transformsAreUndoneByTheirInverse() {
        int c = 3, h = 5, w = 7;
        float[] a = random(c * h * w, 9);
        for (int t = 0; t < 8; t++) {
            boolean fx = (t & 1) != 0, fy = (t & 2) != 0, swap = t >= 4;
            float[] f = TestTimeAugmentation.transform(a, c, h, w, fx, fy, swap);
            float[] back = swap ? TestTimeAugmentation.transform(f, c, w, h, false, false, true) : f;
            back = TestTimeAugmentation.transform(back, c, h, w, fx, fy, false);
            assertArrayEquals(a, back, "transform " + t);
        }
        assertThrows(NeuralJException.class, () -> TestTimeAugmentation.wrap((in, ch, th, tw) -> null, 3));
    }

    /** The model's foreground probability of {@code ip} on the CPU with {@code tile} (0: the card's) and {@code augment}. */
    private static float[] probability(Path card, int tile, int augment, ImageProcessor ip) {
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(card.toString(), Segmenter.Output.PROB, null, tile, 0, Double.NaN, "cpu",
                augment), null)) {
            assertEquals(augment, seg.augment());
            return (float[]) seg.segmentPlane(ip, null).getPixels();
        }
    }

    @Test
    void tiledEqualsUntiledWithTheSymmetriesToo() {
        // each symmetry of a tile sees the same context as that symmetry of the whole image (the halo covers the
        // receptive field), so the averaged tiles join up exactly as plain ones do
        Path card = Path.of("sample-data/models/nuclei.json");
        Path image = Path.of("sample-data/images/synthetic-nuclei.tif");
        Assumptions.assumeTrue(Files.isRegularFile(card) && Files.isRegularFile(image), "no shipped nucleus model");
        ImageProcessor ip = IJ.openImage(image.toString()).getProcessor();
        ip.setRoi(0, 0, Math.min(ip.getWidth(), 300), Math.min(ip.getHeight(), 260));
        ip = ip.crop();
        assertArrayEquals(probability(card, 512, 8, ip), probability(card, 256, 8, ip), 1e-4f);
    }

    @Test
    void theShippedNucleusModelSegmentsAlmostTheSameWithEightSymmetriesAndTheCardKeyIsRead(@TempDir Path dir) throws Exception {
        Path card = Path.of("sample-data/models/nuclei.json");
        Path image = Path.of("sample-data/images/synthetic-nuclei.tif");
        Assumptions.assumeTrue(Files.isRegularFile(card) && Files.isRegularFile(image), "no shipped nucleus model");
        ImagePlus imp = IJ.openImage(image.toString());
        ImageProcessor ip = imp.getProcessor();
        float[] plain = probability(card, 0, 1, ip);
        float[] augmented = probability(card, 0, 8, ip);
        int agree = 0;
        double diff = 0;
        for (int i = 0; i < plain.length; i++) {
            agree += (plain[i] > 0.5f) == (augmented[i] > 0.5f) ? 1 : 0;
            diff += Math.abs(plain[i] - augmented[i]);
        }
        assertTrue(agree > 0.98 * plain.length, "foreground agreement " + agree + " of " + plain.length);
        assertTrue(diff > 0, "the average differs somewhere from the single pass");
        // a copy of the card asking for 4 symmetries: requests with augment 0 take it, explicit ones win
        Path copy = dir.resolve("nuclei.json");
        ModelCard shipped = ModelCard.read(card);
        shipped.withSettings(shipped.threshold(), Map.of("augment", 4)).write(copy);
        Files.copy(Path.of("sample-data/models/nuclei.onnx"), dir.resolve("nuclei.onnx"));
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(copy.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu"),
                null)) {
            assertEquals(4, seg.augment());
        }
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(copy.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu", 1),
                null)) {
            assertEquals(1, seg.augment());
        }
        shipped.withSettings(shipped.threshold(), Map.of("augment", 3)).write(copy);
        // refused when the model opens, before any image
        NeuralJException e = assertThrows(NeuralJException.class, () -> Segmenter.open(new Segmenter.Request(copy.toString(),
                Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu"), null).close());
        assertTrue(e.getMessage().contains("\"augment\" is 3"), e.getMessage());
        // ... unless the request says how many
        try (Segmenter seg = Segmenter.open(new Segmenter.Request(copy.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu", 2),
                null)) {
            assertEquals(2, seg.augment());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new Segmenter.Request("nuclei", Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu", 5));
    }
}
