package org.neuralj.train.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.neuralj.train.data.Sample;

/** How segmentation training picks the image of each crop: by the square root of its area, optionally per stratum. */
class CropWeightsTest {

    private static Sample image(String name, int side) {
        return new Sample(name, name, 1, side, side, new float[0], new int[0], -1);
    }

    /** Shares of 200k draws per stratum (the name's prefix). */
    private static Map<String, Double> shares(List<Sample> samples, double[] weights) {
        Random rng = new Random(3);
        Map<String, Double> count = new TreeMap<>();
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            count.merge(samples.get(SegmentationTraining.draw(weights, rng)).file().substring(0, 1), 1.0 / n, Double::sum);
        }
        return count;
    }

    @Test
    void imagesAreDrawnByTheSquareRootOfTheirAreaOrWithEachStratumGettingTheSameShare() {
        // 30 small fluorescence-like images (side 100), 5 medium (200), 1 large (800): sqrt-area weights 3000 : 1000 : 800
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            samples.add(image("f" + i, 100));
        }
        for (int i = 0; i < 5; i++) {
            samples.add(image("h" + i, 200));
        }
        samples.add(image("b0", 800));
        Map<String, Double> byArea = shares(samples, SegmentationTraining.cropWeights(samples, null, 0));
        assertEquals(3000 / 4800.0, byArea.get("f"), 0.01);
        assertEquals(1000 / 4800.0, byArea.get("h"), 0.01);
        assertEquals(800 / 4800.0, byArea.get("b"), 0.01);
        Map<String, Double> balanced = shares(samples, SegmentationTraining.cropWeights(samples, s -> s.file().substring(0, 1), 1));
        for (String stratum : List.of("f", "h", "b")) {
            assertEquals(1 / 3.0, balanced.get(stratum), 0.01, stratum + " " + balanced);
        }
        // strength 0.5: shares in proportion to the square roots of 3000, 1000 and 800
        Map<String, Double> half = shares(samples, SegmentationTraining.cropWeights(samples, s -> s.file().substring(0, 1), 0.5));
        double norm = Math.sqrt(3000) + Math.sqrt(1000) + Math.sqrt(800);
        assertEquals(Math.sqrt(3000) / norm, half.get("f"), 0.01, half.toString());
        assertEquals(Math.sqrt(800) / norm, half.get("b"), 0.01, half.toString());
        // strength 0: as by area alone
        Map<String, Double> none = shares(samples, SegmentationTraining.cropWeights(samples, s -> s.file().substring(0, 1), 0));
        assertEquals(byArea.get("h"), none.get("h"), 1e-4);
    }
}
