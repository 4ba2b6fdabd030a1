package org.neuralj.backend.cpu;

import org.neuralj.backend.Storage;

/** Host memory behind CPU tensors: a plain {@code float[]} the garbage collector owns. */
final class CpuStorage extends Storage {
    private float[] data;

    CpuStorage(float[] data) {
        super(data.length);
        this.data = data;
    }

    /** The elements; row-major, starting at index 0. */
    float[] data() {
        float[] d = data;
        if (d == null) {
            throw new IllegalStateException("CPU tensor storage used after it was freed");
        }
        return d;
    }

    @Override
    protected void free() {
        data = null; // the GC takes it from here
    }
}
