package org.neuralj.backend;

/**
 * The memory behind one or more {@link Tensor}s (views share it). Reference counted: the last
 * {@link #release()} hands the memory back to its backend (a pool or the driver).
 */
public abstract class Storage {
    private final int length;
    private int references = 1;
    /** One form derived from the data, with what it was made for (see {@link #derived}). */
    private volatile Derived derived;

    private record Derived(Object key, Object value) {
    }

    protected Storage(int length) {
        this.length = length;
    }

    /** Number of float elements this storage holds. */
    public final int length() {
        return length;
    }

    public final synchronized boolean isReleased() {
        return references <= 0;
    }

    final synchronized void retain() {
        if (references <= 0) {
            throw new IllegalStateException("tensor storage used after it was closed");
        }
        references++;
    }

    final synchronized void release() {
        if (references <= 0) {
            return; // closing twice is harmless
        }
        if (--references == 0) {
            Derived d = derived;
            derived = null;
            close(d); // a derived device tensor goes with the memory it was made from
            free();
        }
    }

    /**
     * A form derived from the data (convolution weights packed for a GEMM or a kernel), made once and kept while
     * the storage lives (closed with it when it is {@link AutoCloseable}): a tensor's data never changes after it
     * is made (ops never write their inputs, views may not change while open, and training replaces its parameter
     * tensors). One form is kept; another key replaces it. Racing callers may both make it: the same value
     * either way.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Object key, java.util.function.Supplier<T> make) {
        Derived d = derived;
        if (d != null && d.key().equals(key)) {
            return (T) d.value();
        }
        T value = make.get();
        derived = new Derived(key, value);
        close(d);
        return value;
    }

    /** Closes a derived form that holds resources (a device tensor); others are left to the garbage collector. */
    private static void close(Derived d) {
        if (d != null && d.value() instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not free a form derived from tensor storage", e);
            }
        }
    }

    /** Gives the memory back; called exactly once, when the last tensor on it closes. */
    protected abstract void free();
}
