package org.neuralj.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.backend.opencl.OpenClBackend;

/**
 * Chooses a backend from a user's word: {@code auto}, {@code cpu}, {@code opencl} (the first OpenCL
 * device, GPUs before CPUs), {@code opencl:N} (device N of {@code neuralj devices}) or
 * {@code opencl:<part of the device name>}.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    private static volatile boolean autoFallbackLogged;

    private Backends() {
    }

    /** Opens the backend named by {@code spec}; the caller closes it. */
    public static Backend select(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.isEmpty() || s.equals("auto")) {
            try {
                return OpenClBackend.open(preferredDevice(OpenClBackend.devices()));
            } catch (DeviceUnavailableException e) {
                if (!autoFallbackLogged) {
                    autoFallbackLogged = true;
                    LOG.info("NeuralJ: no usable OpenCL device, running on the CPU (" + e.getMessage() + ")");
                }
                return new CpuBackend();
            }
        }
        if (s.equals("cpu")) {
            return new CpuBackend();
        }
        if (s.equals("opencl")) {
            return OpenClBackend.open(preferredDevice(OpenClBackend.devices()));
        }
        if (s.startsWith("opencl:")) {
            String which = spec.trim().substring("opencl:".length());
            List<DeviceInfo> devices = OpenClBackend.devices();
            try {
                int index = Integer.parseInt(which);
                if (index < 0 || index >= devices.size()) {
                    throw new DeviceUnavailableException("no OpenCL device " + index + "; found " + devices.size()
                            + ": " + devices);
                }
                return OpenClBackend.open(index);
            } catch (NumberFormatException notANumber) {
                for (DeviceInfo d : devices) {
                    if (d.name().toLowerCase(java.util.Locale.ROOT).contains(which.toLowerCase(java.util.Locale.ROOT))) {
                        return OpenClBackend.open(d.index());
                    }
                }
                throw new DeviceUnavailableException("no OpenCL device whose name contains '" + which
                        + "'; found: " + devices);
            }
        }
        throw new IllegalArgumentException("unknown backend '" + spec
                + "': use auto, cpu, opencl, opencl:N or opencl:<device name>");
    }

    /** Every backend that can be opened here, by spec: "cpu" first, then "opencl:N" for each device. */
    public static List<String> available() {
        List<String> specs = new ArrayList<>();
        specs.add("cpu");
        try {
            for (DeviceInfo d : OpenClBackend.devices()) {
                specs.add("opencl:" + d.index());
            }
        } catch (DeviceUnavailableException e) {
            // no OpenCL here: the CPU alone is available
        }
        return specs;
    }

    /** GPUs first, then accelerators, then CPU devices; the first of its kind by index. */
    private static int preferredDevice(List<DeviceInfo> devices) {
        for (String kind : new String[] {"GPU", "ACCELERATOR"}) {
            for (DeviceInfo d : devices) {
                if (d.type().contains(kind)) {
                    return d.index();
                }
            }
        }
        return devices.get(0).index();
    }
}
