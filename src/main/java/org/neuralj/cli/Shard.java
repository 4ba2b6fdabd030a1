package org.neuralj.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One part of a batch split over several processes: input number {@code k} (0-based, in the sorted
 * order {@link Inputs} gives) belongs to shard {@code k mod count}, so every input is processed by
 * exactly one shard and neighbouring (often similar-sized) files are spread over all of them.
 *
 * @param index 0-based shard number, {@code 0 <= index < count}
 * @param count number of shards
 * @param origin where it came from, for the log: "--shard", "SLURM_ARRAY_TASK_ID" or "none"
 */
record Shard(int index, int count, String origin) {
    static final Shard ALL = new Shard(0, 1, "none");

    Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new Main.UsageException("bad shard " + (index + 1) + "/" + count + ": need 1 <= I <= N");
        }
    }

    /** {@code --shard I/N} with I counted from 1 (1/4 ... 4/4). */
    static Shard parse(String spec) {
        int slash = spec.indexOf('/');
        try {
            if (slash > 0) {
                return new Shard(Integer.parseInt(spec.substring(0, slash).trim()) - 1,
                        Integer.parseInt(spec.substring(slash + 1).trim()), "--shard");
            }
        } catch (NumberFormatException e) {
            // falls through to the usage error
        }
        throw new Main.UsageException("bad --shard '" + spec + "': write I/N with 1 <= I <= N, e.g. --shard 2/4");
    }

    /** Set by the script {@code neuralj slurm} writes: the number of shards, fixed whatever tasks run. */
    static final String SHARDS_VARIABLE = "NEURALJ_SHARDS";

    /**
     * The shard of a SLURM job-array task; {@link #ALL} outside a job array.
     *
     * <p>With {@code NEURALJ_SHARDS=N} (the script {@code neuralj slurm} writes exports it) the task ID
     * is the shard number itself, 0 to N-1, whatever array was submitted: {@code sbatch --array=0-15},
     * a list such as {@code --array=2,7,9} or one task {@code --array=7} each do exactly the same shards,
     * so resubmitting only the failed task IDs finishes exactly what they left.
     *
     * <p>Without it the shards are counted from the array itself: {@code (SLURM_ARRAY_TASK_ID -
     * SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP} of {@code SLURM_ARRAY_TASK_COUNT}, which is right only
     * for a whole contiguous range ({@code 0-9}, {@code 1-10}, {@code 0-18:2}, with or without a
     * {@code %} limit); an array that is not one (a list) fails with a message, since a subset would
     * split the inputs differently from the full run.
     */
    static Shard fromEnvironment(Map<String, String> env) {
        String id = env.get("SLURM_ARRAY_TASK_ID");
        if (id == null) {
            return ALL;
        }
        String fixed = env.get(SHARDS_VARIABLE);
        if (fixed != null) {
            int taskId = number(env, "SLURM_ARRAY_TASK_ID");
            int n = number(env, SHARDS_VARIABLE);
            if (n < 1 || taskId < 0 || taskId >= n) {
                throw new Main.UsageException("SLURM array task " + taskId + " is not a shard of " + SHARDS_VARIABLE + "=" + n
                        + ": task IDs must be 0-" + (n - 1) + " (e.g. sbatch --array=0-" + (n - 1) + " or a list such as --array=1,5)");
            }
            return new Shard(taskId, n, "SLURM_ARRAY_TASK_ID=" + taskId + ", " + SHARDS_VARIABLE + "=" + n);
        }
        if (env.get("SLURM_ARRAY_TASK_COUNT") == null) {
            return ALL;
        }
        int taskId = number(env, "SLURM_ARRAY_TASK_ID");
        int n = number(env, "SLURM_ARRAY_TASK_COUNT");
        int min = env.containsKey("SLURM_ARRAY_TASK_MIN") ? number(env, "SLURM_ARRAY_TASK_MIN") : 0;
        int step = env.containsKey("SLURM_ARRAY_TASK_STEP") ? number(env, "SLURM_ARRAY_TASK_STEP") : 1;
        int max = env.containsKey("SLURM_ARRAY_TASK_MAX") ? number(env, "SLURM_ARRAY_TASK_MAX") : min + (n - 1) * step;
        int offset = taskId - min;
        if (step < 1 || offset % step != 0 || offset / step >= n || max != min + (n - 1) * step) {
            throw new Main.UsageException("SLURM array task " + taskId + " is not part of one contiguous range ("
                    + n + " tasks from " + min + " to " + max + (step > 1 ? " step " + step : "") + "), so the shards cannot be"
                    + " counted from the array; set " + SHARDS_VARIABLE + "=N in the job script (the task ID is then the shard,"
                    + " 0 to N-1; `neuralj slurm` writes it) or give --shard I/N");
        }
        return new Shard(offset / step, n, "SLURM_ARRAY_TASK_ID=" + taskId);
    }

    private static int number(Map<String, String> env, String name) {
        String v = env.get(name);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new Main.UsageException("cannot read the SLURM array variable " + name + "='" + v + "': not a whole number");
        }
    }

    /** The inputs of this shard, in their order. */
    <T> List<T> select(List<T> all) {
        if (count == 1) {
            return all;
        }
        List<T> mine = new ArrayList<>();
        for (int k = index; k < all.size(); k += count) {
            mine.add(all.get(k));
        }
        return mine;
    }

    @Override
    public String toString() {
        return (index + 1) + "/" + count;
    }
}
