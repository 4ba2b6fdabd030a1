package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.opencl.OpenClBackend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.samples.SampleData;

/** A thousand inferences in one JVM: device buffers, compiles and heap stay flat after warm-up. */
class SoakTest {
    private static final int RUNS = 1000;

    @Test
    void openClBuffersAndCompilesStayFlatOverAThousandRuns() {
        List<String> specs = Backends.available();
        Assumptions.assumeTrue(specs.size() > 1, "no OpenCL device here");
        Model model = Model.fromOnnx(SampleData.blobDetector(), "blob-detector");
        HostTensor x = new HostTensor(new int[] {1, 1, 64, 64}, new float[64 * 64]);
        try (Backend b = Backends.select(specs.get(1)); Session s = new Session(model, b)) {
            OpenClBackend cl = (OpenClBackend) b;
            for (int i = 0; i < 10; i++) {
                s.runOnHost(Map.of("image", x));
            }
            long buffers = cl.buffersCreated();
            int compiles = cl.programCompiles();
            long peak = cl.peakDeviceBytes();
            for (int i = 0; i < RUNS; i++) {
                s.runOnHost(Map.of("image", x));
            }
            assertEquals(buffers, cl.buffersCreated(), "device buffers created during " + RUNS + " runs after warm-up");
            assertEquals(compiles, cl.programCompiles(), "kernel compiles during " + RUNS + " runs");
            assertEquals(peak, cl.peakDeviceBytes(), "most device bytes held at once, before and after " + RUNS + " runs");
            assertTrue(cl.buffersReused() >= RUNS, "buffers reused: " + cl.buffersReused());
        }
    }

    @Test
    void cpuHeapStaysFlatOverAThousandRuns() {
        Model model = Model.fromOnnx(SampleData.blobDetector(), "blob-detector");
        HostTensor x = new HostTensor(new int[] {1, 1, 64, 64}, new float[64 * 64]);
        try (Backend b = Backends.select("cpu"); Session s = new Session(model, b)) {
            for (int i = 0; i < 50; i++) {
                s.runOnHost(Map.of("image", x));
            }
            long before = usedHeapAfterGc();
            for (int i = 0; i < RUNS; i++) {
                s.runOnHost(Map.of("image", x));
            }
            long after = usedHeapAfterGc();
            // one run allocates well under 1 MB of outputs; a leak of one output per run would add > 16 MB
            assertTrue(after - before < 16L << 20, "heap grew by " + ((after - before) >> 10) + " KiB over " + RUNS + " runs");
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
