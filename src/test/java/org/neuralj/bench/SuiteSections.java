package org.neuralj.bench;

import ij.ImagePlus;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.image.Segmenter;
import org.neuralj.train.Init;
import org.neuralj.train.Layer;
import org.neuralj.train.LrSchedule;
import org.neuralj.train.Optimizer;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;
import org.neuralj.train.task.Nets;

/**
 * The benchmark's sections beyond the per-case table: scaling with image size (time and peak heap,
 * through the Segment path with its tiling), training throughput of the two shipped architectures, cold
 * start of {@code neuralj segment} in a fresh JVM, and (with -Dbench.big=true) a 16000 x 16000 image
 * segmented with -Xmx3g. Each returns a Markdown section.
 */
final class SuiteSections {
    private static final Path NUCLEI = Path.of("sample-data/models/nuclei.onnx");

    private SuiteSections() {
    }

    /** Time and peak heap of segmenting (probability map, shipped nuclei model, default tiling) at growing sizes. */
    static String scaling(List<String> engines, boolean big) {
        StringBuilder sb = new StringBuilder("\n## Scaling with image size\n\n");
        sb.append("`Segmenter` (the Segment command's path: tiles of the card's size with the receptive field's halo) on the shipped ")
                .append("`nuclei` model, probability output, a synthetic 8-bit image; one run per size after a warm-up at 512² ")
                .append("(median of 3 below 4096²). Time per megapixel must stay flat (linear growth); peak heap is the JVM's ")
                .append("heap high-water mark during the run, after a GC (it includes the input and output images).\n\n");
        sb.append("| engine | size | ms | ms per Mpixel | peak heap MB |\n|---|---|---:|---:|---:|\n");
        List<Integer> sizes = new ArrayList<>(List.of(512, 1024, 2048, 4096));
        if (big) {
            sizes.add(8192);
        }
        for (String spec : engines) {
            Segmenter.Request req = new Segmenter.Request(NUCLEI.toString(), Segmenter.Output.PROB, null, 0, 0, Double.NaN, spec);
            try (Segmenter s = Segmenter.open(req, line -> { })) {
                s.segment(image(512), null);
                for (int size : sizes) {
                    if (!spec.equals("cpu") && size > 2048) {
                        continue; // PoCL on 2 cores: minutes per row; the CPU rows show the scaling
                    }
                    ImagePlus imp = image(size);
                    int runs = size < 4096 ? 3 : 1;
                    double[] ms = new double[runs];
                    System.gc();
                    resetPeaks();
                    for (int i = 0; i < runs; i++) {
                        long t0 = System.nanoTime();
                        s.segment(imp, null).close();
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    double mp = size * (double) size / 1e6;
                    String line = String.format("| %s | %d² | %.0f | %.0f | %.0f |%n", s.backendName(), size, ms[runs / 2], ms[runs / 2] / mp,
                            peakHeapMb());
                    System.out.print("  " + line);
                    sb.append(line);
                }
            } catch (RuntimeException e) {
                sb.append("| ").append(spec).append(" | failed: ").append(e.getMessage().replace('|', '/')).append(" | | | |\n");
            }
        }
        return sb.toString();
    }

    /** Images per second of a training step (forward, backward, Adam update) for both shipped architectures. */
    static String training(List<String> engines) {
        StringBuilder sb = new StringBuilder("\n## Training throughput\n\n");
        sb.append("One optimiser step = forward, backward and Adam update of a batch of random data, in training mode (batch norm ")
                .append("statistics, gradients on the backend). Median of 5 steps after 2 warm-up steps. The architectures and sizes ")
                .append("are the shipped models' (see their cards).\n\n");
        sb.append("| model | engine | batch | ms per step | images/s |\n|---|---|---:|---:|---:|\n");
        for (String spec : engines) {
            try (Backend b = spec.equals("cpu") ? new CpuBackend(Runtime.getRuntime().availableProcessors()) : Backends.select(spec)) {
                try (Nets.UNet unet = new Nets.UNet(new Init(b, 1), 1, 16, 3, 2)) {
                    sb.append(trainRow("nuclei U-Net (residual, base 16, depth 3), 128² crops", unet, b, 4, 1, 128, 2, true));
                }
                try (var resnet = Nets.resnet(new Init(b, 1), 3, 16, 2, 3)) {
                    sb.append(trainRow("blood-cells ResNet (base 16, 2 stages), 64² crops", resnet, b, 32, 3, 64, 3, false));
                }
            } catch (RuntimeException e) {
                sb.append("| | ").append(spec).append(" failed: ").append(e.getMessage().replace('|', '/')).append(" | | | |\n");
            }
        }
        return sb.toString();
    }

    private static String trainRow(String name, Layer net, Backend b, int batch, int channels, int size, int outputs, boolean segmentation) {
        Random r = new Random(2);
        float[] x = new float[batch * channels * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] y = new float[segmentation ? batch * outputs * size * size : batch * outputs];
        for (int i = 0; i < y.length; i++) {
            y[i] = segmentation ? (r.nextBoolean() ? 1f : 0f) : (i % outputs == 0 ? 1f : 0f);
        }
        int[] yShape = segmentation ? new int[] {batch, outputs, size, size} : new int[] {batch, outputs};
        double[] ms = new double[5];
        try (Optimizer opt = Optimizer.adam(net.parameters(), LrSchedule.constant(1e-3f), 0f);
             Tensor xt = b.upload(x, batch, channels, size, size); Tensor yt = b.upload(y, yShape)) {
            for (int i = -2; i < ms.length; i++) {
                long t0 = System.nanoTime();
                try (Tape t = new Tape(b, Tape.TRAIN).seed(i)) {
                    Var logits = net.forward(t, t.input(xt));
                    Var loss = segmentation ? t.sigmoidBinaryCrossEntropy(logits, yt) : t.softmaxCrossEntropy(logits, yt);
                    t.backward(loss);
                    opt.step();
                    loss.download();
                }
                if (i >= 0) {
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        String line = String.format("| %s | %s | %d | %.0f | %.1f |%n", name, b.name(), batch, ms[2], batch / (ms[2] / 1e3));
        System.out.print("  " + line);
        return line;
    }

    /** Wall time of {@code neuralj segment} on the sample image in a fresh JVM, per backend: what a user waits for one image. */
    static String coldStart(List<String> engines, Path work) throws IOException, InterruptedException {
        StringBuilder sb = new StringBuilder("\n## Cold start\n\n");
        sb.append("`neuralj segment --model sample-data/models/nuclei.onnx sample-data/images/synthetic-nuclei.tif OUT` in a new JVM ")
                .append("(`java -cp ... org.neuralj.cli.Main`, the launcher's command): from process start to exit with the label ")
                .append("image written — JVM start, class loading, model load, backend start (OpenCL: platform query and kernel ")
                .append("compiles), one 512² image. Median of 3 runs, a new output folder each time.\n\n");
        sb.append("| backend | seconds (median) | min – max |\n|---|---:|---:|\n");
        for (String spec : engines) {
            double[] s = new double[3];
            for (int i = 0; i < s.length; i++) {
                Path out = work.resolve("cold-" + spec.replace(':', '-') + "-" + i);
                List<String> cmd = List.of(java(), "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                        "org.neuralj.cli.Main", "segment", "--model", NUCLEI.toString(), "--backend", spec,
                        "sample-data/images/synthetic-nuclei.tif", out.toString());
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("cold.log").toFile()).start();
                boolean done = p.waitFor(10, TimeUnit.MINUTES);
                s[i] = (System.nanoTime() - t0) / 1e9;
                if (!done || p.exitValue() != 0 || !Files.exists(out.resolve("synthetic-nuclei.tif"))) {
                    throw new IllegalStateException("cold start run failed on " + spec + ": " + Files.readString(work.resolve("cold.log")));
                }
            }
            Arrays.sort(s);
            String line = String.format("| %s | %.2f | %.2f – %.2f |%n", spec, s[1], s[0], s[2]);
            System.out.print("  " + line);
            sb.append(line);
        }
        return sb.toString();
    }

    /**
     * 16000 x 16000 8-bit images segmented by the CLI with the shipped nuclei U-Net in a child JVM with -Xmx3g,
     * default output (16-bit labels) and the card's rescaling: the sample image tiled (mirrored) at its own
     * scale, and with its nuclei twice as large (the plane is then shrunk for the network, band by band).
     * Time, peak resident memory, objects found and the resize line of the log.
     */
    static String huge(Path work) throws IOException, InterruptedException {
        int n = 16000;
        StringBuilder md = new StringBuilder(String.format("%n## A 16000 × 16000 image%n%n`java -Xmx3g ... neuralj segment --model "
                + "nuclei --backend cpu IMAGE OUT` (labels, the card's `rescale: auto`) on 16000 × 16000 8-bit images (256 Mpixel: "
                + "244 MiB as 8-bit, 488 MiB as 16-bit labels, 977 MiB as float) made by tiling `sample-data/images/synthetic-nuclei.tif` "
                + "(mirrored), in a child JVM; peak resident memory of the process sampled every 200 ms (heap, JIT, native buffers).%n%n"
                + "| image | time (s) | peak resident (MiB) | objects | resized |%n|---|---:|---:|---:|---|%n"));
        for (double scale : new double[] {1, 2}) {
            Path img = work.resolve("huge-x" + (int) scale + ".tif");
            ij.IJ.saveAsTiff(new ImagePlus("huge", tiledSample(n, scale)), img.toString());
            Path out = work.resolve("huge-out-x" + (int) scale);
            List<String> cmd = List.of(java(), "-Xmx3g", "--add-modules", "jdk.incubator.vector", "-cp",
                    System.getProperty("java.class.path"), "org.neuralj.cli.Main", "segment", "--model", "sample-data/models/nuclei.json",
                    "--backend", "cpu", img.toString(), out.toString());
            long t0 = System.nanoTime();
            Path logFile = work.resolve("huge-x" + (int) scale + ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            long peakKb = 0;
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                peakKb = Math.max(peakKb, residentKb(p.pid()));
            }
            double s = (System.nanoTime() - t0) / 1e9;
            String log = Files.readString(logFile);
            String what = scale == 1 ? "sample tiled, nuclei as in training" : "sample enlarged 2x, tiled";
            if (p.exitValue() != 0) {
                md.append(String.format("| %s | failed (exit %d) after %.0f s | %.0f | | %s |%n", what, p.exitValue(), s, peakKb / 1024.0,
                        log.strip().replace('\n', ' ').replace('|', '/')));
                continue;
            }
            java.util.regex.Matcher objects = java.util.regex.Pattern.compile(": (\\d+) object\\(s\\)").matcher(log);
            java.util.regex.Matcher resized = java.util.regex.Pattern.compile("resized by ([0-9.]+)").matcher(log);
            md.append(String.format("| %s | %.0f | %.0f | %s | %s |%n", what, s, peakKb / 1024.0, objects.find() ? objects.group(1) : "?",
                    resized.find() ? "by " + resized.group(1) : "no"));
        }
        return md.toString();
    }

    /** The sample image (8-bit) resized by {@code scale} and tiled, mirrored, to {@code n x n}. */
    private static ByteProcessor tiledSample(int n, double scale) {
        ImageProcessor sample = ij.IJ.openImage("sample-data/images/synthetic-nuclei.tif").getProcessor().convertToByte(true);
        sample.setInterpolationMethod(ImageProcessor.BILINEAR);
        sample = sample.resize((int) Math.round(sample.getWidth() * scale), (int) Math.round(sample.getHeight() * scale), scale < 1);
        int tw = sample.getWidth();
        int th = sample.getHeight();
        byte[] src = (byte[]) sample.getPixels();
        ByteProcessor bp = new ByteProcessor(n, n);
        byte[] px = (byte[]) bp.getPixels();
        for (int y = 0; y < n; y++) {
            int sy = (y / th) % 2 == 0 ? y % th : th - 1 - y % th;
            for (int x = 0; x < n; x++) {
                int sx = (x / tw) % 2 == 0 ? x % tw : tw - 1 - x % tw;
                px[y * n + x] = src[sy * tw + sx];
            }
        }
        return bp;
    }

    private static long residentKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process ended between the check and the read
        }
        return 0;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static ImagePlus image(int size) {
        ByteProcessor bp = new ByteProcessor(size, size);
        Random r = new Random(size);
        byte[] px = (byte[]) bp.getPixels();
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (20 + r.nextInt(20));
        }
        for (int k = 0; k < size * size / 2000; k++) {
            int cx = r.nextInt(size), cy = r.nextInt(size), rad = 5 + r.nextInt(8);
            for (int y = Math.max(0, cy - rad); y < Math.min(size, cy + rad); y++) {
                for (int x = Math.max(0, cx - rad); x < Math.min(size, cx + rad); x++) {
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad) {
                        px[y * size + x] = (byte) (150 + r.nextInt(40));
                    }
                }
            }
        }
        return new ImagePlus("bench" + size, bp);
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    private static double peakHeapMb() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum / 1048576.0;
    }
}
