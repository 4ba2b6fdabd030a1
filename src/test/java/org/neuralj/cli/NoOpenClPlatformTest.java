package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.io.Npy;
import org.neuralj.samples.SampleData;
import org.neuralj.onnx.OnnxWriter;

/**
 * The CLI as a subprocess on a machine without any OpenCL platform: the ICD loader is pointed at an
 * empty vendor folder (OCL_ICD_VENDORS), which is what a machine without a driver looks like.
 */
class NoOpenClPlatformTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome neuralj(Path vendors, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.neuralj.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OCL_ICD_VENDORS", vendors.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "neuralj did not finish");
        return new Outcome(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void autoFallsBackToTheCpuOnceAndExplicitOpenClFailsClearly(@TempDir Path tmp) throws Exception {
        Path vendors = Files.createDirectories(tmp.resolve("no-vendors"));
        Path model = tmp.resolve("blobs.onnx");
        OnnxWriter.write(SampleData.blobDetector(), model);
        Path input = tmp.resolve("x.npy");
        Npy.write(input, new int[] {1, 1, 32, 32}, new float[32 * 32]);

        Outcome devices = neuralj(vendors, "devices");
        assertEquals(0, devices.code(), devices.err());
        assertTrue(devices.out().contains("no OpenCL device"), devices.out());

        Outcome explicit = neuralj(vendors, "run", model.toString(), "--input", input.toString(),
                "--output", tmp.resolve("o1").toString(), "--backend", "opencl");
        assertEquals(1, explicit.code(), explicit.out());
        assertTrue(explicit.err().contains("no platform") && explicit.err().contains("pocl-opencl-icd"), explicit.err());

        Outcome auto = neuralj(vendors, "run", model.toString(), "--input", input.toString(),
                "--output", tmp.resolve("o2").toString(), "--backend", "auto");
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.out().contains("backend: cpu"), auto.out());
        int says = auto.err().split("running on the CPU", -1).length - 1;
        assertEquals(1, says, "the fallback is said exactly once: " + auto.err());
        assertTrue(Files.isRegularFile(tmp.resolve("o2/blob_probability.npy")));
    }
}
