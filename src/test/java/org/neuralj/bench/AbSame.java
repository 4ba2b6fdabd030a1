package org.neuralj.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * Two builds of NeuralJ in one process, each in its own class loader, running one model on the CPU backend run by run
 * in turns, so both see the same load from elsewhere on the machine (separate processes, as {@link AbLoop} runs them,
 * see it minutes apart). Prints both medians and the median of the paired ratios new / old.
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:JARS org.neuralj.bench.AbSame \
 *       OLD_CLASSES NEW_CLASSES ROUNDS MODEL INPUT_NAME SHAPE      (MODEL: an .onnx file, or resnet18)
 * </pre>
 * Which build is loaded first matters by itself: with the same build twice the second ran 8 % slower (session 11,
 * ResNet-18 at batch 1), and in another process pair the second was 10 % faster whichever build it was. So run it twice
 * with the builds swapped: the geometric mean of ratio(old, new) and 1 / ratio(new, old) cancels the position.
 */
public final class AbSame {
    private AbSame() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[2]);
        Runnable[] builds = new Runnable[2];
        for (int i = 0; i < 2; i++) {
            ClassLoader loader = new URLClassLoader(classPath(Path.of(args[i])), ClassLoader.getPlatformClassLoader());
            builds[i] = (Runnable) loader.loadClass(AbSame.class.getName())
                    .getMethod("runner", String.class, String.class, String.class).invoke(null, args[3], args[4], args[5]);
        }
        for (Runnable b : builds) { // HotSpot compiles the small layers' paths late
            long end = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end) {
                b.run();
            }
        }
        double[][] ms = new double[2][rounds];
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int i = (r + k) % 2;
                Thread.sleep(3); // the other build's workers stop spinning after 1 ms
                long t0 = System.nanoTime();
                builds[i].run();
                ms[i][r] = (System.nanoTime() - t0) / 1e6;
            }
            ratio[r] = ms[1][r] / ms[0][r];
        }
        for (double[] m : ms) {
            Arrays.sort(m);
        }
        Arrays.sort(ratio);
        System.out.printf("first (%s): median %.2f ms | second (%s): median %.2f ms | second / first, paired: median %.3f (quartiles %.3f, %.3f)%n",
                args[0], ms[0][rounds / 2], args[1], ms[1][rounds / 2], ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4]);
    }

    /** The build's classes, then this process's test classes and jars (not its main classes). */
    private static URL[] classPath(Path build) throws Exception {
        List<URL> urls = new ArrayList<>(List.of(build.toUri().toURL()));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (entry.endsWith(".jar") || entry.endsWith("test-classes") || entry.endsWith("test-classes/")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        return urls.toArray(new URL[0]);
    }

    /** Called in each build's class loader: one run of the model on a fresh 2-thread CPU backend, as a Runnable. */
    public static Runnable runner(String model, String input, String shape) throws Exception {
        CpuBackend backend = new CpuBackend(2);
        Model m = model.equals("resnet18") ? Model.fromOnnx(Zoo.resnet18(224), "resnet18") : Model.load(Path.of(model));
        Session session = new Session(m, backend);
        int[] dims = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        Map<String, HostTensor> in = Map.of(input, new HostTensor(dims, BenchCases.gaussian(new Random(3), Arrays.stream(dims).reduce(1, (a, b) -> a * b))));
        return () -> session.runOnHost(in);
    }
}
