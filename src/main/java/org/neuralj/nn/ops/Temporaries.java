package org.neuralj.nn.ops;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Tensor;

/**
 * The intermediate tensors of an op built from several backend calls: each is registered as it is
 * made and all are closed together, whether the op finishes or throws.
 */
final class Temporaries implements AutoCloseable {
    private final List<Tensor> tensors = new ArrayList<>();

    /** Registers {@code t} to be closed with the others; returns it. */
    Tensor keep(Tensor t) {
        tensors.add(t);
        return t;
    }

    @Override
    public void close() {
        tensors.forEach(Tensor::close);
        tensors.clear();
    }
}
