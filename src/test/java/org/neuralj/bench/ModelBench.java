package org.neuralj.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.onnx.ValueInfo;
import org.neuralj.bench.BenchCases.Case;

/**
 * Benchmark (not a test): the same ONNX models and inputs through NeuralJ's CPU backend, each OpenCL
 * device, and ONNX Runtime for Java (CPU, the same thread count), in one process. For every case the
 * outputs are first checked equal (within tolerance) against ONNX Runtime; then each engine is warmed
 * up and timed over {@code bench.runs} runs (median, min and max reported), host array in, host array
 * out, nothing cached across runs. The machine's FP32 peak and memory bandwidth are measured here too
 * ({@link MachineLimits}) so every row shows its fraction of peak. Writes bench/RESULTS.md.
 *
 * <p>Run from the repository root with {@code bench/run} (see README, "Performance"). Options (system
 * properties): -Dbench.threads=N (default: all cores), -Dbench.runs=7, -Dbench.big=true (adds 8192²
 * to the size scaling and the 16000² image), -Dbench.hugeOnly=true (the 16000² image alone), -Dbench.quick=true (the case table only, without the U-Net at 2048²),
 * -Dbench.only=TEXT (the cases whose name contains TEXT, nothing else), -Dbench.opencl=false, -Dbench.out=bench/RESULTS.md, -Dbench.warmup=10 and
 * -Dbench.warmupSeconds=3 (each engine warms up for at least that many runs and that long). The sections after the table (threads, image size,
 * training, cold start) are in {@link SuiteSections}.
 */
public final class ModelBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 7);
    // HotSpot compiles the paths of a network's small deep layers only after several runs: ResNet-18 at batch 1
    // measured 98 ms after 2 warm-up runs and 38 ms after 10 (ONNX Runtime, native code, 11-12 ms either way), and
    // 22.6 ms (1.80x ORT) after 200 against 28.5 ms (2.68x) after 10 (session 10). So every engine warms up for at
    // least WARMUP runs and at least WARMUP_SECONDS, as a batch of images would.
    private static final int WARMUP = Integer.getInteger("bench.warmup", 10);
    /**
     * Pause before each timed run. ONNX Runtime's worker threads keep spinning for 20-40 ms after its run and take the
     * cores from the next engine: NeuralJ's ResNet-18 at batch 1 ran 25.8 ms (median) 20 ms after an ONNX Runtime run,
     * 19.3-19.7 ms 40-150 ms after one or with none before it (session 11; the tables before then used 20 ms).
     */
    private static final int GAP_MS = Integer.getInteger("bench.gapMs", 100);
    private static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("bench.warmupSeconds", "3"));
    private static final int THREADS = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
    private static final String LOAD_AT_START = loadAverage();
    private static final Path SHARED = Path.of(System.getProperty("neuralj.shared", "../shared"));

    /**
     * Timings of one engine on one case, in ms: median, min and max of the runs taken in turns with the other engines;
     * {@code backToBack} the median of its runs one after another.
     */
    record Timing(double median, double min, double max, double maxErr, double backToBack) {
    }

    private ModelBench() {
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Path out = Path.of(System.getProperty("bench.out", "bench/RESULTS.md"));
        if (Boolean.getBoolean("bench.hugeOnly")) { // the 16000² image alone (minutes): its own results file
            String md = "# NeuralJ benchmark: a 16000 × 16000 image\n\nWritten by `bench/run -Dbench.hugeOnly=true` on "
                    + java.time.LocalDate.now() + ". The rest of the suite: [RESULTS.md](RESULTS.md).\n"
                    + SuiteSections.huge(Files.createTempDirectory("neuralj-bench"));
            Files.writeString(out, md);
            System.out.println(md);
            return;
        }
        System.out.println("measuring the machine's limits ...");
        MachineLimits lim = MachineLimits.measure(THREADS);
        System.out.printf("FP32 peak %.0f GFLOP/s (1 thread), %.0f (%d threads); triad %.1f GB/s%n",
                lim.peakOneThread, lim.peakAllThreads, THREADS, lim.triadGBs);
        String only = System.getProperty("bench.only", "");
        List<Case> cases = cases().stream().filter(c -> c.name().contains(only)).toList();
        List<String> engines = new ArrayList<>();
        engines.add("cpu");
        if (Boolean.parseBoolean(System.getProperty("bench.opencl", "true"))) {
            Backends.available().stream().filter(s -> s.startsWith("opencl")).forEach(engines::add);
        }
        Map<String, String> engineNames = new LinkedHashMap<>();
        StringBuilder rows = new StringBuilder();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (Case c : cases) {
            System.out.println("case " + c.name() + " (" + String.format("%.2f", c.gflop()) + " GFLOP)");
            // every engine open at once and timed round by round, so a burst of load from elsewhere on the machine
            // hits them all alike instead of whichever engine's block it fell in
            List<AutoCloseable> open = new ArrayList<>();
            try {
                List<String> names = new ArrayList<>();
                List<Run> runs = new ArrayList<>();
                OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                open.add(o);
                o.setIntraOpNumThreads(THREADS);
                o.setInterOpNumThreads(1);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                OrtSession ortSession = env.createSession(OnnxWriter.toBytes(c.onnx()), o);
                open.add(0, ortSession); // closed before its options
                names.add("ONNX Runtime " + ortVersion() + " (CPU, " + THREADS + " threads)");
                runs.add(() -> runOrt(env, ortSession, c));
                for (String spec : engines) {
                    try {
                        Backend b = spec.equals("cpu") ? new CpuBackend(THREADS) : Backends.select(spec);
                        open.add(b);
                        engineNames.putIfAbsent(spec, b.name());
                        Session s = new Session(Model.fromOnnx(c.onnx(), c.name()), b);
                        open.add(0, s); // closed before its backend
                        Map<String, HostTensor> in = Map.of(c.input(), new HostTensor(c.shape(), c.data()));
                        names.add("NeuralJ " + b.name());
                        runs.add(() -> s.runOnHost(in).values().iterator().next().data());
                        if (c.layer()) {
                            // the layer alone: input and output stay on the backend (a single layer's host copies,
                            // 16 MB each way, cost a third of a 3x3 convolution's time)
                            Tensor x = b.upload(c.data(), c.shape());
                            open.add(0, x);
                            names.add("NeuralJ " + b.name() + ", tensors resident");
                            boolean[] checked = {false};
                            runs.add(() -> {
                                try (Tensor y = s.run(Map.of(c.input(), x)).values().iterator().next()) {
                                    b.finish();
                                    if (!checked[0]) { // the first run's output is checked; timed runs copy nothing
                                        checked[0] = true;
                                        return b.download(y);
                                    }
                                    return null;
                                }
                            });
                        }
                    } catch (RuntimeException e) {
                        System.out.println("  " + spec + " failed: " + e);
                        rows.append(failedRow(c, "NeuralJ " + spec, e));
                    }
                }
                List<Timing> t = timeInterleaved(names, runs, rows, c);
                for (int i = 0; i < t.size(); i++) {
                    if (t.get(i) != null) {
                        rows.append(row(c, names.get(i), t.get(i), t.get(0), lim));
                    }
                }
            } finally {
                for (AutoCloseable x : open) {
                    x.close();
                }
            }
        }
        StringBuilder sections = new StringBuilder();
        if (!Boolean.getBoolean("bench.quick") && only.isEmpty()) {
            sections.append(threadScaling(env));
            sections.append(SuiteSections.scaling(engines, Boolean.getBoolean("bench.big")));
            sections.append(SuiteSections.training(engines));
            Path work = Files.createTempDirectory("neuralj-bench");
            sections.append(SuiteSections.coldStart(engines, work));
            if (Boolean.getBoolean("bench.big")) {
                sections.append(SuiteSections.huge(work));
            }
        }
        String md = report(lim, engineNames, rows.toString()) + sections;
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        System.out.println(md);
        System.out.println("wrote " + out);
    }

    interface Run {
        float[] run() throws Exception;
    }

    /**
     * The engines' outputs checked against the first's (ONNX Runtime), every engine warmed up, then RUNS rounds in
     * which each runs once, in an order that rotates from round to round. An engine whose output differs gets a
     * "failed" row and a null timing.
     */
    private static List<Timing> timeInterleaved(List<String> names, List<Run> runs, StringBuilder rows, Case c) throws Exception {
        float[] reference = runs.get(0).run();
        double[] err = new double[runs.size()];
        boolean[] ok = new boolean[runs.size()];
        for (int e = 0; e < runs.size(); e++) {
            try {
                err[e] = e == 0 ? 0 : check(runs.get(e).run(), reference);
                ok[e] = true;
            } catch (RuntimeException x) {
                System.out.println("  " + names.get(e) + " failed: " + x.getMessage());
                rows.append(failedRow(c, names.get(e), x));
            }
        }
        for (int e = 0; e < runs.size(); e++) {
            long warmStart = System.nanoTime();
            for (int i = 0; ok[e] && (i < WARMUP || System.nanoTime() - warmStart < WARMUP_SECONDS * 1e9); i++) {
                runs.get(e).run();
            }
        }
        double[][] ms = new double[runs.size()][RUNS];
        for (int i = 0; i < RUNS; i++) {
            for (int k = 0; k < runs.size(); k++) {
                int e = (i + k) % runs.size();
                if (ok[e]) {
                    Thread.sleep(GAP_MS); // lets the engine that ran before park its threads
                    long t0 = System.nanoTime();
                    runs.get(e).run();
                    ms[e][i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        // then each engine alone, run after run with no pause (a batch of images): the first run after the switch untimed
        double[][] backToBack = new double[runs.size()][RUNS];
        for (int e = 0; e < runs.size(); e++) {
            for (int i = -1; ok[e] && i < RUNS; i++) {
                long t0 = System.nanoTime();
                runs.get(e).run();
                if (i >= 0) {
                    backToBack[e][i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        List<Timing> t = new ArrayList<>();
        for (int e = 0; e < runs.size(); e++) {
            t.add(ok[e] ? timing(ms[e], err[e], backToBack[e]) : null);
        }
        return t;
    }

    /** A table row saying that an engine failed on a case, and why. */
    private static String failedRow(Case c, String engine, RuntimeException e) {
        return "| " + c.name() + " | " + engine + " | failed: " + String.valueOf(e.getMessage()).replace('|', '/').replace('\n', ' ')
                + " | | | | | | | |\n";
    }

    /** max |diff| / max(1, max |reference|); throws when above 1e-3 (float32 sums in another order stay far below). */
    private static double check(float[] out, float[] reference) {
        if (out.length != reference.length) {
            throw new IllegalStateException("output has " + out.length + " values, ONNX Runtime " + reference.length);
        }
        double scale = 0;
        double err = 0;
        for (float v : reference) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < out.length; i++) {
            err = Math.max(err, Math.abs(out[i] - reference[i]));
        }
        if (!(err <= 1e-3 * Math.max(1, scale))) {
            throw new IllegalStateException(String.format("output differs from ONNX Runtime: max |diff| %.3g (output scale %.3g)", err, scale));
        }
        return err / Math.max(1, scale);
    }

    private static Timing timing(double[] ms, double err, double[] backToBack) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double[] b2b = backToBack.clone();
        Arrays.sort(b2b);
        return new Timing(sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1], err, b2b[b2b.length / 2]);
    }

    /** The U-Net at 512² on 1, 2, ... threads: NeuralJ CPU and ONNX Runtime with the same thread count. */
    private static String threadScaling(OrtEnvironment env) throws Exception {
        Path unet = SHARED.resolve("onnx/real-models/unet2d-nuclei-broad/weights.onnx");
        if (!Files.exists(unet)) {
            return "\n## Scaling with threads\n\nskipped: " + unet + " is absent\n";
        }
        OnnxModel m = org.neuralj.onnx.OnnxReader.read(unet);
        String in = m.graph().inputs().get(0).name();
        int[] shape = {1, 1, 512, 512};
        Case c = new Case("U-Net 512²", m, in, shape, BenchCases.gaussian(new Random(7), 512 * 512), 0, false);
        StringBuilder sb = new StringBuilder("\n## Scaling with threads\n\nThe U-Net (unet2d-nuclei-broad) at 512², median ms of ")
                .append(RUNS).append(" runs taken in turns; speed-up against the same engine on 1 thread.\n\n")
                .append("| threads | NeuralJ cpu ms | speed-up | ONNX Runtime ms | speed-up | NeuralJ / ORT |\n|---:|---:|---:|---:|---:|---:|\n");
        double nj1 = 0, ort1 = 0;
        for (int threads = 1; threads <= Runtime.getRuntime().availableProcessors(); threads *= 2) {
            Timing ort;
            Timing nj;
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession s = env.createSession(OnnxWriter.toBytes(m), o);
                     Backend b = new CpuBackend(threads); Session ns = new Session(Model.fromOnnx(m, "unet"), b)) {
                    Map<String, HostTensor> x = Map.of(in, new HostTensor(shape, c.data()));
                    List<Timing> t = timeInterleaved(List.of("ONNX Runtime", "NeuralJ cpu"),
                            List.of(() -> runOrt(env, s, c), () -> ns.runOnHost(x).values().iterator().next().data()), new StringBuilder(), c);
                    ort = t.get(0);
                    nj = t.get(1);
                }
            }
            if (nj == null) {
                throw new IllegalStateException("NeuralJ's U-Net output differs from ONNX Runtime's on " + threads + " thread(s)");
            }
            if (threads == 1) {
                nj1 = nj.median;
                ort1 = ort.median;
            }
            String line = String.format("| %d | %.1f | %.2f× | %.1f | %.2f× | %.2f× |%n", threads, nj.median, nj1 / nj.median, ort.median,
                    ort1 / ort.median, nj.median / ort.median);
            System.out.print("  " + line);
            sb.append(line);
        }
        return sb.toString();
    }

    private static float[] runOrt(OrtEnvironment env, OrtSession s, Case c) throws OrtException {
        long[] shape = Arrays.stream(c.shape()).asLongStream().toArray();
        try (ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(c.data()), shape);
             OrtSession.Result r = s.run(Map.of(c.input(), t))) {
            FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }

    private static String row(Case c, String engine, Timing t, Timing ort, MachineLimits lim) {
        double gfs = c.gflop() / (t.median / 1e3);
        String line = String.format("| %s | %s | %.2f | %.2f – %.2f | %.1f | %.0f %% | %.2f× | %.2f | %.2f× | %s |%n",
                c.name(), engine, t.median, t.min, t.max, gfs, 100 * gfs / lim.peakAllThreads, t.median / ort.median,
                t.backToBack, t.backToBack / ort.backToBack, t == ort ? "reference" : String.format("%.1e", t.maxErr));
        System.out.print("  " + line);
        return line;
    }

    private static String ortVersion() {
        Package p = OrtEnvironment.class.getPackage();
        return p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : System.getProperty("bench.ortVersion", "");
    }

    private static String report(MachineLimits lim, Map<String, String> engines, String rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("# NeuralJ benchmark: models and single layers against ONNX Runtime\n\n");
        sb.append("Written by `bench/run` (`org.neuralj.bench.ModelBench`) on ").append(LocalDate.now()).append(". ");
        sb.append("Filters against ImageJ: [RESULTS-filters.md](RESULTS-filters.md).\n\n");
        sb.append("## Machine (measured in the same process)\n\n");
        sb.append("| | |\n|---|---|\n");
        sb.append("| CPU | ").append(MachineLimits.cpuName()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" hardware threads |\n");
        sb.append("| JVM | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version")).append(" |\n");
        sb.append("| threads used | ").append(THREADS).append(" (NeuralJ CPU backend and ONNX Runtime intra-op) |\n");
        sb.append(String.format("| FP32 FMA peak (Vector API, %s) | %.0f GFLOP/s on 1 thread, %.0f GFLOP/s on %d threads |%n",
                MachineLimits.vectorBits(), lim.peakOneThread, lim.peakAllThreads, THREADS));
        sb.append(String.format("| memory bandwidth (triad, %d threads) | %.1f GB/s |%n", THREADS, lim.triadGBs));
        sb.append("| load average (1 min) at start / end | ").append(LOAD_AT_START).append(" / ").append(loadAverage())
                .append(" (other processes on the machine compete for the same cores: compare ratios within one run) |\n");
        sb.append("| NeuralJ SGEMM | ").append(org.neuralj.backend.cpu.CpuKernels.sgemm()).append(" |\n");
        engines.forEach((spec, name) -> sb.append("| `").append(spec).append("` | ").append(name).append(" |\n"));
        sb.append("\n## Results\n\n");
        sb.append("Median of ").append(RUNS).append(" runs after at least ").append(WARMUP).append(" warm-up runs and ")
                .append(WARMUP_SECONDS).append(" s of warm-up per engine (HotSpot compiles late), the engines of a case ")
                .append("taking turns run by run (the order rotating; ").append(GAP_MS)
                .append(" ms apart, as ONNX Runtime's threads spin for 20-40 ms after a run and slowed the engine after it); host array in, ")
                .append("host array out (OpenCL rows include the transfers). GFLOP/s = the case's multiply-add FLOPs ")
                .append("(2 per MAC) / median; % of peak against the all-thread FMA peak above; ratio = time / ONNX Runtime's ")
                .append("time (below 1 = faster). Back-to-back: then each engine alone, ").append(RUNS)
                .append(" runs one after another with no pause (a batch of images; ONNX Runtime's threads stay awake), median; ")
                .append("its ratio is between those medians and is not shielded from load elsewhere on the machine as the turns are. ")
                .append("Outputs are checked against ONNX Runtime before timing; max err is ")
                .append("max |diff| / max(1, max |output|).\n\n");
        sb.append("| case | engine | median ms | min – max ms | GFLOP/s | % of peak | ratio to ORT | back-to-back ms | ratio back-to-back | max err |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        sb.append(rows);
        return sb.toString();
    }

    // ---- the cases ----------------------------------------------------------------------------

    private static List<Case> cases() throws IOException {
        Random r = new Random(42);
        List<Case> cases = BenchCases.models(SHARED, Boolean.getBoolean("bench.quick"), r);
        int c = 64;
        int h = 256;
        cases.add(layer("conv 3×3 64→64 +bias+ReLU, 256²", "Conv", c, h, new long[] {c, c, 3, 3}, true,
                2.0 * c * c * 9 * h * h, r, OnnxAttribute.ofInts("pads", 1, 1, 1, 1)));
        cases.add(layer("conv 1×1 64→64 +bias, 256²", "Conv", c, h, new long[] {c, c, 1, 1}, false,
                2.0 * c * c * h * h, r));
        cases.add(layer("depthwise conv 3×3, 64 ch, 256²", "Conv", c, h, new long[] {c, 1, 3, 3}, false,
                2.0 * c * 9 * h * h, r, OnnxAttribute.ofInts("pads", 1, 1, 1, 1), OnnxAttribute.of("group", (long) c)));
        cases.add(layer("max-pool 2×2 stride 2, 64 ch, 256²", "MaxPool", c, h, null, false, 0, r,
                OnnxAttribute.ofInts("kernel_shape", 2, 2), OnnxAttribute.ofInts("strides", 2, 2)));
        cases.add(layer("transposed conv 2×2 stride 2, 64→32, 128²", "ConvTranspose", c, 128, new long[] {c, 32, 2, 2}, false,
                2.0 * c * 32 * 4 * 128 * 128, r, OnnxAttribute.ofInts("strides", 2, 2)));
        return cases;
    }

    /** x [1, C, H, H] -> one node (with weight w and a bias when w is given) -> y; Relu after it if asked. */
    private static Case layer(String name, String op, int channels, int h, long[] w, boolean relu, double flops,
                              Random r, OnnxAttribute... attrs) {
        List<OnnxTensor> init = new ArrayList<>();
        List<String> inputs = new ArrayList<>(List.of("x"));
        if (w != null) {
            int n = (int) Arrays.stream(w).reduce(1, (a, b) -> a * b);
            int fanIn = (int) (n / w[0]);
            float[] wd = BenchCases.gaussian(r, n);
            for (int i = 0; i < n; i++) {
                wd[i] *= (float) Math.sqrt(2.0 / fanIn);
            }
            init.add(OnnxTensor.ofFloats("w", w, wd));
            inputs.add("w");
            int m = op.equals("ConvTranspose") ? (int) w[1] : (int) w[0];
            init.add(OnnxTensor.ofFloats("b", new long[] {m}, BenchCases.gaussian(r, m)));
            inputs.add("b");
        }
        List<OnnxNode> nodes = new ArrayList<>();
        nodes.add(OnnxNode.of(op, inputs, List.of(relu ? "t" : "y"), attrs).withName("layer"));
        if (relu) {
            nodes.add(OnnxNode.of("Relu", List.of("t"), List.of("y")).withName("relu"));
        }
        OnnxGraph g = OnnxGraph.of("layer", nodes, init,
                List.of(ValueInfo.tensor("x", DataType.FLOAT, 1, channels, h, h)),
                List.of(ValueInfo.symbolicTensor("y", DataType.FLOAT, "n", "c", "h", "w")));
        return new Case(name, OnnxModel.of(g, 17), "x", new int[] {1, channels, h, h}, BenchCases.gaussian(r, channels * h * h), flops / 1e9, true);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

}
