package org.neuralj.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neuralj.io.Npy;

/**
 * Where ONNX Runtime spends a model's time, node by node, to set beside NeuralJ's {@code neuralj run --profile}:
 * ONNX Runtime's own profiler (its JSON, one event per line) over RUNS runs after WARM untimed ones, with the same
 * 2 threads (or THREADS) as the benchmark; prints each node's mean milliseconds, op and output shape, largest first.
 * <pre>
 *   java -cp target/test-classes:target/classes:JARS org.neuralj.bench.OrtProfile MODEL.onnx X.npy INPUT_NAME [WARM RUNS THREADS]
 * </pre>
 * Session 15, ResNet-18 at batch 1: the 3 x 3 convolutions 0.58-0.77 ms each (in NCHWc blocks), the 7 x 7 / 2 stem
 * 0.63 ms, the max-pool 0.08 ms, 10.4 ms in all.
 */
public final class OrtProfile {
    private static final Pattern DUR = Pattern.compile("\"dur\" :(\\d+)");
    private static final Pattern NAME = Pattern.compile("\"name\" :\"(.+?)_kernel_time\"");
    private static final Pattern OP = Pattern.compile("\"op_name\" : \"(\\w+)\"");
    private static final Pattern SHAPE = Pattern.compile("\"output_type_shape\" : \\[\\{\"float\":\\[([0-9,]*)\\]");

    private OrtProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: OrtProfile MODEL.onnx X.npy INPUT_NAME [WARM RUNS THREADS]");
            System.exit(2);
        }
        int warm = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 2;
        Npy.Array x = Npy.read(Path.of(args[1]));
        long[] shape = new long[x.shape().length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = x.shape()[i];
        }
        Path dir = Files.createTempDirectory("ort-profile");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Path json;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.enableProfiling(dir.resolve("ort").toString());
            try (OrtSession session = env.createSession(args[0], options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), shape)) {
                for (int i = 0; i < warm + runs; i++) {
                    session.run(Map.of(args[2], input)).close();
                }
                json = Path.of(session.endProfiling());
            }
        }
        // the profile holds every run: the last RUNS events of each node are the timed ones
        Map<String, List<Long>> micros = new LinkedHashMap<>();
        Map<String, String> what = new LinkedHashMap<>();
        for (String line : Files.readAllLines(json)) {
            Matcher name = NAME.matcher(line), dur = DUR.matcher(line);
            if (!line.contains("\"cat\" : \"Node\"") || !name.find() || !dur.find()) {
                continue;
            }
            micros.computeIfAbsent(name.group(1), k -> new ArrayList<>()).add(Long.parseLong(dur.group(1)));
            Matcher op = OP.matcher(line), out = SHAPE.matcher(line);
            what.putIfAbsent(name.group(1), (op.find() ? op.group(1) : "?") + " [" + (out.find() ? out.group(1) : "") + "]");
        }
        Files.deleteIfExists(json);
        Files.deleteIfExists(dir);
        List<Map.Entry<String, Double>> rows = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, List<Long>> e : micros.entrySet()) {
            List<Long> all = e.getValue();
            List<Long> timed = all.subList(Math.max(0, all.size() - runs), all.size());
            double ms = timed.stream().mapToLong(Long::longValue).sum() / 1e3 / timed.size();
            rows.add(Map.entry(e.getKey(), ms));
            total += ms;
        }
        rows.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        System.out.printf("ONNX Runtime, %d threads: %.2f ms of nodes per run (mean of %d runs)%n", threads, total, runs);
        for (Map.Entry<String, Double> r : rows) {
            System.out.printf("%8.3f ms  %-24s %s%n", r.getValue(), what.get(r.getKey()), r.getKey());
        }
    }
}
