package org.neuralj.backend.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The worker threads of one {@link CpuBackend} and a small pool of large scratch buffers (the column
 * blocks of transposed convolution; GEMM and im2col rows live in {@link Workspace}). Every op splits its work into independent tasks
 * (output rows, channels, batch entries, column tiles) and hands them to {@link #forEach}.
 */
final class CpuThreads implements AutoCloseable {
    /** Body of a range task: handles indices [from, to). */
    interface RangeBody {
        void run(int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;
    private final ConcurrentLinkedQueue<float[]> scratch = new ConcurrentLinkedQueue<>();

    CpuThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body.accept(i)} for every i in [0, tasks), in parallel; returns when all are done. */
    void forEach(int tasks, IntConsumer body) {
        if (tasks <= 0) {
            return;
        }
        if (pool == null || tasks == 1) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        pool.invoke(new Split(0, tasks, body));
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

    /** A scratch buffer of at least {@code length} floats (contents unspecified); give it back after use. */
    float[] borrow(int length) {
        float[] best = null;
        for (float[] b : scratch) {
            if (b.length >= length && scratch.remove(b)) {
                best = b;
                break;
            }
        }
        return best != null ? best : new float[length];
    }

    void giveBack(float[] buffer) {
        if (scratch.size() < 4 * threads) { // bounded: a long batch must not grow memory
            scratch.add(buffer);
        }
    }

    @Override
    public void close() {
        scratch.clear();
        if (pool != null) {
            pool.shutdown();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Binary splitting so idle workers steal halves (nesting-safe, unlike blocking on futures). */
    private static final class Split extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int lo;
        private final int hi;
        private final IntConsumer body;

        Split(int lo, int hi, IntConsumer body) {
            this.lo = lo;
            this.hi = hi;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (hi - lo == 1) {
                body.accept(lo);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(lo, mid, body), new Split(mid, hi, body));
        }
    }
}
