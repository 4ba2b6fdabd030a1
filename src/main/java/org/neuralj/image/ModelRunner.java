package org.neuralj.image;

import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * A one-input model on its backend that outlives the device running out of memory: the image layer
 * (apply, segment, classify) runs it whole or tile by tile ({@link Tiler}, which first retries with
 * smaller tiles), and when even that fails it moves the model to the CPU backend, with one warning
 * ({@link Warnings}), and carries on there. Not thread-safe: one image at a time.
 */
public final class ModelRunner implements Tiler.TileModel, AutoCloseable {
    private final Model model;
    private final String inputName;
    private Backend backend;
    private Session session;
    private int tileLimit = Integer.MAX_VALUE;

    private ModelRunner(Model model, Backend backend) {
        this.model = model;
        this.inputName = model.inputs().get(0).name();
        this.backend = backend;
        this.session = new Session(model, backend);
    }

    /** Opens the backend named by {@code backendSpec} (see {@link Backends#select}) for {@code model}. */
    public static ModelRunner open(Model model, String backendSpec) {
        Backend backend = Backends.select(backendSpec);
        try {
            return new ModelRunner(model, backend);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    public Model model() {
        return model;
    }

    /** The backend running now: the one asked for, or {@code cpu} after a fall-back. */
    public String backendName() {
        return backend.name();
    }

    /** Runs the model on {@code x}; the first output. Throws {@link DeviceOutOfMemoryException} as the device does. */
    public HostTensor run(HostTensor x) {
        return session.runOnHost(Map.of(inputName, x)).values().iterator().next();
    }

    /** Runs the model on the whole of {@code x}; out of device memory, it moves to the CPU and runs there. */
    public HostTensor runOrFallBack(HostTensor x) {
        try {
            return run(x);
        } catch (DeviceOutOfMemoryException | DeviceUnavailableException e) {
            if (!fallBackToCpu(e, "a " + java.util.Arrays.toString(x.shape()) + " input")) {
                throw e;
            }
            return run(x);
        }
    }

    @Override
    public HostTensor run(float[] input, int channels, int height, int width) {
        return run(new HostTensor(new int[] {1, channels, height, width}, input));
    }

    @Override
    public boolean fallBackToCpu(NeuralJException e, String tried) {
        if (backend instanceof CpuBackend) {
            return false;
        }
        String device = backend.name();
        Backend cpu = new CpuBackend();
        try {
            try {
                session.close();
            } finally {
                backend.close(); // gives the device memory back to the other programs on it
            }
        } catch (RuntimeException closing) {
            if (!(e instanceof DeviceUnavailableException)) {
                cpu.close();
                throw closing;
            }
            // a device that has gone may refuse to release what it held; the CPU run does not need it
        }
        backend = cpu;
        session = new Session(model, cpu);
        tileLimit = Integer.MAX_VALUE;
        if (e instanceof DeviceUnavailableException) {
            Warnings.warn(device + " stopped working while running " + model.source() + "; running on the CPU from here on "
                    + "(slower, same results). Cause: " + e.getMessage());
            return true;
        }
        Warnings.warn(model.source() + " does not fit in the memory of " + device + " even with " + tried + "; running on "
                + "the CPU instead (slower, same results). To stay on the device, free memory there (other programs) or raise "
                + "-Dneuralj.opencl.maxMemory if it is set. Cause: " + e.getMessage());
        return true;
    }

    @Override
    public int tileLimit() {
        return tileLimit;
    }

    @Override
    public void limitTiles(int side) {
        tileLimit = Math.min(tileLimit, side);
    }

    @Override
    public void close() {
        try {
            session.close();
        } finally {
            backend.close();
        }
    }
}
