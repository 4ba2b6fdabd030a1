package org.neuralj.nn;

import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;

/**
 * One prepared node: its output metadata (from the op's shape rule) and the kernel call that makes
 * the outputs from the inputs. Inputs are in node order; an absent optional input is null.
 */
public record Step(List<Meta> outputs, Kernel kernel) {

    /** The device work of a step. Returns new tensors (or views) the caller owns; never closes inputs. */
    @FunctionalInterface
    public interface Kernel {
        List<Tensor> run(Backend backend, List<Tensor> inputs);
    }

    public static Step of(Meta output, Kernel kernel) {
        return new Step(List.of(output), kernel);
    }

    /** A step whose outputs are all known constants: nothing runs on the device. */
    public static Step constant(List<Meta> outputs) {
        return new Step(outputs, null);
    }
}
