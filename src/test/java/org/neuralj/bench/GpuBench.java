package org.neuralj.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.bench.BenchCases.Case;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/**
 * The model benchmark on a machine with a GPU, without ONNX Runtime (its jar is too big to carry to a lent device,
 * see bench/gpu/): every OpenCL device found and the CPU backend of that machine, each output checked against the CPU
 * backend's first, then medians of runs taken in turns. Each row also gives the ratio to the 2-core test machine's CPU
 * backend as bench/RESULTS.md recorded it (the "U-Net at 2048² >= 10x the CPU backend on this machine").
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp ... org.neuralj.bench.GpuBench [-Dneuralj.shared=DIR] [-Dbench.out=FILE]
 * </pre>
 */
public final class GpuBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 7);
    private static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("bench.warmupSeconds", "2"));

    private GpuBench() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(System.getProperty("bench.out", "bench/RESULTS-gpu.md"));
        Path shared = Path.of(System.getProperty("neuralj.shared", "../shared"));
        Map<String, Double> reference = twoCoreCpuTimes(Path.of("bench/RESULTS.md"));
        List<String> engines = new ArrayList<>(List.of("cpu"));
        Backends.available().stream().filter(s -> s.startsWith("opencl")).forEach(engines::add);
        StringBuilder rows = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (Case c : BenchCases.models(shared, false, new Random(42))) {
            System.out.println("case " + c.name() + String.format(Locale.ROOT, " (%.2f GFLOP)", c.gflop()));
            List<Backend> backends = new ArrayList<>();
            List<Session> sessions = new ArrayList<>();
            try {
                for (String spec : engines) {
                    Backend b = spec.equals("cpu") ? new CpuBackend(Runtime.getRuntime().availableProcessors()) : Backends.select(spec);
                    backends.add(b);
                    sessions.add(new Session(Model.fromOnnx(c.onnx(), c.name()), b));
                    if (names.size() < engines.size()) {
                        names.add(b.name());
                    }
                }
                Map<String, HostTensor> in = Map.of(c.input(), new HostTensor(c.shape(), c.data()));
                float[] expected = sessions.get(0).runOnHost(in).values().iterator().next().data();
                double[] err = new double[sessions.size()];
                for (int e = 0; e < sessions.size(); e++) {
                    float[] got = sessions.get(e).runOnHost(in).values().iterator().next().data();
                    err[e] = maxError(got, expected);
                    long end = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
                    while (System.nanoTime() < end) {
                        sessions.get(e).runOnHost(in);
                    }
                }
                double[][] ms = new double[sessions.size()][RUNS];
                for (int i = 0; i < RUNS; i++) {
                    for (int e = 0; e < sessions.size(); e++) {
                        long t0 = System.nanoTime();
                        sessions.get(e).runOnHost(in);
                        ms[e][i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                double cpuMedian = median(ms[0]);
                Double twoCore = reference.get(c.name());
                for (int e = 0; e < sessions.size(); e++) {
                    double med = median(ms[e]);
                    double[] sorted = ms[e].clone();
                    Arrays.sort(sorted);
                    String row = String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f – %.2f | %.1f | %.2f× | %s | %.1e |%n", c.name(), names.get(e),
                            med, sorted[0], sorted[RUNS - 1], c.gflop() / med * 1e3, cpuMedian / med,
                            twoCore == null ? "–" : String.format(Locale.ROOT, "%.1f×", twoCore / med), err[e]);
                    rows.append(row);
                    System.out.print("  " + row);
                }
            } finally {
                for (Session s : sessions) {
                    s.close();
                }
                for (Backend b : backends) {
                    b.close();
                }
            }
        }
        String md = "# NeuralJ benchmark on a GPU machine\n\nWritten by `org.neuralj.bench.GpuBench` (bench/gpu/run-on-device.sh) on "
                + LocalDate.now() + ". Engines: " + String.join("; ", names) + "; CPU: " + cpuName() + ", "
                + Runtime.getRuntime().availableProcessors() + " threads.\n\n"
                + "Median of " + RUNS + " runs taken in turns after " + WARMUP_SECONDS + " s of warm-up per engine; host array in, host array out. "
                + "Speed-up = this machine's CPU backend time / the engine's; vs 2-core CPU = the CPU backend's median on the 2-core test "
                + "machine in bench/RESULTS.md / the engine's. Max err: max |diff| / max(1, max |CPU output|).\n\n"
                + "| case | engine | median ms | min – max ms | GFLOP/s | speed-up over this CPU | vs 2-core CPU | max err |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|\n" + rows;
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, md);
        System.out.println("wrote " + out);
    }

    /** "case" to the "NeuralJ cpu" median ms in a bench/RESULTS.md table (empty when the file is absent). */
    static Map<String, Double> twoCoreCpuTimes(Path results) throws java.io.IOException {
        Map<String, Double> times = new java.util.HashMap<>();
        if (!Files.exists(results)) {
            return times;
        }
        for (String line : Files.readAllLines(results)) {
            String[] cells = line.split("\\|");
            if (cells.length > 3 && cells[2].trim().startsWith("NeuralJ cpu") && !cells[2].contains("resident")) {
                try {
                    times.put(cells[1].trim(), Double.parseDouble(cells[3].trim()));
                } catch (NumberFormatException e) {
                    // a failed row
                }
            }
        }
        return times;
    }

    private static double maxError(float[] got, float[] expected) {
        if (got.length != expected.length) {
            throw new IllegalStateException("output lengths differ: " + got.length + " vs " + expected.length);
        }
        double scale = 1, diff = 0;
        for (int i = 0; i < got.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(got[i] - expected[i]));
        }
        return diff / scale;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String cpuName() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
