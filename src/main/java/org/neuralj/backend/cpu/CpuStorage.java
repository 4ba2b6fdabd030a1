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
    /** One form derived from the data, with what it was made for (see {@link #derived}). */
    private volatile Derived derived;

    private record Derived(Object key, Object value) {
    }

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

    /**
     * A form derived from the data (convolution weights packed for the GEMM), made once and kept while the
     * storage lives: a tensor's data never changes after it is made (ops never write their inputs, views may
     * not change while open, and training replaces its parameter tensors). One form is kept; another key
     * replaces it. Racing callers may both make it: the same value either way.
     */
    @SuppressWarnings("unchecked")
    <T> T derived(Object key, java.util.function.Supplier<T> make) {
        Derived d = derived;
        if (d != null && d.key().equals(key)) {
            return (T) d.value();
        }
        T value = make.get();
        derived = new Derived(key, value);
        return value;
    }

    @Override
    protected void free() {
        derived = null;
        float[] d = data;
        data = null;
        if (home != null && d != null) {
            home.give(d);
        }
    }
}
