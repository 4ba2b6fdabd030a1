package org.neuralj.backend.opencl;

import java.util.List;
import org.neuralj.backend.DeviceInfo;

/** PLACEHOLDER signatures, to be replaced by the real OpenCL backend. */
public abstract class OpenClBackend implements org.neuralj.backend.Backend {
    /** Every OpenCL device on every platform; throws DeviceUnavailableException (saying how to install a driver) if none. */
    public static List<DeviceInfo> devices() {
        throw new org.neuralj.backend.DeviceUnavailableException("OpenCL backend not built yet");
    }

    /** Opens device {@code index} of {@link #devices()}. */
    public static OpenClBackend open(int index) {
        throw new org.neuralj.backend.DeviceUnavailableException("OpenCL backend not built yet");
    }
}
