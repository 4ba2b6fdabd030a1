package org.neuralj.backend.cpu;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Large arrays kept for reuse by one {@link CpuBackend}: a filter run over a stack uploads, filters and
 * downloads batch after batch of the same size, and a fresh multi-megabyte {@code float[]} costs more than the
 * filter itself (the JVM zeroes it and the OS maps new pages: ~3 ms for 16 MB on the test machine). Only
 * arrays of tensors whose storage owns them come back here (uploads and the filter ops' outputs). Arrays
 * are matched by exact length; the pool holds at most {@link #capFloats} floats, the oldest going first.
 */
final class CpuBuffers {
    /** Smaller arrays are cheap to allocate and not pooled. */
    static final int MIN_FLOATS = 1 << 16;

    private final long capFloats;
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private long held;

    /** A pool of at most 256 MiB and at most 1/16 of the heap (so a long Fiji session does not hoard memory). */
    CpuBuffers() {
        this(Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 64));
    }

    CpuBuffers(long capFloats) {
        this.capFloats = capFloats;
    }

    /** An array of exactly n floats with unspecified contents. */
    float[] take(int n) {
        if (n >= MIN_FLOATS) {
            synchronized (this) {
                for (Iterator<float[]> it = free.iterator(); it.hasNext(); ) {
                    float[] a = it.next();
                    if (a.length == n) {
                        it.remove();
                        held -= n;
                        return a;
                    }
                }
            }
        }
        return new float[n];
    }

    /** Hands an array back; the caller must not use it afterwards. */
    void give(float[] a) {
        if (a.length < MIN_FLOATS || a.length > capFloats) {
            return;
        }
        synchronized (this) {
            while (held + a.length > capFloats) {
                held -= free.removeFirst().length;
            }
            free.addLast(a);
            held += a.length;
        }
    }

    synchronized void clear() {
        free.clear();
        held = 0;
    }
}
