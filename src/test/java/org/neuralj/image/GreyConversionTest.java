package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.NeuralJException;
import org.neuralj.train.data.Datasets;
import org.neuralj.train.data.Sample;

/** A one-channel model reading RGB images by their green channel (card key rgb_to_grey) instead of the luminance. */
class GreyConversionTest {
    /** An H&E-like RGB image: purple discs on pink, each channel different. */
    private static ColorProcessor stained(int size, long seed) {
        Random r = new Random(seed);
        ColorProcessor cp = new ColorProcessor(size, size);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean nucleus = Math.hypot(x % 32 - 16, y % 32 - 16) < 9;
                int red = (nucleus ? 110 : 225) + r.nextInt(20);
                int green = (nucleus ? 60 : 170) + r.nextInt(20);
                int blue = (nucleus ? 170 : 215) + r.nextInt(20);
                cp.set(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return cp;
    }

    @Test
    void channelsAreReadAsSuchAndLuminanceIsImageJsGrey() {
        ColorProcessor cp = stained(64, 1);
        float[] green = GreyConversion.GREEN.values(cp);
        float[] red = GreyConversion.RED.values(cp);
        float[] lum = GreyConversion.LUMINANCE.values(cp);
        float[] imagej = (float[]) cp.convertToFloatProcessor().getPixels();
        for (int i = 0; i < 64 * 64; i += 97) {
            int c = cp.get(i);
            assertEquals((c >> 8) & 0xff, green[i]);
            assertEquals((c >> 16) & 0xff, red[i]);
            assertEquals(imagej[i], lum[i]);
            assertEquals((((c >> 16) & 0xff) + ((c >> 8) & 0xff) + (c & 0xff)) / 3f, lum[i], 0.5f, "a grey level, not the packed integer");
        }
        ByteProcessor grey = new ByteProcessor(4, 4);
        grey.set(5, 77);
        assertEquals(77, GreyConversion.GREEN.values(grey)[5], "grey planes as they are");
        assertEquals(GreyConversion.GREEN, GreyConversion.parse(" Green", "x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreyConversion.parse("blue", "--rgb-to-grey"));
        assertTrue(e.getMessage().contains("--rgb-to-grey") && e.getMessage().contains("luminance, red or green"), e.getMessage());
    }

    @Test
    void aGreenCardSegmentsAnRgbImageAsTheLuminanceCardSegmentsItsGreenChannel(@TempDir Path dir) throws Exception {
        Path models = Path.of("sample-data/models");
        Files.copy(models.resolve("nuclei.onnx"), dir.resolve("nuclei.onnx"));
        ModelCard shipped = ModelCard.read(models.resolve("nuclei.json"));
        Path green = dir.resolve("green.json");
        shipped.withSettings(shipped.threshold(), Map.of(ModelCard.RGB_TO_GREY, "green", "rescale", "off")).write(green);
        Path luminance = dir.resolve("luminance.json");
        shipped.withSettings(shipped.threshold(), Map.of(ModelCard.RGB_TO_GREY, "luminance", "rescale", "off")).write(luminance);
        ColorProcessor rgb = stained(128, 2);
        ByteProcessor greenChannel = rgb.getChannel(2, null);
        float[] viaCard = prob(green, rgb);
        float[] viaChannel = prob(luminance, greenChannel);
        assertArrayEquals(viaChannel, viaCard, 0f, "the same numbers");
        float[] viaLuminance = prob(luminance, rgb);
        assertTrue(maxDiff(viaLuminance, viaCard) > 1e-3, "luminance differs from green on a stained image");

        Path bad = dir.resolve("bad.json");
        shipped.withSettings(shipped.threshold(), Map.of(ModelCard.RGB_TO_GREY, "blue")).write(bad);
        NeuralJException e = assertThrows(NeuralJException.class, () -> Segmenter.open(new Segmenter.Request(bad.toString(),
                Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu"), null));
        assertTrue(e.getMessage().contains("rgb_to_grey"), e.getMessage());
    }

    @Test
    void trainingAndEvaluationReadRgbImagesTheSameWay(@TempDir Path dir) throws Exception {
        ColorProcessor rgb = stained(40, 3);
        new ij.io.FileSaver(new ImagePlus("x", rgb)).saveAsPng(dir.resolve("x.png").toString());
        Sample s = Datasets.read(dir.resolve("x.png"), 1, GreyConversion.GREEN, "x", -1);
        Sample l = Datasets.read(dir.resolve("x.png"), 1, "x", -1);
        float[] lum = (float[]) rgb.convertToFloatProcessor().getPixels();
        for (int i = 0; i < 40 * 40; i += 13) {
            assertEquals((rgb.get(i) >> 8) & 0xff, s.pixels()[i]);
            assertEquals(lum[i], l.pixels()[i], 1e-4f, "luminance by default");
        }
    }

    private static float[] prob(Path card, ij.process.ImageProcessor ip) {
        try (Segmenter s = Segmenter.open(new Segmenter.Request(card.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, "cpu"),
                null)) {
            return (float[]) s.segmentPlane(ip, null).getPixels();
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
