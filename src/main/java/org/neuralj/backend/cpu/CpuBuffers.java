package org.neuralj.backend.cpu;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The arrays of closed tensors, kept by one {@link CpuBackend} for the next tensor of the same length: a network
 * run again and again (tiles, a batch of images, a stack's slices) needs the same sizes every run, and a fresh
 * {@code float[]} costs more than many ops that fill it. The JVM zeroes a new array, and memory the heap has not
 * used yet (a growing young generation takes fresh regions) is mapped in page by page: on the test machine, a
 * virtual machine whose freed pages go back to the host, {@code new float[50176]} took 530 us against 8 us for
 * reused memory, and ResNet-18's residual Adds at 14 x 14 x 256 spent 0.45 ms each on it.
 *
 * <p>Arrays are matched by exact length and held through soft references, so the garbage collector takes them
 * back before the heap runs out. The pool holds at most {@link #capFloats} floats; an array that would go past
 * that is dropped, not an older one: a network's run frees its arrays in the same order every time, and evicting
 * the oldest would evict exactly the arrays the next run asks for first (ResNet-18 at batch 32, whose activations
 * are 400 MB: with the oldest evicted from a 256 MB pool, its first layer got a fresh 103 MB array every run and
 * took 250 ms instead of 40).
 */
final class CpuBuffers {
    /** Smaller arrays (under one 4 KiB page) come cheaply from the thread's allocation buffer: not pooled. */
    static final int MIN_FLOATS = 1 << 10;

    private final long capFloats;
    private final Map<Integer, ArrayDeque<SoftReference<float[]>>> free = new HashMap<>();
    /** Floats in {@link #free}, counting arrays the collector may have taken since. */
    private long held;

    /** A pool of at most a quarter of the heap. */
    CpuBuffers() {
        this(Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);
    }

    CpuBuffers(long capFloats) {
        this.capFloats = capFloats;
    }

    /** An array of exactly n floats with unspecified contents. */
    float[] take(int n) {
        if (n >= MIN_FLOATS) {
            synchronized (this) {
                ArrayDeque<SoftReference<float[]>> same = free.get(n);
                while (same != null && !same.isEmpty()) {
                    float[] a = same.pop().get();
                    held -= n;
                    if (a != null) {
                        return a;
                    }
                }
            }
        }
        return new float[n];
    }

    /** An array of exactly n zeros. */
    float[] takeZeroed(int n) {
        float[] a = take(n);
        java.util.Arrays.fill(a, 0f);
        return a;
    }

    /** Hands an array back; the caller must not use it afterwards. */
    void give(float[] a) {
        if (a.length < MIN_FLOATS || a.length > capFloats) {
            return;
        }
        synchronized (this) {
            if (held + a.length > capFloats) {
                forgetCollected();
                if (held + a.length > capFloats) {
                    return;
                }
            }
            free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(new SoftReference<>(a));
            held += a.length;
        }
    }

    /** Drops the references whose arrays the garbage collector has taken. */
    private void forgetCollected() {
        for (Iterator<Map.Entry<Integer, ArrayDeque<SoftReference<float[]>>>> it = free.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, ArrayDeque<SoftReference<float[]>>> e = it.next();
            int before = e.getValue().size();
            e.getValue().removeIf(r -> r.get() == null);
            held -= (long) (before - e.getValue().size()) * e.getKey();
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    /** Floats held for reuse now, counting arrays the collector may have taken since (for tests). */
    synchronized long held() {
        return held;
    }

    synchronized void clear() {
        free.clear();
        held = 0;
    }
}
