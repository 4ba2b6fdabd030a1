package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.process.ImageProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.cli.Main;
import org.neuralj.image.ImageFiles;
import org.neuralj.image.Models;
import org.neuralj.image.Segmenter;
import org.neuralj.image.Warnings;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Session;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.samples.SampleData;

/**
 * A device that disappears mid-run, simulated on PoCL with {@code -Dneuralj.opencl.faultAfterLaunches=N}
 * (after N kernel launches every launch fails with CL_DEVICE_NOT_AVAILABLE, as a reset or removed GPU
 * does): the engine reports it as a {@link DeviceUnavailableException} naming the device, and segment
 * and the CLI batch carry on on the CPU with one warning and the CPU's results.
 */
class DeviceLossTest {
    private static final String FAULT = "neuralj.opencl.faultAfterLaunches";
    private static String device;
    private static ImageProcessor plane;

    @BeforeAll
    static void openClAndAnImage() {
        List<String> specs = Backends.available();
        Assumptions.assumeTrue(specs.size() > 1, "no OpenCL device here (CI has PoCL)");
        device = specs.get(1);
        ImageProcessor ip = ImageFiles.open(Path.of("sample-data/images/synthetic-nuclei.tif")).getProcessor();
        ip.setRoi(0, 0, 200, 150);
        plane = ip.crop();
    }

    private static <T> T losingTheDeviceAfter(int launches, Supplier<T> run) {
        System.setProperty(FAULT, Integer.toString(launches));
        try {
            return run.get();
        } finally {
            System.clearProperty(FAULT);
        }
    }

    private static Path model(Path dir) {
        Path onnx = dir.resolve("blobs.onnx");
        OnnxWriter.write(SampleData.blobDetector(), onnx);
        return onnx;
    }

    @Test
    void theEngineNamesTheLostDevice(@TempDir Path dir) {
        Path onnx = model(dir);
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> losingTheDeviceAfter(2, () -> {
            try (Backend cl = Backends.select(device); Session s = new Session(Models.loadTileable(onnx), cl)) {
                return s.runOnHost(Map.of("image", new HostTensor(new int[] {1, 1, 64, 64}, new float[64 * 64])));
            }
        }));
        assertTrue(e.getMessage().contains("stopped working") && e.getMessage().contains("CL_DEVICE_NOT_AVAILABLE"), e.getMessage());
    }

    @Test
    void segmentCarriesOnOnTheCpuWithOneWarning(@TempDir Path dir) throws Exception {
        Path onnx = model(dir);
        List<String> log = new ArrayList<>();
        float[] reference;
        try (Segmenter s = Segmenter.open(new Segmenter.Request(onnx.toString(), Segmenter.Output.PROB, null, 64, 0, Double.NaN, "cpu"),
                log::add)) {
            reference = (float[]) s.segmentPlane(plane, null).getPixels();
        }
        int mark = Warnings.mark();
        String[] ranOn = new String[1];
        // 64-pixel tiles: the device goes after a few tiles, mid-image
        float[] lost = losingTheDeviceAfter(12, () -> {
            try (Segmenter s = Segmenter.open(new Segmenter.Request(onnx.toString(), Segmenter.Output.PROB, null, 64, 0, Double.NaN,
                    device), log::add)) {
                float[] p = (float[]) s.segmentPlane(plane, null).getPixels();
                ranOn[0] = s.backendName();
                return p;
            }
        });
        List<String> warned = Warnings.since(mark);
        assertTrue(ranOn[0].startsWith("cpu"), ranOn[0]);
        assertEquals(1, warned.size(), warned.toString());
        assertTrue(warned.get(0).contains("stopped working") && warned.get(0).contains("running on the CPU"), warned.get(0));
        assertEquals(reference.length, lost.length);
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i], lost[i], 1e-4, "pixel " + i);
        }
    }

    @Test
    void aCliBatchLosesNothingWhenTheDeviceGoes(@TempDir Path dir) throws Exception {
        Path onnx = model(dir);
        Path in = Files.createDirectories(dir.resolve("in"));
        for (String name : new String[] {"a.tif", "b.tif", "c.tif"}) {
            ij.IJ.saveAsTiff(new ImagePlus(name, plane.duplicate()), in.resolve(name).toString());
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"apply", onnx.toString(), in.toString(), "--output", dir.resolve("cpu").toString(), "--backend",
                "cpu"}, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream o2 = new ByteArrayOutputStream(), e2 = new ByteArrayOutputStream();
        // the first image runs on the device; the device goes during the second
        int code2 = losingTheDeviceAfter(9, () -> Main.run(new String[] {"apply", onnx.toString(), in.toString(), "--output",
                dir.resolve("out").toString(), "--backend", device}, new PrintStream(o2, true, StandardCharsets.UTF_8),
                new PrintStream(e2, true, StandardCharsets.UTF_8)));
        String out = o2.toString(StandardCharsets.UTF_8);
        assertEquals(0, code2, out + e2.toString(StandardCharsets.UTF_8));
        assertTrue(out.contains("3 written"), out);
        assertEquals(1, out.split("warning: ", -1).length - 1, "one warning in the summary:\n" + out);
        for (String name : new String[] {"a.tif", "b.tif", "c.tif"}) {
            float[] want = (float[]) ImageFiles.open(dir.resolve("cpu").resolve(name)).getProcessor().getPixels();
            float[] got = (float[]) ImageFiles.open(dir.resolve("out").resolve(name)).getProcessor().getPixels();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4, name + " pixel " + i);
            }
        }
    }
}
