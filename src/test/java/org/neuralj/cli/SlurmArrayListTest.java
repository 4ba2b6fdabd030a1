package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.samples.SampleData;

/**
 * SLURM job arrays given as lists ({@code sbatch --array=1,3}, typically resubmitting only the failed
 * task IDs): with the shard count fixed by {@code NEURALJ_SHARDS} (the script {@code neuralj slurm}
 * writes sets it) each task ID does the same shard whatever else was submitted with it; without it a
 * list is refused rather than split differently from the full run.
 */
class SlurmArrayListTest {
    private static final String MODEL = "sample-data/models/blob-detector.onnx";

    /** The variables SLURM sets for task {@code id} of an array with these IDs (as sbatch computes them). */
    private static Map<String, String> slurm(int id, List<Integer> ids, Integer fixedShards) {
        Map<String, String> env = new HashMap<>();
        env.put("SLURM_ARRAY_TASK_ID", Integer.toString(id));
        env.put("SLURM_ARRAY_TASK_COUNT", Integer.toString(ids.size()));
        env.put("SLURM_ARRAY_TASK_MIN", Integer.toString(ids.stream().min(Integer::compare).orElseThrow()));
        env.put("SLURM_ARRAY_TASK_MAX", Integer.toString(ids.stream().max(Integer::compare).orElseThrow()));
        env.put("SLURM_ARRAY_TASK_STEP", "1");
        if (fixedShards != null) {
            env.put(Shard.SHARDS_VARIABLE, Integer.toString(fixedShards));
        }
        return env;
    }

    @Test
    void withAFixedShardCountAListOfTaskIdsDoesExactlyTheShardsOfTheFullRun() {
        List<Integer> inputs = IntStream.range(0, 23).boxed().toList();
        List<Integer> full = List.of(0, 1, 2, 3, 4, 5);
        Map<Integer, List<Integer>> firstRun = new HashMap<>();
        List<Integer> all = new ArrayList<>();
        for (int id : full) {
            List<Integer> mine = Shard.fromEnvironment(slurm(id, full, 6)).select(inputs);
            firstRun.put(id, mine);
            all.addAll(mine);
        }
        assertEquals(inputs, all.stream().sorted().toList(), "the full array does every input exactly once");
        for (List<Integer> resubmitted : List.of(List.of(1, 4), List.of(0, 2, 5), List.of(3), List.of(5, 0))) {
            for (int id : resubmitted) {
                Shard s = Shard.fromEnvironment(slurm(id, resubmitted, 6));
                assertEquals(id, s.index());
                assertEquals(6, s.count());
                assertEquals(firstRun.get(id), s.select(inputs), "task " + id + " of --array=" + resubmitted + " redoes its shard");
            }
        }
        Main.UsageException e = assertThrows(Main.UsageException.class, () -> Shard.fromEnvironment(slurm(6, List.of(6), 6)));
        assertTrue(e.getMessage().contains("NEURALJ_SHARDS=6") && e.getMessage().contains("0-5"), e.getMessage());
    }

    @Test
    void withoutAFixedShardCountAListIsRefusedAndAWholeRangeStillWorks() {
        Main.UsageException e = assertThrows(Main.UsageException.class,
                () -> Shard.fromEnvironment(slurm(3, List.of(1, 3), null)));
        assertTrue(e.getMessage().contains("NEURALJ_SHARDS") && e.getMessage().contains("--shard"), e.getMessage());
        assertThrows(Main.UsageException.class, () -> Shard.fromEnvironment(slurm(0, List.of(0, 2, 3), null)));
        Shard s = Shard.fromEnvironment(slurm(2, List.of(1, 2, 3, 4), null));
        assertEquals("2/4", s.toString());
        assertEquals("SLURM_ARRAY_TASK_ID=2", s.origin());
    }

    /**
     * The script {@code neuralj slurm} writes, run by bash as SLURM would run its tasks: a first
     * submission of tasks 0 and 2 only, then a resubmission of task 1 alone. Together they write every
     * output once, and each task writes exactly the inputs of its shard of the full 3-task array.
     */
    @Test
    void theWrittenScriptRunAsAListDoesTheSameShards(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in);
        for (int i = 0; i < 7; i++) {
            IJ.saveAsTiff(SampleData.syntheticNuclei(48, 48, 3, 10 + i), in.resolve(String.format("f%d.tif", i)).toString());
        }
        Path script = tmp.resolve("job.sbatch");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"slurm", "--tasks", "3", "--cpus", "1", "--mem", "1G", "--log-dir", tmp.resolve("logs").toString(),
            "--script", script.toString(), "--", "apply", Path.of(MODEL).toAbsolutePath().toString(), in.toString(), "--output",
            tmp.resolve("out").toString(), "--backend", "cpu", "--progress", "lines"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(Files.readString(script).contains("export NEURALJ_SHARDS=3\n"), Files.readString(script));

        // shard k of 3 holds inputs k, k+3, ... in sorted order: f0 f3 f6 | f1 f4 | f2 f5
        assertEquals(List.of("f0.tif", "f3.tif", "f6.tif"), runTask(script, 0, "0,2", tmp));
        assertEquals(List.of("f2.tif", "f5.tif"), runTask(script, 2, "0,2", tmp));
        assertEquals(5, outputs(tmp.resolve("out")).size());
        assertEquals(List.of("f1.tif", "f4.tif"), runTask(script, 1, "1", tmp));
        assertEquals(List.of("f0.tif", "f1.tif", "f2.tif", "f3.tif", "f4.tif", "f5.tif", "f6.tif"), outputs(tmp.resolve("out")));
    }

    /** Runs the script as array task ID of an array submitted as {@code --array=LIST}; returns what it wrote. */
    private static List<String> runTask(Path script, int id, String list, Path tmp) throws Exception {
        List<String> before = outputs(tmp.resolve("out"));
        List<Integer> ids = Stream.of(list.split(",")).map(Integer::parseInt).toList();
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().putAll(slurm(id, ids, null));   // the script itself adds NEURALJ_SHARDS
        pb.environment().put("SLURM_CPUS_PER_TASK", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "task " + id + " finished");
        assertEquals(0, p.exitValue(), "task " + id + " of --array=" + list + ":\n" + log);
        assertTrue(log.contains("shard " + (id + 1) + "/3 (SLURM_ARRAY_TASK_ID=" + id + ", NEURALJ_SHARDS=3)"), log);
        List<String> written = new ArrayList<>(outputs(tmp.resolve("out")));
        written.removeAll(before);
        return written;
    }

    private static List<String> outputs(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(new TreeSet<>(s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList()));
        }
    }
}
