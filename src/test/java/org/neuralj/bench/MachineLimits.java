package org.neuralj.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's own limits, measured in the benchmark's process: FP32 FMA peak with the Vector API
 * (12 independent accumulator chains of the widest vector, enough to hide FMA latency) on one thread
 * and on every benchmark thread, and memory bandwidth with a STREAM-style triad a[i] = b[i] + s*c[i]
 * over arrays far larger than the caches. Best of several runs (the limit, not a typical run).
 */
final class MachineLimits {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    final double peakOneThread;     // GFLOP/s
    final double peakAllThreads;    // GFLOP/s
    final double triadGBs;          // GB/s, all threads, 3 arrays x 4 bytes per element counted
    final int threads;

    private MachineLimits(double p1, double pn, double triad, int threads) {
        this.peakOneThread = p1;
        this.peakAllThreads = pn;
        this.triadGBs = triad;
        this.threads = threads;
    }

    static MachineLimits measure(int threads) throws InterruptedException {
        double p1 = 0;
        double pn = 0;
        for (int r = 0; r < 5; r++) {
            p1 = Math.max(p1, peak(1));
            pn = Math.max(pn, peak(threads));
        }
        return new MachineLimits(p1, pn, triad(threads), threads);
    }

    static String vectorBits() {
        return S.vectorBitSize() + "-bit (" + S.length() + " floats)";
    }

    private static volatile float sink;

    private static double peak(int threads) throws InterruptedException {
        final long iters = 20_000_000L;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(new Thread(() -> sink += fmaChains(iters)));
        }
        long t0 = System.nanoTime();
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        return threads * iters * 12.0 * S.length() * 2 / s / 1e9;
    }

    private static float fmaChains(long iters) {
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0.add(1e-7f), a2 = a0.add(2e-7f), a3 = a0.add(3e-7f);
        FloatVector a4 = a0.add(4e-7f), a5 = a0.add(5e-7f), a6 = a0.add(6e-7f), a7 = a0.add(7e-7f);
        FloatVector a8 = a0.add(8e-7f), a9 = a0.add(9e-7f), a10 = a0.add(1e-6f), a11 = a0.add(1.1e-6f);
        FloatVector m = FloatVector.broadcast(S, 0.9999999f);
        FloatVector d = FloatVector.broadcast(S, 1e-8f);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(m, d);
            a1 = a1.fma(m, d);
            a2 = a2.fma(m, d);
            a3 = a3.fma(m, d);
            a4 = a4.fma(m, d);
            a5 = a5.fma(m, d);
            a6 = a6.fma(m, d);
            a7 = a7.fma(m, d);
            a8 = a8.fma(m, d);
            a9 = a9.fma(m, d);
            a10 = a10.fma(m, d);
            a11 = a11.fma(m, d);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** STREAM triad over 3 x 32M floats (384 MiB), split across threads; best of 5. */
    private static double triad(int threads) throws InterruptedException {
        final int n = 32 << 20;
        final float[] a = new float[n];
        final float[] b = new float[n];
        final float[] c = new float[n];
        java.util.Arrays.fill(b, 1f);
        java.util.Arrays.fill(c, 2f);
        double best = 0;
        for (int r = 0; r < 6; r++) {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int lo = (int) ((long) n * t / threads);
                final int hi = (int) ((long) n * (t + 1) / threads);
                ts.add(new Thread(() -> {
                    for (int i = lo; i < hi; i++) {
                        a[i] = b[i] + 0.5f * c[i];
                    }
                }));
            }
            long t0 = System.nanoTime();
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            if (r > 0) {
                best = Math.max(best, 3.0 * 4 * n / s / 1e9);
            }
        }
        sink += a[n / 2];
        return best;
    }

    /** "model name" from /proc/cpuinfo, or os.arch when that is not there. */
    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
