package org.neuralj.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.neuralj.image.Classifier;
import org.neuralj.samples.SampleData.BloodCell;

/**
 * The blood-cell crops in {@code sample-data/images} are SampleData's synthetic drawings (no copied
 * data): each shipped file equals what {@link SampleData#bloodCell} draws for its seed, no other file
 * is there, and the shipped classifier, trained on real BCCD crops, calls every one its class.
 */
class SyntheticBloodCellsTest {
    private static final Path SAMPLES = Path.of("sample-data/images/blood-cells");
    private static final Path TRAIN = Path.of("sample-data/images/blood-cells-train");

    /** A shipped crop: its file, its class and the seed it was drawn with. */
    private record Crop(Path file, BloodCell cell, long seed) {
    }

    private static List<Crop> shipped() {
        List<Crop> crops = new ArrayList<>();
        for (BloodCell cell : BloodCell.values()) {
            crops.add(new Crop(SAMPLES.resolve(cell.fileName(1)), cell, cell.seed(1)));
            for (int i = 2; i <= 5; i++) {
                crops.add(new Crop(TRAIN.resolve(cell.folder()).resolve(cell.fileName(i)), cell, cell.seed(i)));
            }
        }
        return crops;
    }

    @Test
    void theShippedCropsAreExactlyWhatSampleDataDraws() throws Exception {
        List<Crop> crops = shipped();
        for (Crop c : crops) {
            ImagePlus file = IJ.openImage(c.file().toString());
            assertNotNull(file, c.file() + " is missing: regenerate with SampleData's main");
            ImagePlus drawn = SampleData.bloodCell(c.cell(), c.seed());
            assertEquals(drawn.getWidth() + "x" + drawn.getHeight(), file.getWidth() + "x" + file.getHeight(), c.file().toString());
            assertArrayEquals((int[]) drawn.getProcessor().getPixels(), (int[]) file.getProcessor().convertToRGB().getPixels(),
                    c.file() + " differs from SampleData.bloodCell(" + c.cell() + ", " + c.seed() + ")");
        }
        // nothing else (no copied crops) in the two folders
        try (Stream<Path> files = Stream.concat(Files.walk(SAMPLES), Files.walk(TRAIN))) {
            List<Path> all = files.filter(Files::isRegularFile).sorted().toList();
            assertEquals(crops.size(), all.size(), "files not drawn by SampleData: " + all);
        }
    }

    @Test
    void theShippedClassifierCallsEachSyntheticCropItsClass() {
        try (Classifier classifier = Classifier.open(new Classifier.Request("sample-data/models/blood-cells.json", "cpu"))) {
            assertEquals(List.of("Platelets", "RBC", "WBC"), classifier.card().classes());
            StringBuilder report = new StringBuilder();
            for (Crop c : shipped()) {
                Classifier.Prediction p = classifier.classify(IJ.openImage(c.file().toString()).getProcessor());
                float[] q = p.probabilities();
                report.append(String.format(Locale.ROOT, "%n  %s: %s (Platelets %.4f, RBC %.4f, WBC %.4f)", SAMPLES.getParent().relativize(c.file()),
                        p.label(), q[0], q[1], q[2]));
                assertEquals(c.cell().folder(), p.label(), c.file() + " classified as " + p.label() + report);
                assertTrue(q[p.index()] > 0.9, c.file() + ": a clear margin" + report);
            }
            System.out.println("SyntheticBloodCellsTest: the shipped blood-cells model on the synthetic crops:" + report);
        }
    }
}
