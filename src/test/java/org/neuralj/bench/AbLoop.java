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
 * </pre>
 * Prints the median and minimum of RUNS timed runs after warm-up.
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
                Map<String, HostTensor> in = Map.of("input", new HostTensor(new int[] {batch, 3, 224, 224}, ModelBench.gaussian(r, batch * 3 * 224 * 224)));
                once = () -> s.runOnHost(in);
                open = new AutoCloseable[] {s};
            } else if (args[0].equals("conv")) {
                int[] l = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
                int n = l[0], c = l[1], h = l[2], w = l[3], m = l[4], k = l[5], stride = l[6];
                int pad = k / 2, oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
                Tensor x = b.upload(ModelBench.gaussian(r, n * c * h * w), new int[] {n, c, h, w});
                Tensor wt = b.upload(ModelBench.gaussian(r, m * c * k * k), new int[] {m, c, k, k});
                Tensor bias = b.upload(ModelBench.gaussian(r, m), new int[] {m});
                ConvSpec spec = new ConvSpec(stride, stride, pad, pad, pad, pad, 1, 1, 1, oh, ow, Activation.of(UnaryOp.RELU));
                once = () -> {
                    try (Tensor y = b.conv2d(x, wt, bias, spec)) {
                        b.finish();
                    }
                };
                open = new AutoCloseable[] {x, wt, bias};
            } else {
                throw new IllegalArgumentException("resnet18 or conv, not " + args[0]);
            }
            for (int i = 0; i < 50; i++) { // HotSpot compiles the small layers' paths late
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
}
