package org.neuralj.cli;

import ij.ImagePlus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Warnings;
import org.neuralj.io.AtomicFiles;

/**
 * Runs one action over the inputs of a batch, the same way for every command: each input's output is
 * written to a hidden temporary file beside its target and renamed into place ({@link AtomicFiles}), so
 * an output that exists is complete and a full disk leaves no partial file; existing outputs are skipped (a rerun after a crash or {@code scancel} resumes)
 * unless {@code --overwrite}; one failing input is reported and the batch goes on; progress is a bar
 * on a terminal and a line per file otherwise; a summary (or JSON) ends the run.
 *
 * <p>A command uses it in two steps, so usage errors come before any slow set-up:
 * <pre>{@code
 * BatchOptions batch = BatchOptions.parse(args, 1, System.getenv());
 * BatchRunner.Plan plan = BatchRunner.plan(batch);          // inputs, shard, outputs; exit 2 on bad usage
 * try (var engine = ...open the model / filter once...) {
 *     BatchRunner.run("apply", plan, BatchRunner.images(imp -> engine.apply(imp)), out, err);
 * }                                                         // throws NeuralJException (exit 1) if any input failed
 * }</pre>
 */
final class BatchRunner {

    /** Turns one input image into one output image (the input is closed by the runner). */
    @FunctionalInterface
    interface ImageAction {
        ImagePlus apply(ImagePlus input) throws Exception;
    }

    /** Reads {@code input} and writes the whole output to {@code temporaryOutput} (renamed by the runner). */
    @FunctionalInterface
    interface FileAction {
        void process(Path input, Path temporaryOutput) throws Exception;
    }

    /** One input and where its output goes. */
    record Task(Inputs.Input input, Path output) {
    }

    /**
     * What this process will do.
     *
     * @param total inputs over all shards
     * @param tasks this shard's inputs, in order
     */
    record Plan(BatchOptions options, int total, List<Task> tasks) {
    }

    /** How one input ended. */
    enum Status {
        WRITTEN, SKIPPED, FAILED
    }

    record FileResult(Task task, Status status, long millis, String error) {
    }

    /** {@code warnings}: raised during the run (a fall-back to the CPU), each once. */
    record Summary(String command, Plan plan, List<FileResult> results, double seconds, List<String> warnings) {
        long count(Status s) {
            return results.stream().filter(r -> r.status() == s).count();
        }
    }

    private BatchRunner() {
    }

    /** The output of every input is a TIFF: the input's path below its folder, ".tif" (with the suffix). */
    static Plan plan(BatchOptions o) {
        return plan(o, ".tif");
    }

    static Plan plan(BatchOptions o, String extension) {
        List<Inputs.Input> all = Inputs.resolve(o.inputs(), o.globs(), o.singleFile() ? null : o.output());
        if (all.isEmpty()) {
            throw new Main.UsageException("no input images found in " + o.inputs()
                    + (o.globs().isEmpty() ? " (looked for " + String.join(", ", new java.util.TreeSet<>(Inputs.IMAGE_EXTENSIONS))
                            + "; use --glob to choose others)" : " matching --glob " + o.globs()));
        }
        List<Task> tasks = new ArrayList<>();
        Map<Path, Inputs.Input> byOutput = new HashMap<>();
        for (Inputs.Input in : all) {
            Path target = o.singleFile() ? o.output() : o.output().resolve(outputName(in.relative(), o.suffix(), extension));
            Path key = target.toAbsolutePath().normalize();
            if (key.equals(in.source().toAbsolutePath().normalize())) {
                throw new Main.UsageException("the output of " + in.source() + " would replace it: choose another --output or a --suffix");
            }
            Inputs.Input other = byOutput.put(key, in);
            if (other != null) {
                throw new Main.UsageException(other.source() + " and " + in.source() + " would both write " + target
                        + ": rename one, or choose files with --glob");
            }
            tasks.add(new Task(in, target));
        }
        return new Plan(o, tasks.size(), o.shard().select(tasks));
    }

    static Path outputName(Path relative, String suffix, String extension) {
        String name = relative.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        int dot = lower.endsWith(".ome.tif") || lower.endsWith(".ome.tiff") ? lower.lastIndexOf(".ome.") : name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        Path parent = relative.getParent();
        String file = stem + suffix + extension;
        return parent == null ? Path.of(file) : parent.resolve(file);
    }

    /** Opens each input with ImageJ, applies {@code action}, saves the result as TIFF. */
    static FileAction images(ImageAction action) {
        return (input, temporaryOutput) -> {
            ImagePlus imp = org.neuralj.image.ImageFiles.open(input);
            try {
                ImagePlus result = action.apply(imp);
                if (result == null) {
                    throw new NeuralJException("no output image");
                }
                try (java.io.OutputStream out = AtomicFiles.newOutputStream(temporaryOutput)) {
                    org.neuralj.image.ImageFiles.writeTiff(result, out);
                }
                if (result != imp) {
                    result.close();
                }
            } finally {
                imp.close();
            }
        };
    }

    /**
     * Runs {@code action} on every task of {@code plan}. Returns the summary when every input is done
     * (written now or before); throws a {@link NeuralJException} naming the count when some failed,
     * after the summary has listed them.
     */
    static Summary run(String command, Plan plan, FileAction action, PrintStream out, PrintStream err) {
        BatchOptions o = plan.options();
        PrintStream lines = o.json() ? err : out;
        BatchOptions.Progress mode = o.progress();
        if (mode == BatchOptions.Progress.AUTO) {
            boolean terminal = (out == Main.stdout || out == System.out) && System.console() != null;
            mode = !o.json() && terminal ? BatchOptions.Progress.BAR : BatchOptions.Progress.LINES;
        }
        ProgressView view = new ProgressView(mode, lines, plan.tasks().size());
        if (o.shard().count() > 1 && mode != BatchOptions.Progress.NONE) {
            lines.printf("%s: shard %s (%s): %d of %d inputs%n", command, o.shard(), o.shard().origin(), plan.tasks().size(), plan.total());
        }
        List<FileResult> results = new ArrayList<>();
        int warnings = Warnings.mark();
        long t0 = System.nanoTime();
        for (Task task : plan.tasks()) {
            FileResult r = runOne(task, action, o.overwrite());
            results.add(r);
            view.done(r);
        }
        view.finish();
        Summary summary = new Summary(command, plan, results, (System.nanoTime() - t0) / 1e9, Warnings.since(warnings));
        if (o.json()) {
            out.println(json(summary));
        } else {
            printSummary(summary, out);
        }
        long failed = summary.count(Status.FAILED);
        if (failed > 0) {
            throw new NeuralJException(failed + " of " + results.size() + " input(s) failed (listed above)");
        }
        return summary;
    }

    private static FileResult runOne(Task task, FileAction action, boolean overwrite) {
        Path target = task.output();
        long t0 = System.nanoTime();
        try {
            if (!overwrite && Files.isRegularFile(target) && Files.size(target) > 0) {
                return new FileResult(task, Status.SKIPPED, 0, null);
            }
            if (!Files.isRegularFile(task.input().source())) {
                throw new NeuralJException("no such file");
            }
            // hidden temporary beside the target, renamed into place: an output that exists is complete
            AtomicFiles.writeFile(target, temporary -> action.process(task.input().source(), temporary));
            return new FileResult(task, Status.WRITTEN, (System.nanoTime() - t0) / 1_000_000, null);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            return new FileResult(task, Status.FAILED, (System.nanoTime() - t0) / 1_000_000, describe(e, task.input().source()));
        }
    }

    /** The reason, without a leading "INPUT: " (the report already names the input). */
    private static String describe(Throwable e, Path input) {
        String m = e.getMessage();
        if (e instanceof NeuralJException && m != null) {
            String prefix = input + ": ";
            return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
        }
        return e.getClass().getSimpleName() + (m != null ? ": " + m : "");
    }

    private static void printSummary(Summary s, PrintStream out) {
        long written = s.count(Status.WRITTEN);
        long skipped = s.count(Status.SKIPPED);
        long failed = s.count(Status.FAILED);
        BatchOptions o = s.plan().options();
        String shard = o.shard().count() > 1 ? " (shard " + o.shard() + " of " + s.plan().total() + ")" : "";
        out.printf(Locale.ROOT, "%s: %d input(s)%s: %d written, %d skipped (output exists%s), %d failed in %.1f s%s%n",
                s.command(), s.results().size(), shard, written, skipped, o.overwrite() ? "" : "; --overwrite redoes them",
                failed, s.seconds(), written > 0 ? String.format(Locale.ROOT, " (%.2f images/s)", written / Math.max(s.seconds(), 1e-9)) : "");
        if (failed > 0) {
            out.println("failed:");
            for (FileResult r : s.results()) {
                if (r.status() == Status.FAILED) {
                    out.println("  " + r.task().input().source() + ": " + r.error());
                }
            }
        }
        printWarnings(s.warnings(), out);
    }

    /** The warnings of a run, after its summary (also used by commands with their own summary). */
    static void printWarnings(List<String> warnings, PrintStream out) {
        for (String w : warnings) {
            out.println("warning: " + w);
        }
    }

    static String json(Summary s) {
        BatchOptions o = s.plan().options();
        StringBuilder b = new StringBuilder();
        b.append("{\"command\":").append(q(s.command()))
                .append(",\"shard\":").append(q(o.shard().toString()))
                .append(",\"total_inputs\":").append(s.plan().total())
                .append(",\"inputs\":").append(s.results().size())
                .append(",\"written\":").append(s.count(Status.WRITTEN))
                .append(",\"skipped\":").append(s.count(Status.SKIPPED))
                .append(",\"failed\":").append(s.count(Status.FAILED))
                .append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", s.seconds()))
                .append(",\"files\":[");
        for (int i = 0; i < s.results().size(); i++) {
            FileResult r = s.results().get(i);
            b.append(i == 0 ? "" : ",").append("{\"input\":").append(q(r.task().input().source().toString()))
                    .append(",\"output\":").append(q(r.task().output().toString()))
                    .append(",\"status\":").append(q(r.status().name().toLowerCase(Locale.ROOT)))
                    .append(",\"ms\":").append(r.millis());
            if (r.error() != null) {
                b.append(",\"error\":").append(q(r.error()));
            }
            b.append('}');
        }
        b.append("],\"warnings\":[");
        for (int i = 0; i < s.warnings().size(); i++) {
            b.append(i == 0 ? "" : ",").append(q(s.warnings().get(i)));
        }
        return b.append("]}").toString();
    }

    private static String q(String s) {
        return org.neuralj.image.Json.quote(s);
    }

    /** A bar with rate and ETA redrawn in place, or one line per file, or nothing. */
    private static final class ProgressView {
        private final BatchOptions.Progress mode;
        private final PrintStream out;
        private final int total;
        private final long t0 = System.nanoTime();
        private int done;
        private int processed;
        private long lastDraw;

        ProgressView(BatchOptions.Progress mode, PrintStream out, int total) {
            this.mode = mode;
            this.out = out;
            this.total = total;
        }

        void done(FileResult r) {
            done++;
            if (r.status() != Status.SKIPPED) {
                processed++;
            }
            String name = r.task().input().display();
            switch (mode) {
                case LINES -> {
                    String width = String.valueOf(total);
                    String head = String.format("[%" + width.length() + "d/%s] %s", done, width, name);
                    out.println(switch (r.status()) {
                        case WRITTEN -> head + " -> " + r.task().output() + " (" + r.millis() + " ms)";
                        case SKIPPED -> head + " skipped: " + r.task().output() + " exists";
                        case FAILED -> head + " FAILED: " + r.error();
                    });
                }
                case BAR -> {
                    if (r.status() == Status.FAILED) {
                        out.print("\r\033[K");
                        out.println("FAILED " + name + ": " + r.error());
                    }
                    long now = System.nanoTime();
                    if (now - lastDraw > 100_000_000L || done == total || r.status() == Status.FAILED) {
                        lastDraw = now;
                        draw(name);
                    }
                }
                default -> {
                }
            }
        }

        private void draw(String name) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            double rate = processed / Math.max(seconds, 1e-9);
            int width = 30;
            int filled = total == 0 ? width : (int) ((long) width * done / total);
            String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
            String eta = processed == 0 ? "--:--" : clock((total - done) / Math.max(rate, 1e-9));
            String text = String.format(Locale.ROOT, "\r%d/%d [%s] %3d%% %.2f img/s ETA %s %s", done, total, bar,
                    total == 0 ? 100 : 100 * done / total, rate, eta, name);
            out.print(text.length() > 110 ? text.substring(0, 110) : text);
            out.print("\033[K");
            out.flush();
        }

        void finish() {
            if (mode == BatchOptions.Progress.BAR) {
                out.println();
            }
        }

        private static String clock(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
        }
    }
}
