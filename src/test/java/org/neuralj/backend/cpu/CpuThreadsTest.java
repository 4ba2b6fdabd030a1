package org.neuralj.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The backend's own thread pool: every task once, failures passed on, nested and concurrent jobs safe. */
class CpuThreadsTest {

    @Test
    void everyTaskRunsExactlyOnceWhateverTheJobSize() {
        try (CpuThreads threads = new CpuThreads(3)) {
            for (int tasks : new int[] {1, 2, 3, 7, 64, 1000}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                for (int rep = 0; rep < 20; rep++) {
                    threads.forEach(tasks, runs::incrementAndGet);
                }
                for (int i = 0; i < tasks; i++) {
                    assertEquals(20, runs.get(i), tasks + " tasks, task " + i);
                }
            }
        }
    }

    @Test
    void aFailingTaskFailsTheJobAndThePoolStaysUsable() {
        try (CpuThreads threads = new CpuThreads(2)) {
            IllegalStateException boom = new IllegalStateException("task 5");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.forEach(10, i -> {
                if (i == 5) {
                    throw boom;
                }
            }));
            assertSame(boom, e);
            AtomicIntegerArray runs = new AtomicIntegerArray(10);
            threads.forEach(10, runs::incrementAndGet);
            for (int i = 0; i < 10; i++) {
                assertEquals(1, runs.get(i));
            }
        }
    }

    @Test
    void aJobStartedInsideATaskRunsInline() {
        try (CpuThreads threads = new CpuThreads(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8 * 8);
            threads.forEach(8, i -> threads.forRange(8, 1, (from, to) -> {
                for (int j = from; j < to; j++) {
                    runs.incrementAndGet(i * 8 + j);
                }
            }));
            for (int i = 0; i < 64; i++) {
                assertEquals(1, runs.get(i));
            }
        }
    }

    @Test
    void jobsFromTwoThreadsAtOnceBothComplete() throws Exception {
        try (CpuThreads threads = new CpuThreads(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(2 * 500);
            Thread[] callers = new Thread[2];
            for (int c = 0; c < 2; c++) {
                int caller = c;
                callers[c] = new Thread(() -> {
                    for (int rep = 0; rep < 200; rep++) {
                        threads.forEach(500, i -> runs.incrementAndGet(caller * 500 + i));
                    }
                });
                callers[c].start();
            }
            for (Thread t : callers) {
                t.join(60_000);
                assertTrue(!t.isAlive(), "a caller is stuck");
            }
            for (int i = 0; i < 1000; i++) {
                assertEquals(200, runs.get(i), "task " + i);
            }
        }
    }

    @Test
    void closingStopsTheWorkersAndLaterJobsRunInline() {
        CpuThreads threads = new CpuThreads(3);
        threads.forEach(10, i -> { });
        assertTrue(threads.anyWorkerAlive());
        threads.close();
        assertTrue(!threads.anyWorkerAlive(), "workers left running after close");
        AtomicIntegerArray runs = new AtomicIntegerArray(4);
        threads.forEach(4, runs::incrementAndGet);
        for (int i = 0; i < 4; i++) {
            assertEquals(1, runs.get(i));
        }
    }
}
