package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.cli.CliRun.neuralj;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;
import org.neuralj.backend.Backends;
import org.neuralj.conformance.Tolerances;
import org.neuralj.image.Normalization;
import org.neuralj.io.Npy;

/** The command line as a user types it (in-process through {@link Main#run}, which main() exits with). */
class CliTest {

    @Test
    void runOnTheRealUnetGivesTheReferenceOutputOnEveryBackend(@TempDir Path tmp) throws Exception {
        Path dir = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        Path input = unetInput(dir, tmp);
        Npy.Array expected = Npy.read(dir.resolve("test_output.npy"));
        for (String backend : Backends.available()) {
            Path outDir = tmp.resolve(backend.replace(':', '_'));
            CliRun r = neuralj("run", dir.resolve("weights.onnx").toString(), "--input", input.toString(),
                    "--output", outDir.toString(), "--backend", backend);
            assertEquals(0, r.code(), r.err());
            try (var files = Files.list(outDir)) {
                Path written = files.filter(p -> p.toString().endsWith(".npy")).findFirst().orElseThrow();
                Npy.Array y = Npy.read(written);
                assertArrayEquals(expected.shape(), y.shape());
                float[] p = y.data();
                for (int i = 0; i < p.length; i++) {
                    p[i] = (float) (1 / (1 + Math.exp(-p[i])));
                }
                Tolerances.assertClose(expected.data(), p, 1e-4f, 0f, "neuralj run on " + backend);
            }
        }
    }

    @Test
    void runProfileSaysWhereTheTimeGoes(@TempDir Path tmp) throws Exception {
        Path dir = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        Path input = unetInput(dir, tmp);
        CliRun r = neuralj("run", dir.resolve("weights.onnx").toString(), "--input", input.toString(), "--output",
                tmp.resolve("out").toString(), "--backend", "cpu", "--repeat", "2", "--profile");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("profile: "), r.out());
        // the U-Net's convolutions take most of its time, and every op type of the graph is listed
        String[] lines = r.out().split("\n");
        int header = java.util.Arrays.asList(lines).indexOf("      ms      %  steps  op [output shape]");
        assertTrue(header > 0 && lines[header + 1].contains("Conv ["), r.out());
        for (String op : new String[] {"Conv", "MaxPool", "Concat", "Resize"}) {
            assertTrue(r.out().contains(" " + op + " ["), op + " missing in\n" + r.out());
        }
    }

    /** The U-Net package's test input, normalised as its rdf.yaml says (z-score), as a .npy file in tmp. */
    private static Path unetInput(Path dir, Path tmp) throws java.io.IOException {
        Npy.Array raw = Npy.read(dir.resolve("test_input.npy"));
        Path input = tmp.resolve("input.npy");
        Npy.write(input, raw.shape(), Normalization.ZSCORE.apply(raw.data()));
        return input;
    }

    @Test
    void infoCountsOpsParametersAndFlops() {
        Path dir = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        CliRun r = neuralj("info", dir.resolve("weights.onnx").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Conv x18") && r.out().contains("GFLOP"), r.out());
    }

    @Test
    void devicesListsTheCpu() {
        CliRun r = neuralj("devices");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("cpu"), r.out());
    }

    @Test
    void badUsageExitsWithTwoAndSaysWhy() {
        CliRun none = neuralj();
        assertEquals(2, none.code());
        CliRun unknown = neuralj("frobnicate");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
        CliRun typo = neuralj("info", "x.onnx", "--shap", "1x1");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("unknown option --shap"), typo.err());
    }

    @Test
    void aMissingModelFileExitsWithOneNamingIt() {
        CliRun r = neuralj("info", "no-such-model.onnx");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no-such-model.onnx"), r.err());
    }

    @Test
    void applyRunsTheSampleModelOnTheSampleImageAndKeepsExistingOutput(@TempDir Path tmp) {
        Path out = tmp.resolve("blobs.tif");
        CliRun r = neuralj("apply", "sample-data/models/blob-detector.onnx", "sample-data/images/synthetic-nuclei.tif",
                "--output", out.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out));
        ij.ImagePlus result = ij.IJ.openImage(out.toString());
        assertEquals(512, result.getWidth());
        assertEquals(0.65, result.getCalibration().pixelWidth, 1e-5, "calibration carried over (TIFF stores it as a rational)");
        CliRun again = neuralj("apply", "sample-data/models/blob-detector.onnx", "sample-data/images/synthetic-nuclei.tif",
                "--output", out.toString(), "--backend", "cpu");
        assertEquals(0, again.code(), "an existing output is skipped (a rerun resumes a batch)");
        assertTrue(again.out().contains("skipped") && again.out().contains("--overwrite"), again.out());
    }
}
