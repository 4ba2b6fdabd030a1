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

    /**
     * The shard of a SLURM job-array task: {@code (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) /
     * SLURM_ARRAY_TASK_STEP} of {@code SLURM_ARRAY_TASK_COUNT}; {@link #ALL} outside a job array.
     * Works for any contiguous range ({@code --array=0-9}, {@code 1-10}, {@code 0-18:2}, with or
     * without a {@code %} limit); a list like {@code 1,5,7} fails with a message.
     */
    static Shard fromEnvironment(Map<String, String> env) {
        String id = env.get("SLURM_ARRAY_TASK_ID");
        String count = env.get("SLURM_ARRAY_TASK_COUNT");
        if (id == null || count == null) {
            return ALL;
        }
        try {
            int taskId = Integer.parseInt(id.trim());
            int n = Integer.parseInt(count.trim());
            int min = Integer.parseInt(env.getOrDefault("SLURM_ARRAY_TASK_MIN", "0").trim());
            int step = Integer.parseInt(env.getOrDefault("SLURM_ARRAY_TASK_STEP", "1").trim());
            int offset = taskId - min;
            if (step < 1 || offset % step != 0 || offset / step >= n) {
                throw new Main.UsageException("SLURM array task " + taskId + " is not part of a contiguous range "
                        + min + "-" + (min + (n - 1) * step) + (step > 1 ? ":" + step : "")
                        + "; submit with --array=0-" + (n - 1) + " (or give --shard I/N)");
            }
            return new Shard(offset / step, n, "SLURM_ARRAY_TASK_ID=" + taskId);
        } catch (NumberFormatException e) {
            throw new Main.UsageException("cannot read the SLURM array variables (SLURM_ARRAY_TASK_ID=" + id
                    + ", SLURM_ARRAY_TASK_COUNT=" + count + "): " + e.getMessage());
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
