package org.neuralj.backend.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The worker threads of one {@link CpuBackend} and a small pool of large scratch buffers (the column
 * blocks of transposed convolution; GEMM and im2col rows live in {@link Workspace}). Every op splits its work into independent tasks
 * (output rows, channels, batch entries, column tiles) and hands them to {@link #forEach}.
 *
 * <p>The calling thread works on a job's tasks beside {@code threads - 1} workers, each starting on its own
 * contiguous share of them. Between jobs a worker spins for {@link #SPIN_NANOS} before it parks: a network runs one job after
 * another with a few microseconds between them, and waking a parked thread cost 0.1-2.5 ms on the 2-core test
 * machine (measured: a 50k-element ReLU on two threads took 180 us after a 1 ms pause, 30 us when the worker was
 * still spinning), so a ResNet's small layers spent more time waking threads than computing. A job started
 * from inside a task, or while another thread's job runs, runs its tasks inline on the calling thread.
 */
final class CpuThreads implements AutoCloseable {
    /** Body of a range task: handles indices [from, to). */
    interface RangeBody {
        void run(int from, int to);
    }

    /** How long an idle worker spins for the next job before it parks. */
    static final long SPIN_NANOS = Long.getLong("neuralj.cpu.spinMicros", 1000) * 1000;

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock jobLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<float[]> scratch = new ConcurrentLinkedQueue<>();
    /**
     * The job the workers take tasks from while it runs, null between jobs: nothing keeps a finished job's body, and
     * the arrays it captured, alive.
     */
    private volatile Job job;
    /** Numbers the jobs, so a worker knows one it has already worked on. */
    private long jobs;
    private volatile boolean closed;
    /** True on a thread while it runs a task: a nested job then runs inline. */
    private static final ThreadLocal<boolean[]> IN_TASK = ThreadLocal.withInitial(() -> new boolean[1]);

    CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body.accept(i)} for every i in [0, tasks), in parallel; returns when all are done. */
    void forEach(int tasks, IntConsumer body) {
        if (tasks <= 0) {
            return;
        }
        boolean[] inTask = IN_TASK.get();
        if (workers.length == 0 || tasks == 1 || inTask[0] || closed || !jobLock.tryLock()) {
            runInline(tasks, body, inTask);
            return;
        }
        try {
            Job j = new Job(++jobs, tasks, Math.min(tasks, threads), body);
            job = j;
            for (Worker w : workers) {
                LockSupport.unpark(w); // a no-op for a spinning worker
            }
            j.work(0, inTask);
            j.awaitDone();
            job = null;
            Throwable t = j.failure;
            if (t instanceof RuntimeException e) {
                throw e;
            } else if (t instanceof Error e) {
                throw e;
            } else if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            jobLock.unlock();
        }
    }

    private static void runInline(int tasks, IntConsumer body, boolean[] inTask) {
        boolean outer = inTask[0];
        inTask[0] = true;
        try {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
        } finally {
            inTask[0] = outer;
        }
    }

    /**
     * Splits [0, n) into contiguous chunks of at least {@code grain} indices (about 4 per thread, for
     * balance) and runs them in parallel.
     */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunks = (int) Math.min((long) threads * 4, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        forEach(chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
    }

    /**
     * A scratch buffer of at least {@code length} floats (contents unspecified; it may be longer); give it back after
     * use. The shortest that fits, so a small need does not take the one a large need would reuse (and the large
     * need a fresh array).
     */
    float[] borrow(int length) {
        while (true) {
            float[] best = null;
            for (float[] b : scratch) {
                if (b.length >= length && (best == null || b.length < best.length)) {
                    best = b;
                }
            }
            if (best == null) {
                return new float[length];
            }
            if (scratch.remove(best)) {
                return best;
            }                                  // another thread took it first: look again
        }
    }

    void giveBack(float[] buffer) {
        if (scratch.size() < 4 * threads) { // bounded: a long batch must not grow memory
            scratch.add(buffer);
        }
    }

    /** Whether a worker thread is still running (for tests: close must stop them all). */
    boolean anyWorkerAlive() {
        for (Worker w : workers) {
            if (w.isAlive()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        scratch.clear();
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
        for (Worker w : workers) {
            try {
                w.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * One forEach: the tasks cut into one contiguous range per participant (the caller first, then each worker), so
     * neighbouring tasks, which often read neighbouring data (a convolution's output rows share input rows), run on
     * one core. A participant done with its range takes what is left of the others'. Done when every task has
     * finished. (Handed out one by one from a single counter, neighbours landed on different cores: 64 -> 32
     * channels at 256^2 ran 1.25x slower.)
     */
    private static final class Job {
        /** Ints between two ranges' counters: each counter on its own cache line. */
        private static final int PAD = 16;
        final long number;
        final int tasks;
        final int ranges;
        final IntConsumer body;
        final AtomicIntegerArray next;
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(long number, int tasks, int ranges, IntConsumer body) {
            this.number = number;
            this.tasks = tasks;
            this.ranges = ranges;
            this.body = body;
            this.next = new AtomicIntegerArray(ranges * PAD);
            for (int r = 0; r < ranges; r++) {
                next.set(r * PAD, start(r));
            }
        }

        private int start(int range) {
            return (int) ((long) tasks * range / ranges);
        }

        /** Takes the tasks of range {@code own}, then those left in the others. */
        void work(int own, boolean[] inTask) {
            inTask[0] = true;
            try {
                for (int k = 0; k < ranges; k++) {
                    int r = (own + k) % ranges;
                    int end = start(r + 1);
                    for (int i; (i = next.getAndIncrement(r * PAD)) < end; ) {
                        try {
                            if (failure == null) {
                                body.accept(i);
                            }
                        } catch (Throwable t) {
                            if (failure == null) {
                                failure = t;
                            }
                        } finally {
                            finished.incrementAndGet();
                        }
                    }
                }
            } finally {
                inTask[0] = false;
            }
        }

        /** The caller's wait for the workers' last tasks: short, as every task is already taken. */
        void awaitDone() {
            while (finished.get() < tasks) {
                Thread.onSpinWait();
            }
        }
    }

    private final class Worker extends Thread {
        private final int index;

        Worker(int index) {
            super("neuralj-cpu-" + index);
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            boolean[] inTask = IN_TASK.get();
            long done = 0; // the number of the last job this worker took part in
            while (!closed) {
                Job j = job;
                if (j != null && j.number != done) {
                    j.work(index % j.ranges, inTask);
                    done = j.number;
                    continue;
                }
                // spin a while for the next job, then park until forEach or close unparks this thread
                long until = System.nanoTime() + SPIN_NANOS;
                while (idle(done) && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                if (idle(done)) {
                    LockSupport.park(this);
                }
            }
        }

        private boolean idle(long done) {
            Job j = job;
            return (j == null || j.number == done) && !closed;
        }
    }
}
