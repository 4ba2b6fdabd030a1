package org.neuralj.fiji;

import ij.IJ;
import ij.plugin.PlugIn;
import org.neuralj.backend.DeviceInfo;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.opencl.OpenClBackend;

/** Plugins › NeuralJ › NeuralJ Devices: lists the backends in the Log window. */
public class DevicesPlugin implements PlugIn {
    @Override
    public void run(String arg) {
        IJ.log("NeuralJ backends:");
        IJ.log("  cpu        Java, " + Runtime.getRuntime().availableProcessors() + " threads");
        try {
            for (DeviceInfo d : OpenClBackend.devices()) {
                IJ.log("  " + d);
            }
        } catch (DeviceUnavailableException e) {
            IJ.log("  no OpenCL device: " + e.getMessage());
        }
    }
}
