package org.neuralj.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * How a backend's run time depends on the idle pause before it: a model run RUNS times after each of several pauses
 * (0, 5, 20, 100 ms), twice over, medians printed. The benchmark times engines in turns 100 ms apart; this shows
 * what that pause costs each backend on its own, and what it costs when the calling thread spins through it instead of
 * sleeping (the cores never idle) (session 15, ResNet-18 b1 on the 2-core test machine: PoCL 19 ms
 * after pauses up to 20 ms, 30 ms after 100 ms; the CPU backend 12 ms, 16 ms after 100 ms).
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:JARS org.neuralj.bench.IdleGap \
 *       MODEL.onnx X.npy INPUT_NAME BACKEND [RUNS]
 * </pre>
 * (with LD_PRELOAD set to the JDK's libjsig.so for an OpenCL backend, as bin/neuralj does).
 */
public final class IdleGap {
    private IdleGap() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: IdleGap MODEL.onnx X.npy INPUT_NAME BACKEND [RUNS]");
            System.exit(2);
        }
        Model model = Model.load(Path.of(args[0]));
        Npy.Array x = Npy.read(Path.of(args[1]));
        Map<String, HostTensor> inputs = Map.of(args[2], new HostTensor(x.shape(), x.data()));
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        try (Backend backend = Backends.select(args[3]); Session session = new Session(model, backend)) {
            for (int i = 0; i < 50; i++) {
                session.runOnHost(inputs);                  // warm-up: kernels compiled, weights uploaded, JIT
            }
            for (int round = 0; round < 2; round++) {
                // -100: a 100 ms pause spent spinning on the calling thread, so that one core never idles
                for (int pause : new int[] {0, 5, 20, 100, -100}) {
                    double[] ms = new double[runs];
                    for (int i = 0; i < runs; i++) {
                        if (pause > 0) {
                            Thread.sleep(pause);
                        } else if (pause < 0) {
                            for (long end = System.nanoTime() - pause * 1_000_000L; System.nanoTime() < end; ) {
                                Thread.onSpinWait();
                            }
                        }
                        long t0 = System.nanoTime();
                        session.runOnHost(inputs);
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    System.out.printf("%s, pause %3d ms%s: median %.2f ms (min %.2f)%n", backend.name(), Math.abs(pause),
                            pause < 0 ? " spinning" : "", ms[runs / 2], ms[0]);
                }
            }
        }
    }
}
