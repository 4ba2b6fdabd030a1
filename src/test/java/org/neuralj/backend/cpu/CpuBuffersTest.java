package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's array pool (closed tensors' arrays for the next tensor of the same length) and the threads'
 * scratch arrays: what is reused, what is not, and the cap.
 */
class CpuBuffersTest {

    @Test
    void anArrayGivenBackIsTheNextOfItsLengthAndSmallOnesAreNotKept() {
        CpuBuffers pool = new CpuBuffers(1 << 20);
        float[] a = pool.take(5000);
        assertEquals(5000, a.length);
        pool.give(a);
        assertNotSame(a, pool.take(5001), "exact lengths only");
        assertSame(a, pool.take(5000));
        float[] small = new float[CpuBuffers.MIN_FLOATS - 1];
        pool.give(small);
        assertEquals(0, pool.held());
        assertNotSame(small, pool.take(small.length));
    }

    @Test
    void takeZeroedClearsARecycledArray() {
        CpuBuffers pool = new CpuBuffers(1 << 20);
        float[] a = pool.take(2048);
        Arrays.fill(a, Float.NaN);
        pool.give(a);
        float[] z = pool.takeZeroed(2048);
        assertSame(a, z);
        assertEquals(0f, z[0]);
        assertEquals(0f, z[2047]);
    }

    @Test
    void pastTheCapTheIncomingArrayIsDroppedNotTheOldest() {
        // a network frees its arrays in the same order every run: keeping the first ones kept means the next run's
        // first layers find theirs (evicting the oldest would evict exactly those)
        CpuBuffers pool = new CpuBuffers(3000);
        float[] first = new float[2000];
        float[] second = new float[1500];
        pool.give(first);
        pool.give(second);
        assertEquals(2000, pool.held());
        assertNotSame(second, pool.take(1500));
        assertSame(first, pool.take(2000));
        assertEquals(0, pool.held());
    }

    @Test
    void borrowHandsOutTheShortestScratchArrayThatFits() {
        try (CpuThreads threads = new CpuThreads(1)) {
            float[] big = new float[1 << 20];
            float[] small = new float[1000];
            threads.giveBack(big);
            threads.giveBack(small);
            assertSame(small, threads.borrow(900), "a small need must not take the array a large one reuses");
            assertSame(big, threads.borrow(5000));
            assertEquals(800, threads.borrow(800).length, "nothing left: a new array");
        }
    }
}
