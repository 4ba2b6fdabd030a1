package org.neuralj.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jocl.CLException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Backends;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;

/**
 * OpenCL faults: the memory cap and its parsing, the driver's out-of-memory codes as one exception,
 * and a kernel that does not compile reported with the driver's build log.
 */
class ClFaultTest {

    @Test
    void capSizesAreParsedOrRefusedByName() {
        assertEquals(Long.MAX_VALUE, BufferPool.parseBytes(null));
        assertEquals(Long.MAX_VALUE, BufferPool.parseBytes(" "));
        assertEquals(1048576L, BufferPool.parseBytes("1048576"));
        assertEquals(64L << 10, BufferPool.parseBytes("64k"));
        assertEquals(256L << 20, BufferPool.parseBytes("256M"));
        assertEquals(2L << 30, BufferPool.parseBytes("2g"));
        for (String bad : new String[] {"lots", "-5m", "0", "12x", "99999999999g"}) {
            NeuralJException e = assertThrows(NeuralJException.class, () -> BufferPool.parseBytes(bad), bad);
            assertTrue(e.getMessage().contains("neuralj.opencl.maxMemory=" + bad), e.getMessage());
        }
    }

    @Test
    void outOfMemoryCodesBecomeOneExceptionAndOthersStayGeneral() {
        for (int code : new int[] {ClErrors.CL_MEM_OBJECT_ALLOCATION_FAILURE, ClErrors.CL_OUT_OF_RESOURCES,
            ClErrors.CL_INVALID_BUFFER_SIZE}) {
            NeuralJException e = ClErrors.translate(new CLException("driver says no", code), "kernel conv2d of conv.cl", "gpu0",
                    1 << 20, 1L << 30);
            assertInstanceOf(DeviceOutOfMemoryException.class, e, ClErrors.name(code));
            assertTrue(e.getMessage().contains("gpu0") && e.getMessage().contains("conv2d") && e.getMessage().contains("1048576"),
                    e.getMessage());
        }
        NeuralJException other = ClErrors.translate(new CLException("bad args", -52), "kernel k of x.cl", "gpu0", 0, 1L << 30);
        assertFalse(other instanceof DeviceOutOfMemoryException, other.getMessage());
        assertTrue(other.getMessage().contains("CL_INVALID_KERNEL_ARGS"), other.getMessage());
    }

    private static OpenClBackend openCl() {
        var specs = Backends.available();
        Assumptions.assumeTrue(specs.size() > 1, "no OpenCL device here (CI has PoCL)");
        return (OpenClBackend) Backends.select(specs.get(1));
    }

    @Test
    void theCapRefusesWhatWouldPassItAndIdleBuffersMakeRoom() {
        System.setProperty(BufferPool.MAX_MEMORY_PROPERTY, "1m");
        OpenClBackend cl;
        try {
            cl = openCl();
        } finally {
            System.clearProperty(BufferPool.MAX_MEMORY_PROPERTY);
        }
        try (cl) {
            Tensor a = cl.allocate(160_000);                      // 640,000 bytes of 1,048,576
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> cl.allocate(120_000));
            assertTrue(e.getMessage().contains("neuralj.opencl.maxMemory=1m") && e.getMessage().contains("640000"), e.getMessage());
            a.close();                                             // idle in the pool now, still held
            try (Tensor b = cl.allocate(120_000); Tensor c = cl.allocate(120_000)) {  // the idle buffer is dropped for them
                assertEquals(960_000, cl.peakDeviceBytes(), "two live tensors of 480,000 bytes under the 1 MiB cap");
            }
            float[] back = cl.download(cl.upload(new float[] {1, 2, 3}, 3));
            assertEquals(3f, back[2]);
        }
    }

    @Test
    void aKernelThatDoesNotCompileIsReportedWithTheBuildLog() {
        try (OpenClBackend cl = openCl(); Tensor y = cl.allocate(4)) {
            NeuralJException e = assertThrows(NeuralJException.class,
                    () -> cl.run("broken-for-test.cl", "-DSOME_TUNABLE=3", "broken", new long[] {4}, null, cl.mem(y)));
            String m = e.getMessage();
            System.out.println("build failure as reported:\n" + m);
            assertTrue(m.contains("broken-for-test.cl") && m.contains("failed to compile") && m.contains("-DSOME_TUNABLE=3"), m);
            assertTrue(m.contains("not_declared_anywhere"), "the driver's build log names the bad identifier:\n" + m);
            // the backend stays usable after the failed build
            assertEquals(2f, cl.download(cl.upload(new float[] {2}, 1))[0]);
        }
    }
}
