package org.neuralj.bench;

import ij.ImageStack;
import ij.plugin.filter.Convolver;
import ij.plugin.filter.GaussianBlur;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.backend.cpu.CpuKernels;
import org.neuralj.backend.opencl.OpenClBackend;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.filter.Kernel2D;
import org.neuralj.image.FilterImages;

/**
 * Benchmark (not a test): NeuralJ's filters on the CPU and OpenCL backends against ImageJ's own filters,
 * in one process, on the same images: a 2048x2048 32-bit image and a 1024x1024x64 16-bit stack; Gaussian
 * sigma 2 and 10, custom 3x3, 7x7 and 15x15 kernels (random, not separable), Find Edges. Median of N runs
 * after warm-up; writes bench/RESULTS-filters.md. Run from the repository root:
 * <pre>
 * bench/filters   (builds, then runs this class with the test classpath)
 * </pre>
 * Options (system properties): -Dbench.runs=5 -Dbench.out=bench/RESULTS-filters.md -Dbench.quick=true (small sizes).
 */
public final class FilterBench {
    private static final int RUNS = Integer.getInteger("bench.runs", 5);
    private static final boolean QUICK = Boolean.getBoolean("bench.quick");
    /** Only rows whose "image filter" text contains this (for quick looks; the table is then not written). */
    private static final String ONLY = System.getProperty("bench.only", "");

    record Case(String name, Filter filter, IjFilter imagej) {
    }

    interface IjFilter {
        void run(ImageProcessor ip);
    }

    public static void main(String[] args) throws IOException {
        int big = QUICK ? 512 : 2048;
        int stackSide = QUICK ? 256 : 1024;
        int stackDepth = QUICK ? 8 : 64;
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("Gaussian σ=2", new Filter.Gaussian(2, 0.0002), ip -> gauss(ip, 2)));
        cases.add(new Case("Gaussian σ=10", new Filter.Gaussian(10, 0.0002), ip -> gauss(ip, 10)));
        for (int k : new int[] {3, 7, 15}) {
            float[] kernel = randomKernel(k);
            cases.add(new Case("Custom " + k + "×" + k, new Filter.Custom(new Kernel2D(k, k, kernel), true),
                    ip -> new Convolver().convolve(ip, kernel, k, k)));
        }
        cases.add(new Case("Find Edges", new Filter.FindEdges(), ImageProcessor::findEdges));

        List<String> rows = new ArrayList<>();
        String loadBefore = loadAverage();
        String cpuName;
        String clName = null;
        try (Backend cpu = new CpuBackend(); Backend cl = openCl()) {
            cpuName = cpu.name();
            clName = cl == null ? null : cl.name();
            for (boolean stack : new boolean[] {false, true}) {
                String image = stack ? stackSide + "×" + stackSide + "×" + stackDepth + " 16-bit"
                        : big + "×" + big + " 32-bit";
                List<ImageProcessor> source = stack ? shortStack(stackSide, stackDepth) : List.of(floatImage(big));
                double mpix = (double) source.size() * source.get(0).getPixelCount() / 1e6;
                for (Case c : cases) {
                    if (!(image + " " + c.name()).contains(ONLY)) {
                        continue;
                    }
                    double ij = median(() -> {
                        List<ImageProcessor> ips = copies(source);
                        long t0 = System.nanoTime();
                        for (ImageProcessor ip : ips) {
                            c.imagej().run(ip);
                        }
                        return System.nanoTime() - t0;
                    });
                    double nc = median(() -> neuralj(cpu, c.filter(), source));
                    double nl = cl == null ? Double.NaN : median(() -> neuralj(cl, c.filter(), source));
                    double nk = cl == null ? Double.NaN : median(() -> kernelOnly((OpenClBackend) cl, c.filter(), source));
                    String row = String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.2f× | %s | %s |",
                            image, c.name(), ij, mpix / (ij / 1e3), nc, ij / nc,
                            cl == null ? "–" : String.format(Locale.ROOT, "%.1f (%.2f×)", nl, ij / nl),
                            cl == null ? "–" : String.format(Locale.ROOT, "%.1f (%.2f×)", nk, ij / nk));
                    System.out.println(row + "   [NeuralJ CPU " + String.format(Locale.ROOT, "%.1f", mpix / (nc / 1e3)) + " Mpixel/s]");
                    rows.add(row);
                }
            }
        }
        if (ONLY.isEmpty()) {
            write(rows, cpuName, clName, loadBefore);
        }
        System.exit(0); // ImageJ's filters leave non-daemon pool threads behind
    }

    private static Backend openCl() {
        if (Boolean.getBoolean("bench.noOpenCl")) {
            return null;
        }
        try {
            return Backends.available().size() > 1 ? Backends.select("opencl") : null;
        } catch (RuntimeException e) {
            System.err.println("no OpenCL: " + e.getMessage());
            return null;
        }
    }

    interface Timed {
        long nanos();
    }

    /** Median milliseconds of RUNS timed runs after two warm-up runs. */
    private static double median(Timed t) {
        t.nanos();
        t.nanos();
        double[] ms = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            ms[i] = t.nanos() / 1e6;
        }
        Arrays.sort(ms);
        return RUNS % 2 == 1 ? ms[RUNS / 2] : (ms[RUNS / 2 - 1] + ms[RUNS / 2]) / 2;
    }

    /** The whole NeuralJ path as the plugin runs it: ImageJ pixels in, filtered ImageJ pixels out. */
    private static long neuralj(Backend b, Filter f, List<ImageProcessor> source) {
        List<ImageProcessor> ips = copies(source);
        long t0 = System.nanoTime();
        FilterImages.filter(b, f, EdgeMode.EDGE, ips, null, null, null);
        return System.nanoTime() - t0;
    }

    /** OpenCL without transfers: the planes already on the device, the result left there. */
    private static long kernelOnly(OpenClBackend cl, Filter f, List<ImageProcessor> source) {
        int w = source.get(0).getWidth(), h = source.get(0).getHeight(), n = source.size();
        float[] all = new float[n * w * h];
        for (int i = 0; i < n; i++) {
            float[] p = (float[]) source.get(i).convertToFloatProcessor().getPixels();
            System.arraycopy(p, 0, all, i * w * h, w * h);
        }
        try (Tensor x = cl.upload(all, n, 1, h, w)) {
            cl.finish();
            long t0 = System.nanoTime();
            try (Tensor y = f.apply(cl, x, EdgeMode.EDGE)) {
                cl.finish();
                return System.nanoTime() - t0;
            }
        }
    }

    private static void gauss(ImageProcessor ip, double sigma) {
        new GaussianBlur().blurGaussian(ip, sigma, sigma, 0.0002);
    }

    private static List<ImageProcessor> copies(List<ImageProcessor> source) {
        List<ImageProcessor> out = new ArrayList<>(source.size());
        for (ImageProcessor ip : source) {
            out.add(ip.duplicate());
        }
        return out;
    }

    private static float[] randomKernel(int k) {
        Random r = new Random(k);
        float[] v = new float[k * k];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() + 0.1);
        }
        return v;
    }

    private static ImageProcessor floatImage(int side) {
        Random r = new Random(1);
        float[] p = new float[side * side];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (1000 * Math.sin(i % side * 0.01) * Math.cos(i / side * 0.013) + r.nextGaussian() * 50);
        }
        return new FloatProcessor(side, side, p);
    }

    private static List<ImageProcessor> shortStack(int side, int depth) {
        Random r = new Random(2);
        ImageStack stack = new ImageStack(side, side);
        for (int z = 0; z < depth; z++) {
            short[] p = new short[side * side];
            for (int i = 0; i < p.length; i++) {
                p[i] = (short) (20000 + 10000 * Math.sin(i % side * 0.02 + z) + r.nextInt(2000));
            }
            stack.addSlice(new ShortProcessor(side, side, p, null));
        }
        List<ImageProcessor> ips = new ArrayList<>();
        for (int z = 1; z <= depth; z++) {
            ips.add(stack.getProcessor(z));
        }
        return ips;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void write(List<String> rows, String cpu, String cl, String loadBefore) throws IOException {
        Path out = Path.of(System.getProperty("bench.out", "bench/RESULTS-filters.md"));
        StringBuilder sb = new StringBuilder();
        sb.append("# Filters: NeuralJ vs ImageJ\n\n");
        sb.append("Written by `org.neuralj.bench.FilterBench` (see README › Filters for the command). Median of ")
                .append(RUNS).append(" runs after 2 warm-up runs, one process, same images. ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append(", ImageJ ").append(ij.IJ.getVersion()).append(". Load average (1 min) ").append(loadBefore)
                .append(" at the start, ").append(loadAverage()).append(" at the end: the machine is shared, so compare ")
                .append("ratios within one run, not absolute times across runs.\n\n");
        sb.append("- ImageJ: `GaussianBlur.blurGaussian` (accuracy 0.0002), `Convolver.convolve` (normalised), ")
                .append("`ImageProcessor.findEdges`, slice by slice for the stack.\n");
        sb.append("- NeuralJ CPU: `FilterImages.filter` on `").append(cpu).append("` (").append(CpuKernels.filters())
                .append(") — ImageJ pixels in and out, conversions included, the whole stack in batches.\n");
        sb.append("- NeuralJ OpenCL: ").append(cl == null ? "no device" : "`" + cl + "`")
                .append("; \"with transfers\" is the same call as the CPU column; \"kernels only\" has the planes ")
                .append("already on the device and leaves the result there.\n");
        sb.append("- Custom kernels are random positive (not separable) kernels.\n\n");
        sb.append("| image | filter | ImageJ ms | ImageJ Mpixel/s | NeuralJ CPU ms | CPU speed-up | OpenCL ms with transfers (speed-up) | OpenCL ms kernels only (speed-up) |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String r : rows) {
            sb.append(r).append('\n');
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, sb.toString());
        System.out.println("wrote " + out);
    }
}
