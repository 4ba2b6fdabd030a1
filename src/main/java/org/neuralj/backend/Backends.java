package org.neuralj.backend;

import java.nio.file.Path;
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
    private static volatile boolean signalChainingChecked;

    private Backends() {
    }

    /** The OpenCL devices; the first time, also checks that the JVM can live with the driver's signal handlers. */
    private static List<DeviceInfo> openClDevices() {
        List<DeviceInfo> devices = OpenClBackend.devices();
        if (!signalChainingChecked) {
            signalChainingChecked = true;
            String warning = signalChainingWarning(devices, System.getProperty("os.name", ""), Path.of("/proc/self/maps"));
            if (warning != null) {
                LOG.warning(warning);
            }
            String advice = affinityAdvice(devices, System.getenv("POCL_AFFINITY"));
            if (advice != null) {
                LOG.info(advice);
            }
        }
        return devices;
    }

    /**
     * PoCL (the CPU OpenCL driver) runs LLVM, which installs its own SIGSEGV handler; the JVM uses SIGSEGV
     * itself (implicit null checks, safepoints), so without signal chaining (the JDK's libjsig preloaded)
     * the JVM can later die with "Segmentation fault". Returns the advice when that applies, else null.
     */
    static String signalChainingWarning(List<DeviceInfo> devices, String osName, Path maps) {
        if (devices.stream().noneMatch(Backends::isPocl) || !osName.toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            if (java.nio.file.Files.readString(maps).contains("libjsig")) {
                return null;
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // cannot tell: say nothing rather than something wrong
        }
        String jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();
        return "NeuralJ: the PoCL OpenCL driver replaces the JVM's crash handler; start Java with LD_PRELOAD=" + jsig
                + " (bin/neuralj does) or the JVM may die with 'Segmentation fault' after using OpenCL";
    }

    /**
     * PoCL's worker threads, unpinned, come back from an idle pause slowed (ResNet-18 b1: 35 ms after 100 ms idle
     * against 22 ms pinned); pinned with POCL_AFFINITY=1, which only the environment the JVM starts from can set.
     * Returns the advice when PoCL is present and POCL_AFFINITY is unset (pocl: the variable's value, or null), else null.
     */
    static String affinityAdvice(List<DeviceInfo> devices, String pocl) {
        if (pocl != null || devices.stream().noneMatch(Backends::isPocl)) {
            return null;
        }
        return "NeuralJ: set POCL_AFFINITY=1 in the environment Java starts from (bin/neuralj does): PoCL then keeps its"
                + " threads on their cores, and a model run after a pause is not slowed by half";
    }

    private static boolean isPocl(DeviceInfo d) {
        String p = d.platform().toLowerCase(java.util.Locale.ROOT);
        return p.contains("portable computing language") || p.contains("pocl");
    }

    /** Opens the backend named by {@code spec}; the caller closes it. */
    public static Backend select(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.isEmpty() || s.equals("auto")) {
            try {
                return OpenClBackend.open(preferredDevice(openClDevices()));
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
            return OpenClBackend.open(preferredDevice(openClDevices()));
        }
        if (s.startsWith("opencl:")) {
            String which = spec.trim().substring("opencl:".length());
            List<DeviceInfo> devices = openClDevices();
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
            for (DeviceInfo d : openClDevices()) {
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
