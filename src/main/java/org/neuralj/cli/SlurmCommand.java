package org.neuralj.cli;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code neuralj slurm --tasks N [sbatch options] -- COMMAND ARGS...}: writes an sbatch job-array
 * script in which each of the N tasks runs {@code neuralj COMMAND ARGS} on its share of the inputs
 * (the batch commands read their shard from SLURM_ARRAY_TASK_ID). The script fixes the number of shards
 * ({@code NEURALJ_SHARDS=N}), so the task ID alone names the shard: resubmitting the same script after a
 * failure or a time-out redoes only the missing outputs, and resubmitting only some task IDs
 * ({@code sbatch --array=3,7 SCRIPT}) redoes exactly those tasks' shards.
 */
final class SlurmCommand implements Main.Command {
    /** Commands whose inputs a job array can split (each takes the batch options). */
    static final List<String> BATCH_COMMANDS = List.of("apply", "filter", "segment", "classify");

    @Override
    public String summary() {
        return "write an sbatch job-array script that runs a batch command over N tasks";
    }

    @Override
    public String usage() {
        return "usage: neuralj slurm --tasks N [options] -- COMMAND ARGS...\n"
                + "  Writes a SLURM job-array script; each of the N tasks runs 'neuralj COMMAND ARGS' on its\n"
                + "  share of the inputs (task ID K does shard K+1 of N). Submit it with sbatch; submit it again\n"
                + "  after a crash, kill or time-out and only the missing outputs are made; or resubmit only the\n"
                + "  failed task IDs: sbatch --array=3,7 SCRIPT (the same shards as in the first run).\n"
                + "  --tasks N          array size (required)\n"
                + "  --max-running M    at most M tasks at once (--array=...%M)\n"
                + "  --partition P      --time HH:MM:SS (default 01:00:00)   --mem 8G (default; -Xmx is 80% of it)\n"
                + "  --cpus C           CPU cores per task (default 4; the CPU backend uses them all)\n"
                + "  --gpus G           GPUs per task (--gres=gpu:G; the OpenCL backend takes the GPU)\n"
                + "  --gres SPEC        any other generic resource, e.g. gpu:a100:1\n"
                + "  --account A  --qos Q  --job-name NAME (default neuralj-COMMAND)\n"
                + "  --sbatch 'OPT'     an extra '#SBATCH OPT' line (repeatable)\n"
                + "  --setup 'CMD'      a shell line run before NeuralJ, e.g. 'module load Java/17' (repeatable)\n"
                + "  --java PATH        java on the compute nodes (default: the one running now)\n"
                + "  --log-dir DIR      where the task logs go (default slurm-logs; created now)\n"
                + "  --script FILE      the script to write (default neuralj-COMMAND.sbatch)\n"
                + "  example: neuralj slurm --tasks 8 --partition gpu --gpus 1 --time 02:00:00 \\\n"
                + "             -- apply net.onnx /data/raw --output /data/out";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.allowOnly("tasks", "max-running", "partition", "time", "mem", "cpus", "gpus", "gres", "account", "qos",
                "job-name", "sbatch", "setup", "java", "log-dir", "script");
        if (!args.positional().isEmpty()) {
            throw new Main.UsageException("unexpected '" + args.positional().get(0) + "': put the command after '--'");
        }
        List<String> inner = args.afterDashDash();
        if (inner.isEmpty()) {
            throw new Main.UsageException("missing the command to run: ... -- apply MODEL.onnx INPUT --output OUT");
        }
        String command = inner.get(0);
        if (!BATCH_COMMANDS.contains(command) || !Main.COMMANDS.containsKey(command)) {
            throw new Main.UsageException("'" + command + "' is not a batch command; one of "
                    + BATCH_COMMANDS.stream().filter(Main.COMMANDS::containsKey).toList());
        }
        if (inner.stream().anyMatch(w -> w.equals("--shard") || w.startsWith("--shard="))) {
            throw new Main.UsageException("leave out --shard: each task takes its part from SLURM_ARRAY_TASK_ID");
        }
        int tasks = positiveInt(args, "tasks", null);
        int cpus = positiveInt(args, "cpus", "4");
        String mem = args.option("mem", "8G");
        long memMb = megabytes(mem);
        String jobName = args.option("job-name", "neuralj-" + command);
        Path logDir = Path.of(args.option("log-dir", "slurm-logs")).toAbsolutePath().normalize();
        Path script = Path.of(args.option("script", "neuralj-" + command + ".sbatch"));
        Path workDir = Path.of("").toAbsolutePath();

        StringBuilder s = new StringBuilder();
        s.append("#!/bin/bash\n");
        s.append("# NeuralJ job array, written by: neuralj slurm ...\n");
        s.append("# Submit:   sbatch ").append(script.getFileName()).append('\n');
        s.append("# Resume:   submit the same script again; outputs that exist are skipped.\n");
        s.append("#           Or only the failed tasks: sbatch --array=3,7 ").append(script.getFileName())
                .append(" (task K always does shard K+1 of ").append(tasks).append(")\n");
        s.append("# Progress: tail ").append(logDir).append("/*.out\n");
        s.append("#SBATCH --job-name=").append(jobName).append('\n');
        String maxRunning = args.option("max-running", null);
        s.append("#SBATCH --array=0-").append(tasks - 1).append(maxRunning != null ? "%" + positiveInt(args, "max-running", null) : "").append('\n');
        s.append("#SBATCH --ntasks=1\n");
        s.append("#SBATCH --cpus-per-task=").append(cpus).append('\n');
        s.append("#SBATCH --mem=").append(mem).append('\n');
        s.append("#SBATCH --time=").append(args.option("time", "01:00:00")).append('\n');
        s.append("#SBATCH --chdir=").append(workDir).append('\n');
        s.append("#SBATCH --output=").append(logDir).append("/%x-%A_%a.out\n");
        optionLine(s, "partition", args.option("partition", null));
        optionLine(s, "account", args.option("account", null));
        optionLine(s, "qos", args.option("qos", null));
        String gpus = args.option("gpus", null);
        if (gpus != null) {
            s.append("#SBATCH --gres=gpu:").append(positiveInt(args, "gpus", null)).append('\n');
        }
        optionLine(s, "gres", args.option("gres", null));
        for (String extra : args.options("sbatch")) {
            s.append("#SBATCH ").append(extra.startsWith("--") ? extra : "--" + extra).append('\n');
        }
        s.append("set -euo pipefail\n");
        for (String line : args.options("setup")) {
            s.append(line).append('\n');
        }
        // the shard count is fixed here, not taken from the array, so a resubmitted subset of task IDs
        // (sbatch --array=3,7) does exactly the shards those tasks had in the first run
        s.append("export ").append(Shard.SHARDS_VARIABLE).append('=').append(tasks).append('\n');
        s.append("echo \"NeuralJ task ${SLURM_ARRAY_TASK_ID} (shard $((SLURM_ARRAY_TASK_ID + 1)) of ").append(tasks)
                .append(") on $(hostname)\"\n");
        String java = args.option("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add("-Xmx" + Math.max(256, memMb * 4 / 5) + "m");
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(Main.class.getName());
        cmd.addAll(inner);
        // the JVM uses the cores SLURM gave the task (ActiveProcessorCount), whatever the node has
        s.append("exec ").append(shellQuote(java)).append(" -XX:ActiveProcessorCount=\"${SLURM_CPUS_PER_TASK:-")
                .append(cpus).append("}\"");
        for (String w : cmd) {
            s.append(' ').append(shellQuote(w));
        }
        s.append('\n');

        Files.createDirectories(logDir);
        Path parent = script.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        org.neuralj.io.AtomicFiles.writeString(script, s.toString());
        try {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: sbatch does not need the execute bit
        }
        out.println("wrote " + script + " (" + tasks + " tasks, " + cpus + " CPUs and " + mem + " each"
                + (gpus != null ? ", " + gpus + " GPU(s)" : "") + "); submit with: sbatch " + script);
    }

    private static void optionLine(StringBuilder s, String name, String value) {
        if (value != null) {
            if (value.contains("\n")) {
                throw new Main.UsageException("--" + name + " must be one line");
            }
            s.append("#SBATCH --").append(name).append('=').append(value).append('\n');
        }
    }

    private static int positiveInt(Args args, String name, String defaultValue) {
        String v = args.option(name, defaultValue);
        if (v == null) {
            throw new Main.UsageException("--" + name + " N is required");
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through
        }
        throw new Main.UsageException("--" + name + " needs a whole number >= 1, not '" + v + "'");
    }

    /** SLURM memory: a number with an optional K/M/G/T suffix, megabytes without one. */
    static long megabytes(String mem) {
        String m = mem.trim().toUpperCase(Locale.ROOT);
        try {
            char unit = m.isEmpty() ? 'M' : m.charAt(m.length() - 1);
            if (Character.isDigit(unit)) {
                return Long.parseLong(m);
            }
            long n = Long.parseLong(m.substring(0, m.length() - 1));
            return switch (unit) {
                case 'K' -> Math.max(1, n / 1024);
                case 'M' -> n;
                case 'G' -> n * 1024;
                case 'T' -> n * 1024 * 1024;
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new Main.UsageException("bad --mem '" + mem + "': write e.g. 8G or 8000M");
        }
    }

    /** The class path of this JVM with absolute entries (the jar's manifest brings its jars/ along). */
    private static String classPath() {
        List<String> parts = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                parts.add(Path.of(p).toAbsolutePath().normalize().toString());
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    static String shellQuote(String w) {
        if (w.matches("[A-Za-z0-9_./:=+@%,-]+")) {
            return w;
        }
        return "'" + w.replace("'", "'\\''") + "'";
    }
}
