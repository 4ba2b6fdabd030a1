package org.neuralj.backend.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.neuralj.backend.DeviceInfo;

/**
 * Work-group shapes chosen by timing, once per device and kernel geometry, and kept in a file per device, so a later
 * run (any process) launches the chosen shape at once. A choice only moves work between work-items: every candidate
 * computes each output with the same sums in the same order, so tuning never changes a result.
 *
 * <p>{@code -Dneuralj.opencl.tune}: {@code gpu} (the default: GPUs, whose speed depends on the shape, are tuned; CPU
 * drivers such as PoCL, where the conv kernels' local size moved ResNet-18 and the U-Net by less than the run-to-run
 * noise, take the built-in shapes), {@code all}, or {@code false}. {@code -Dneuralj.opencl.tuningDir} (default
 * {@code ~/.neuralj/opencl-tuning}) holds one {@code .properties} file per device and driver version.
 */
final class LaunchTuner {
    private static final System.Logger LOG = System.getLogger("org.neuralj");
    /** Timed launches per candidate, after one untimed (which also builds the candidate's program). */
    static final int RUNS = 3;

    private final Path file;
    private final Properties chosen = new Properties();
    private boolean saveFailed;
    private int tuned;

    /** A tuner keeping its choices in {@code file} (read now if it exists), or in memory only when {@code file} is null. */
    LaunchTuner(Path file) {
        this.file = file;
        if (file != null && Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                chosen.load(in);
            } catch (IOException | IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "ignoring the unreadable tuning file " + file + " (tuning again): " + e);
                chosen.clear();
            }
        }
    }

    /** The tuner the system properties ask for on this device, or null for the built-in shapes. */
    static LaunchTuner forDevice(DeviceInfo info) {
        String mode = System.getProperty("neuralj.opencl.tune", "gpu").trim().toLowerCase(java.util.Locale.ROOT);
        boolean gpu = info.type().contains("GPU");
        if (mode.equals("false") || mode.equals("gpu") && !gpu) {
            return null;
        }
        if (!mode.equals("gpu") && !mode.equals("all") && !mode.equals("true")) {
            throw new IllegalArgumentException("-Dneuralj.opencl.tune=" + mode + ": use gpu (the default), all or false");
        }
        Path dir = Path.of(System.getProperty("neuralj.opencl.tuningDir",
                Path.of(System.getProperty("user.home"), ".neuralj", "opencl-tuning").toString()));
        return new LaunchTuner(dir.resolve(fileName(info)));
    }

    /** Device name and driver version as a file name: letters, digits, '.', '-' and '_' only. */
    static String fileName(DeviceInfo info) {
        String raw = (info.name().trim() + "_" + info.version().trim()).replaceAll("[^A-Za-z0-9._-]+", "_");
        return raw.replaceAll("_+", "_") + ".properties";
    }

    /** Kernels timed (not read from the file) by this tuner so far. */
    synchronized int tunedCount() {
        return tuned;
    }

    /**
     * The candidate to launch for {@code key} (a kernel and its geometry): the one chosen before, or each in turn run
     * by {@code launchAndWait} (which must finish the work before it returns) and the fastest by median kept. The
     * first candidate is the built-in shape; candidates are compared by their text, so a file written for another
     * candidate list is tuned again.
     */
    synchronized int[] choose(String key, List<int[]> candidates, Consumer<int[]> launchAndWait) {
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        String known = chosen.getProperty(key);
        if (known != null) {
            for (int[] c : candidates) {
                if (text(c).equals(known)) {
                    return c;
                }
            }
        }
        if (tuned == 0) {
            LOG.log(System.Logger.Level.INFO, "NeuralJ: timing OpenCL work-group shapes, once per layer shape"
                    + (file != null ? "; kept in " + file : ""));
        }
        int[] best = candidates.get(0);
        long bestNanos = Long.MAX_VALUE;
        for (int[] c : candidates) {
            launchAndWait.accept(c);
            long[] t = new long[RUNS];
            for (int r = 0; r < RUNS; r++) {
                long t0 = System.nanoTime();
                launchAndWait.accept(c);
                t[r] = System.nanoTime() - t0;
            }
            Arrays.sort(t);
            if (t[RUNS / 2] < bestNanos) {
                bestNanos = t[RUNS / 2];
                best = c;
            }
        }
        tuned++;
        chosen.setProperty(key, text(best));
        save();
        return best;
    }

    private static String text(int[] candidate) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < candidate.length; i++) {
            sb.append(i == 0 ? "" : ",").append(candidate[i]);
        }
        return sb.toString();
    }

    /** Written whole to a temporary file and moved over the old one, so a crash never leaves half a file. */
    private void save() {
        if (file == null || saveFailed) {
            return;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                chosen.store(out, "NeuralJ OpenCL work-group shapes chosen by timing; delete this file to tune again");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            saveFailed = true; // keep tuning in memory; warn once
            LOG.log(System.Logger.Level.WARNING, "cannot write the tuning file " + file + " (choices kept for this run only): " + e);
        }
    }
}
