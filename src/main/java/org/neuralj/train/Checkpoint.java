package org.neuralj.train;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Tensor;
import org.neuralj.io.AtomicFiles;
import org.neuralj.onnx.ModelFormatException;

/**
 * Saves and restores a training run: every parameter and buffer (by name), the optimiser's step
 * count and state slots, and named counters of the caller (epoch, data position, seed...). Restoring
 * into a network built the same way and an optimiser made with the same settings makes the next step
 * exactly the one the saved run would have taken (on the same backend).
 *
 * <p>Format (big-endian, {@link DataOutputStream}): the magic {@code NJCKPT1}, then the counters
 * (int count, then UTF name and long value each), the optimiser step (long), then tensors (int count,
 * then UTF name, int rank, int dims..., float data...): parameters as {@code param:<name>}, optimiser
 * slots as {@code opt:<parameter>/<slot>}. Written with {@link AtomicFiles}: a killed run or a full
 * disk leaves the previous checkpoint as it was.
 */
public final class Checkpoint {
    private static final String MAGIC = "NJCKPT1";

    private Checkpoint() {
    }

    public static void save(Path file, List<Parameter> parameters, Optimizer optimizer, Map<String, Long> counters) {
        AtomicFiles.write(file, os -> {
            DataOutputStream out = new DataOutputStream(os);
            out.writeUTF(MAGIC);
            out.writeInt(counters.size());
            for (Map.Entry<String, Long> e : counters.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeLong(optimizer == null ? 0 : optimizer.steps());
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Parameter p : parameters) {
                tensors.put("param:" + p.name(), p.value());
            }
            if (optimizer != null) {
                optimizer.stateTensors().forEach((k, t) -> tensors.put("opt:" + k, t));
            }
            out.writeInt(tensors.size());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                out.writeUTF(e.getKey());
                out.writeInt(t.rank());
                for (int d : t.shape()) {
                    out.writeInt(d);
                }
                for (float v : t.backend().download(t)) {
                    out.writeFloat(v);
                }
            }
            out.flush();
        });
    }

    /**
     * Loads a checkpoint into the parameters (every one must be present with its shape) and the
     * optimiser (may be null); returns the saved counters.
     */
    public static Map<String, Long> load(Path file, List<Parameter> parameters, Optimizer optimizer) {
        Map<String, Long> counters = new LinkedHashMap<>();
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        long steps;
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            String magic = in.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new ModelFormatException(file + ": not a NeuralJ checkpoint (magic '" + magic + "')");
            }
            int nc = in.readInt();
            for (int i = 0; i < nc; i++) {
                counters.put(in.readUTF(), in.readLong());
            }
            steps = in.readLong();
            int nt = in.readInt();
            for (int i = 0; i < nt; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                if (rank < 0 || rank > Tensor.MAX_RANK) {
                    throw new ModelFormatException(file + ": tensor '" + name + "' has rank " + rank);
                }
                int[] shape = new int[rank];
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.readInt();
                }
                float[] v = new float[Tensor.elementCount(shape)];
                for (int j = 0; j < v.length; j++) {
                    v[j] = in.readFloat();
                }
                data.put(name, v);
                shapes.put(name, shape);
            }
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read the checkpoint: " + e.getMessage(), e);
        }
        for (Parameter p : parameters) {
            String key = "param:" + p.name();
            if (!data.containsKey(key)) {
                throw new ModelFormatException(file + ": has no parameter '" + p.name() + "'");
            }
            if (!Arrays.equals(shapes.get(key), p.shape())) {
                throw new ModelFormatException(file + ": parameter '" + p.name() + "' has shape "
                        + Arrays.toString(shapes.get(key)) + ", the network expects " + Arrays.toString(p.shape()));
            }
            p.load(data.get(key));
        }
        if (optimizer != null) {
            Map<String, float[]> slots = new LinkedHashMap<>();
            data.forEach((k, v) -> {
                if (k.startsWith("opt:")) {
                    slots.put(k.substring(4), v);
                }
            });
            optimizer.restore(steps, slots);
        }
        return counters;
    }
}
