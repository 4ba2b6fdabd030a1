package org.neuralj.cli;

import java.io.PrintStream;
import org.neuralj.backend.DeviceInfo;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.opencl.OpenClBackend;

/** {@code neuralj devices}: the backends this machine offers. */
final class DevicesCommand implements Main.Command {
    @Override
    public String summary() {
        return "list the OpenCL devices and the CPU backend";
    }

    @Override
    public String usage() {
        return "usage: neuralj devices\n  Lists every backend: 'cpu' and 'opencl:N' for each OpenCL device (use with --backend).";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) {
        args.allowOnly();
        out.println("cpu        Java, " + Runtime.getRuntime().availableProcessors() + " threads");
        try {
            for (DeviceInfo d : OpenClBackend.devices()) {
                out.println(d);
            }
        } catch (DeviceUnavailableException e) {
            out.println("(no OpenCL device: " + e.getMessage() + ")");
        }
    }
}
