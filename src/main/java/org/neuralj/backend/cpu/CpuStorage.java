package org.neuralj.backend.cpu;

import org.neuralj.backend.Storage;

/**
 * Host memory behind CPU tensors: a plain {@code float[]}. When the storage owns its array and has a
 * {@link CpuBuffers} home, the array goes back there on free; otherwise (views of caller arrays, op
 * results) the garbage collector takes it.
 */
final class CpuStorage extends Storage {
    private float[] data;
    private final CpuBuffers home;

    CpuStorage(float[] data) {
        this(data, null);
    }

    CpuStorage(float[] data, CpuBuffers home) {
        super(data.length);
        this.data = data;
        this.home = home;
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
        float[] d = data;
        data = null;
        if (home != null && d != null) {
            home.give(d);
        }
    }
}
