package org.neuralj.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.neuralj.io.Npy;

/**
 * Runs an ONNX model in ONNX Runtime (a test-scope dependency) in a CHILD JVM, so the native runtime
 * never shares a process with the tests: {@link #run} writes the input as .npy, starts this class's
 * {@link #main}, and reads the output back. Used to check that models NeuralJ exports are standard ONNX
 * that another engine runs with the same results.
 */
public final class OnnxRuntimeCheck {
    private OnnxRuntimeCheck() {
    }

    /** The model's first output for {@code x} of {@code shape} fed to {@code input}, computed by ONNX Runtime (CPU, 1 thread). */
    public static Npy.Array run(Path model, String input, int[] shape, float[] x, Path work) throws IOException, InterruptedException {
        Path in = work.resolve("ort-in.npy"), out = work.resolve("ort-out.npy"), log = work.resolve("ort-log.txt");
        Files.deleteIfExists(out);
        Npy.write(in, shape, x);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), OnnxRuntimeCheck.class.getName(), model.toString(), input, in.toString(), out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("ONNX Runtime did not finish in 5 minutes on " + model);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("ONNX Runtime failed on " + model + " (exit " + p.exitValue() + "):\n" + Files.readString(log));
        }
        return Npy.read(out);
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Npy.Array x = Npy.read(Path.of(args[2]));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), Arrays.stream(x.shape()).asLongStream().toArray());
                 OrtSession.Result r = s.run(Map.of(args[1], t))) {
                OnnxTensor y = (OnnxTensor) r.get(0);
                FloatBuffer fb = y.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                int[] shape = Arrays.stream(y.getInfo().getShape()).mapToInt(v -> (int) v).toArray();
                Npy.write(Path.of(args[3]), shape, data);
            }
        }
    }
}
