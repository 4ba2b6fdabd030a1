package org.neuralj.backend.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.NeuralJException;

/** The one place where OpenCL error codes become NeuralJ exceptions. */
final class ClErrors {
    static final int CL_MEM_OBJECT_ALLOCATION_FAILURE = -4;
    static final int CL_OUT_OF_RESOURCES = -5;
    static final int CL_INVALID_BUFFER_SIZE = -61;
    static final int CL_DEVICE_NOT_AVAILABLE = -2;

    /** Codes a device gives once it has gone (unplugged, reset after a hang, driver restarted). */
    private static final java.util.Set<Integer> DEVICE_LOST = java.util.Set.of(CL_DEVICE_NOT_AVAILABLE, -33 /* CL_INVALID_DEVICE */,
            -34 /* CL_INVALID_CONTEXT */, -36 /* CL_INVALID_COMMAND_QUEUE */, -9999 /* NVIDIA: device lost after an error */);

    private ClErrors() {
    }

    /** True for the codes that mean the device ran out of memory. */
    static boolean isOutOfMemory(int status) {
        return status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
                || status == CL_INVALID_BUFFER_SIZE;
    }

    /** The CL name of a status code, e.g. {@code CL_INVALID_KERNEL_ARGS}. */
    static String name(int status) {
        String s = CL.stringFor_errorCode(status);
        return s == null ? "CL error " + status : s + " (" + status + ")";
    }

    /**
     * Translates a JOCL exception. {@code what} says what was being done (e.g. "kernel conv2d_tiled
     * from conv.cl" or "allocating a buffer"); {@code requestedBytes} the memory it needed.
     */
    static NeuralJException translate(CLException e, String what, String device, long requestedBytes,
                                      long deviceGlobalMemory) {
        int status = e.getStatus();
        if (isOutOfMemory(status)) {
            return outOfMemory(what + ": " + name(status), device, requestedBytes, deviceGlobalMemory, e);
        }
        if (DEVICE_LOST.contains(status)) {
            return new DeviceUnavailableException("the OpenCL device " + device + " stopped working (" + name(status) + " in " + what
                    + "); it may have been reset or removed", e);
        }
        return new NeuralJException("OpenCL " + name(status) + " in " + what + " on " + device, e);
    }

    static DeviceOutOfMemoryException outOfMemory(String what, String device, long requestedBytes,
                                                  long deviceGlobalMemory, Throwable cause) {
        return new DeviceOutOfMemoryException("out of device memory on " + device + " while " + what
                + ": requested " + mib(requestedBytes) + ", device global memory " + mib(deviceGlobalMemory)
                + " (use smaller tiles or the CPU backend)", cause);
    }

    private static String mib(long bytes) {
        return bytes + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f", bytes / 1048576.0) + " MiB)";
    }
}
