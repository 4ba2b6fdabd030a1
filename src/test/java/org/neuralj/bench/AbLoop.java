package org.neuralj.bench;

import java.util.Arrays;
import java.util.Map;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * A timing loop for comparing two builds of the CPU backend in alternating runs (the machine is too noisy
 * for anything else): run it once with each build's classes on the class path, in turns, several rounds.
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp target/test-classes:CLASSES:JARS org.neuralj.bench.AbLoop resnet18 BATCH RUNS [THREADS]
 *   java ... org.neuralj.bench.AbLoop conv N,C,H,W,M,K,STRIDE RUNS [THREADS]   (K x K, padding K/2, bias + ReLU, tensors resident)
 *   java ... org.neuralj.bench.AbLoop conv-polluted N,C,H,W,M,K,STRIDE RUNS [THREADS]
 * </pre>
 * Prints the median and minimum of RUNS timed runs after warm-up. {@code conv-polluted} first runs seven other
 * convolutions (ResNet and U-Net shapes, no bias) 200 times each, as a model does, so the JIT compiles the GEMM under
 * a mixed profile, then times the layer after only 20 warm-up runs: session 9 saw the 16-channel 3x3 layer at 512²
 * take 4.3-6.9 ms alone and 5.6-10 ms after that, and 76-95 ms in 1 of 4 runs here (in 5 of 8 runs of a similar
 * loop), where sampling (JFR) showed the micro-kernel's vector operations running un-intrinsified
 * (FloatVector.tOpTemplate, ldOp, stOp). Session 10 traced such runs to C2 failing, in some processes, to intrinsify
 * the micro-kernel's stores after its branch-guarded ReLU (now a branch-free maximum; see VectorSgemm.micro).
 */
public final class AbLoop {
    private AbLoop() {
    }

    public static void main(String[] args) {
        int runs = Integer.parseInt(args[2]);
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        java.util.Random r = new java.util.Random(3);
        double[] t = new double[runs];
        try (CpuBackend b = new CpuBackend(threads)) {
            Runnable once;
            AutoCloseable[] open;
            if (args[0].equals("resnet18")) {
                int batch = Integer.parseInt(args[1]);
                Session s = new Session(Model.fromOnnx(Zoo.resnet18(224), "resnet18"), b);
                Map<String, HostTensor> in = Map.of("input", new HostTensor(new int[] {batch, 3, 224, 224}, BenchCases.gaussian(r, batch * 3 * 224 * 224)));
                once = () -> s.runOnHost(in);
                open = new AutoCloseable[] {s};
            } else if (args[0].equals("conv") || args[0].equals("conv-polluted")) {
                if (args[0].equals("conv-polluted")) {
                    pollute(b, r);
                }
                int[] l = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
                int n = l[0], c = l[1], h = l[2], w = l[3], m = l[4], k = l[5], stride = l[6];
                int pad = k / 2, oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
                Tensor x = b.upload(BenchCases.gaussian(r, n * c * h * w), new int[] {n, c, h, w});
                Tensor wt = b.upload(BenchCases.gaussian(r, m * c * k * k), new int[] {m, c, k, k});
                Tensor bias = b.upload(BenchCases.gaussian(r, m), new int[] {m});
                ConvSpec spec = new ConvSpec(stride, stride, pad, pad, pad, pad, 1, 1, 1, oh, ow, Activation.of(UnaryOp.RELU));
                once = () -> {
                    try (Tensor y = b.conv2d(x, wt, bias, spec)) {
                        b.finish();
                    }
                };
                open = new AutoCloseable[] {x, wt, bias};
            } else {
                throw new IllegalArgumentException("resnet18, conv or conv-polluted, not " + args[0]);
            }
            // HotSpot compiles the small layers' paths late; after the pollution, as few runs as a model's first minute gives a layer
            int warmUp = args[0].equals("conv-polluted") ? 20 : 50;
            for (int i = 0; i < warmUp; i++) {
                once.run();
            }
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                once.run();
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
            for (AutoCloseable c : open) {
                c.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Arrays.sort(t);
        System.out.printf("%s %s, %d threads: median %.2f ms, min %.2f ms (%d runs)%n", args[0], args[1], threads, t[runs / 2], t[0], runs);
    }

    /** Seven other convolutions (N, C, H, W, M, K, stride), 200 runs each. */
    private static void pollute(CpuBackend b, java.util.Random r) {
        int[][] others = {{1, 3, 224, 224, 64, 7, 2}, {1, 64, 56, 56, 64, 3, 1}, {1, 512, 7, 7, 512, 3, 1}, {1, 64, 56, 56, 256, 1, 1},
                {1, 128, 28, 28, 256, 3, 2}, {1, 16, 512, 512, 1, 1, 1}, {1, 1, 512, 512, 16, 3, 1}};
        for (int[] o : others) {
            int pad = o[5] / 2, oh = (o[2] + 2 * pad - o[5]) / o[6] + 1, ow = (o[3] + 2 * pad - o[5]) / o[6] + 1;
            try (Tensor x = b.upload(BenchCases.gaussian(r, o[0] * o[1] * o[2] * o[3]), new int[] {o[0], o[1], o[2], o[3]});
                 Tensor w = b.upload(BenchCases.gaussian(r, o[4] * o[1] * o[5] * o[5]), new int[] {o[4], o[1], o[5], o[5]})) {
                ConvSpec spec = new ConvSpec(o[6], o[6], pad, pad, pad, pad, 1, 1, 1, oh, ow, Activation.NONE);
                for (int i = 0; i < 200; i++) {
                    try (Tensor y = b.conv2d(x, w, null, spec)) {
                        b.finish();
                    }
                }
            }
        }
    }
}
