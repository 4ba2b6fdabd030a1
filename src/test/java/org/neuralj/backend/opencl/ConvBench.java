package org.neuralj.backend.opencl;

import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/**
 * Benchmark (not a test): a 3x3 conv 64->64 on 1x64x256x256 with bias + ReLU, per conv2d kernel.
 * Run: java -cp ... org.neuralj.backend.opencl.ConvBench [size] [reps]
 */
public final class ConvBench {
    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int c = 64, m = 64;
        double gflop = 2.0 * m * c * 9 * size * size / 1e9;
        try (OpenClBackend cl = OpenClBackend.open(0)) {
            ConvSpec s = new ConvSpec(1, 1, 1, 1, 1, 1, 1, 1, 1, size, size, Activation.of(UnaryOp.RELU));
            try (Tensor x = cl.upload(OpenClBackendTest.random(1, c * size * size), 1, c, size, size);
                 Tensor w = cl.upload(OpenClBackendTest.random(2, m * c * 9), m, c, 3, 3);
                 Tensor b = cl.upload(OpenClBackendTest.random(3, m), m)) {
                for (OpenClBackend.ConvKernel k : new OpenClBackend.ConvKernel[] {
                        OpenClBackend.ConvKernel.VEC, OpenClBackend.ConvKernel.TILED}) {
                    cl.setConvKernel(k);
                    cl.conv2d(x, w, b, s).close();
                    cl.finish();
                    long best = Long.MAX_VALUE;
                    for (int r = 0; r < reps; r++) {
                        long t0 = System.nanoTime();
                        cl.conv2d(x, w, b, s).close();
                        cl.finish();
                        best = Math.min(best, System.nanoTime() - t0);
                    }
                    System.out.printf("%s conv 3x3 %d->%d on %dx%d: %.1f ms (%.1f GFLOP/s) on %s%n", k, c, m, size, size,
                            best / 1e6, gflop / (best / 1e9), cl.name());
                }
            }
        }
    }
}
