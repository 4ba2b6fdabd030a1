package org.neuralj.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.DeviceInfo;

/** The tuner's choice, its file and its modes, with launches that only sleep (no OpenCL needed). */
class LaunchTunerTest {
    /** Candidate {@code c[0]} takes c[0] milliseconds; records every launch. */
    private static java.util.function.Consumer<int[]> sleeper(List<Integer> launched) {
        return c -> {
            launched.add(c[0]);
            try {
                Thread.sleep(c[0]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    private static final List<int[]> CANDIDATES = List.of(new int[] {12}, new int[] {2}, new int[] {7});

    @Test
    void picksTheFastestAndRemembersItInTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub").resolve("device.properties");
        List<Integer> launched = new ArrayList<>();
        LaunchTuner t = new LaunchTuner(file);
        assertArrayEquals(new int[] {2}, t.choose("conv k", CANDIDATES, sleeper(launched)));
        assertEquals(3 * (1 + LaunchTuner.RUNS), launched.size(), "each candidate once untimed, then RUNS times");
        assertEquals(1, t.tunedCount());
        assertTrue(Files.readString(file).contains("conv\\ k=2"), Files.readString(file));

        launched.clear();
        assertArrayEquals(new int[] {2}, t.choose("conv k", CANDIDATES, sleeper(launched)), "the same tuner: from memory");
        LaunchTuner again = new LaunchTuner(file);
        assertArrayEquals(new int[] {2}, again.choose("conv k", CANDIDATES, sleeper(launched)), "a new tuner: from the file");
        assertEquals(0, launched.size(), "nothing timed again");
        assertEquals(0, again.tunedCount());

        // a file written for other candidates (2 is no longer one): tuned again
        assertArrayEquals(new int[] {7}, again.choose("conv k", List.of(new int[] {12}, new int[] {7}), sleeper(launched)));
        assertEquals(1, again.tunedCount());
    }

    @Test
    void oneCandidateIsNotTimedAndABadFileOrFolderIsNoFailure(@TempDir Path dir) throws Exception {
        List<Integer> launched = new ArrayList<>();
        LaunchTuner t = new LaunchTuner(dir.resolve("d.properties"));
        assertArrayEquals(new int[] {5}, t.choose("k", List.<int[]>of(new int[] {5}), sleeper(launched)));
        assertEquals(0, launched.size());

        Path broken = dir.resolve("broken.properties");
        Files.writeString(broken, "k=\\u00zz\n");    // a malformed escape: the file is ignored, tuning starts afresh
        assertArrayEquals(new int[] {2}, new LaunchTuner(broken).choose("k", CANDIDATES, sleeper(launched)));

        Path notAFolder = dir.resolve("plain-file");
        Files.writeString(notAFolder, "");
        LaunchTuner unwritable = new LaunchTuner(notAFolder.resolve("d.properties"));   // its folder cannot be made
        assertArrayEquals(new int[] {2}, unwritable.choose("k", CANDIDATES, sleeper(launched)), "kept in memory");
    }

    @Test
    void theModeDecidesWhichDevicesAreTuned(@TempDir Path dir) {
        DeviceInfo gpu = new DeviceInfo(0, "CUDA", "NVIDIA H100 80GB HBM3", "NVIDIA", "GPU", 132, 80L << 30, 20L << 30, "OpenCL 3.0 CUDA");
        DeviceInfo cpu = new DeviceInfo(1, "Portable Computing Language", "pthread-skylake-avx512-AMD EPYC", "AMD", "CPU", 2,
                8L << 30, 4L << 30, "OpenCL 3.0 PoCL");
        String was = System.getProperty("neuralj.opencl.tune"), wasDir = System.getProperty("neuralj.opencl.tuningDir");
        try {
            System.setProperty("neuralj.opencl.tuningDir", dir.toString());
            System.setProperty("neuralj.opencl.tune", "gpu");
            assertTrue(LaunchTuner.forDevice(gpu) != null);
            assertNull(LaunchTuner.forDevice(cpu), "CPU drivers keep the built-in shapes by default");
            System.setProperty("neuralj.opencl.tune", "all");
            assertTrue(LaunchTuner.forDevice(cpu) != null);
            System.setProperty("neuralj.opencl.tune", "false");
            assertNull(LaunchTuner.forDevice(gpu));
            System.setProperty("neuralj.opencl.tune", "sometimes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchTuner.forDevice(gpu));
            assertTrue(e.getMessage().contains("neuralj.opencl.tune"), e.getMessage());
        } finally {
            restore("neuralj.opencl.tune", was);
            restore("neuralj.opencl.tuningDir", wasDir);
        }
        assertEquals("NVIDIA_H100_80GB_HBM3_OpenCL_3.0_CUDA.properties", LaunchTuner.fileName(
                new DeviceInfo(0, "CUDA", " NVIDIA H100 80GB HBM3 ", "NVIDIA", "GPU", 132, 1, 1, "OpenCL 3.0 CUDA")));
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
