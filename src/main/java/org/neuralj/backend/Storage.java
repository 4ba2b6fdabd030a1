package org.neuralj.backend;

/**
 * The memory behind one or more {@link Tensor}s (views share it). Reference counted: the last
 * {@link #release()} hands the memory back to its backend (a pool or the driver).
 */
public abstract class Storage {
    private final int length;
    private int references = 1;

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
            free();
        }
    }

    /** Gives the memory back; called exactly once, when the last tensor on it closes. */
    protected abstract void free();
}
