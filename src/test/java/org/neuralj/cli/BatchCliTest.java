package org.neuralj.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.neuralj.cli.CliRun.neuralj;

import ij.IJ;
import ij.ImagePlus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.samples.SampleData;

/** The batch layer of the command line (folders, list files, resume, shards, JSON, exit codes), in-process. */
class BatchCliTest {
    private static final String MODEL = "sample-data/models/blob-detector.onnx";

    /** in/a.tif, in/b.png, in/sub/c.jpg, in/sub/deeper/d.tif, in/sub/broken.tif (not an image), in/notes.md. */
    private static Path inputTree(Path tmp) throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("sub/deeper"));
        ImagePlus a = SampleData.syntheticNuclei(96, 80, 6, 1);
        IJ.saveAsTiff(a, in.resolve("a.tif").toString());
        ImagePlus b = SampleData.syntheticNuclei(64, 64, 4, 2);
        b.setProcessor(b.getProcessor().convertToByte(true));
        javax.imageio.ImageIO.write(b.getBufferedImage(), "png", in.resolve("b.png").toFile());
        ImagePlus c = SampleData.syntheticNuclei(72, 60, 5, 3);
        c.setProcessor(c.getProcessor().convertToByte(true));
        javax.imageio.ImageIO.write(c.getBufferedImage(), "jpeg", in.resolve("sub/c.jpg").toFile());
        IJ.saveAsTiff(SampleData.syntheticNuclei(50, 70, 3, 4), in.resolve("sub/deeper/d.tif").toString());
        Files.writeString(in.resolve("sub/broken.tif"), "this is not a TIFF");
        Files.writeString(in.resolve("notes.md"), "not an image, and not an image extension");
        return in;
    }

    private static Set<String> relativeFiles(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return new java.util.TreeSet<>(s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).toList());
        }
    }

    @Test
    void aFolderIsSearchedRecursivelyTheTreeMirroredAndABadFileDoesNotStopTheBatch(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        Path out = tmp.resolve("out");
        CliRun r = neuralj("apply", MODEL, in.toString(), "--output", out.toString(), "--backend", "cpu");
        assertEquals(1, r.code(), "one input failed: exit 1\n" + r.out() + r.err());
        assertEquals(Set.of("a.tif", "b.tif", "sub/c.tif", "sub/deeper/d.tif"), relativeFiles(out));
        assertTrue(r.out().contains("4 written, 0 skipped") && r.out().contains("1 failed"), r.out());
        assertTrue(r.out().contains("broken.tif: not a readable TIFF"), "the failure is listed with its reason:\n" + r.out());
        assertTrue(r.err().contains("1 of 5 input(s) failed"), r.err());
        ImagePlus d = IJ.openImage(out.resolve("sub/deeper/d.tif").toString());
        assertEquals(50, d.getWidth());
        assertEquals(70, d.getHeight());
        assertEquals(32, d.getBitDepth());

        // the same result as the single-file form
        Path single = tmp.resolve("single.tif");
        assertEquals(0, neuralj("apply", MODEL, in.resolve("sub/deeper/d.tif").toString(), "--output", single.toString(),
                "--backend", "cpu").code());
        assertArrayEquals(Files.readAllBytes(single), Files.readAllBytes(out.resolve("sub/deeper/d.tif")));
    }

    @Test
    void aRerunSkipsCompleteOutputsRemovesStaleTemporariesAndOverwriteRedoes(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        Path out = tmp.resolve("out");
        assertEquals(1, neuralj("apply", MODEL, in.toString(), "--glob", "*.tif", "--output", out.toString(), "--backend", "cpu").code());
        assertEquals(Set.of("a.tif", "sub/deeper/d.tif"), relativeFiles(out), "--glob '*.tif' picks TIFFs only; broken.tif fails");
        // a killed run leaves a temporary and no output for d.tif
        Files.delete(out.resolve("sub/deeper/d.tif"));
        Path stale = out.resolve("sub/deeper/" + org.neuralj.io.AtomicFiles.temporaryName("d.tif", 999_999));
        Files.writeString(stale, "half-written");
        FileTime before = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(out.resolve("a.tif"), before);

        CliRun again = neuralj("apply", MODEL, in.toString(), "--glob", "a.tif", "--glob", "**/d.tif", "--output", out.toString(),
                "--backend", "cpu");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("1 written, 1 skipped"), again.out());
        assertTrue(again.out().contains("a.tif skipped"), again.out());
        assertEquals(before, Files.getLastModifiedTime(out.resolve("a.tif")), "a complete output is not rewritten");
        assertFalse(Files.exists(stale), "the stale temporary is removed");
        assertEquals(Set.of("a.tif", "sub/deeper/d.tif"), relativeFiles(out));

        CliRun forced = neuralj("apply", MODEL, in.resolve("a.tif").toString(), "--output", out.toString(), "--overwrite",
                "--backend", "cpu");
        assertEquals(0, forced.code(), forced.err());
        assertTrue(Files.getLastModifiedTime(out.resolve("a.tif")).compareTo(before) > 0, "--overwrite redoes it");
    }

    @Test
    void theSingleFileFormSkipsAnExistingOutputAndSaysHowToRedoIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("deep/new/folder/blobs.tif");
        CliRun first = neuralj("apply", MODEL, "sample-data/images/synthetic-nuclei.tif", "--output", out.toString(), "--backend", "cpu");
        assertEquals(0, first.code(), first.err());
        assertTrue(Files.isRegularFile(out));
        CliRun again = neuralj("apply", MODEL, "sample-data/images/synthetic-nuclei.tif", "--output", out.toString(), "--backend", "cpu");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("skipped") && again.out().contains("--overwrite"), again.out());
    }

    @Test
    void shardsSplitTheInputsExactlyOnceAndTheirUnionIsTheWholeRun(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("x"));
        for (int i = 0; i < 7; i++) {
            IJ.saveAsTiff(SampleData.syntheticNuclei(40 + i, 40, 3, i), in.resolve((i % 2 == 0 ? "" : "x/") + "img" + i + ".tif").toString());
        }
        Path whole = tmp.resolve("whole");
        assertEquals(0, neuralj("apply", MODEL, in.toString(), "--output", whole.toString(), "--backend", "cpu").code());
        Path sharded = tmp.resolve("sharded");
        List<String> written = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            CliRun r = neuralj("apply", MODEL, in.toString(), "--output", sharded.toString(), "--backend", "cpu", "--shard", i + "/3",
                    "--json");
            assertEquals(0, r.code(), r.err());
            Matcher m = Pattern.compile("\"input\":\"([^\"]+)\",\"output\":\"[^\"]+\",\"status\":\"written\"").matcher(r.out());
            while (m.find()) {
                written.add(m.group(1));
            }
            assertTrue(r.out().trim().startsWith("{") && r.out().contains("\"shard\":\"" + i + "/3\"") && r.out().contains("\"total_inputs\":7"),
                    "stdout is the JSON summary only:\n" + r.out());
        }
        assertEquals(7, written.size(), "every input written once: " + written);
        assertEquals(7, new HashSet<>(written).size(), "no input written twice: " + written);
        assertEquals(relativeFiles(whole), relativeFiles(sharded));
        for (String f : relativeFiles(whole)) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(sharded.resolve(f)), f);
        }
    }

    @Test
    void slurmArrayVariablesChooseTheShard() {
        assertEquals(Shard.ALL, Shard.fromEnvironment(Map.of()));
        Shard s = Shard.fromEnvironment(Map.of("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "0"));
        assertEquals(3, s.index());
        assertEquals(4, s.count());
        Shard oneBased = Shard.fromEnvironment(Map.of("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"));
        assertEquals(0, oneBased.index());
        Shard stepped = Shard.fromEnvironment(Map.of("SLURM_ARRAY_TASK_ID", "6", "SLURM_ARRAY_TASK_COUNT", "5",
                "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_STEP", "2"));
        assertEquals(3, stepped.index());
        assertEquals(List.of(1, 5, 9), new Shard(1, 4, "test").select(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)));
        assertEquals("2/4", Shard.parse("2/4").toString());
    }

    @Test
    void aListFileNamesInputsRelativeToItself(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        Files.writeString(in.resolve("todo.txt"), "# inputs for tonight\na.tif\n\nsub/c.jpg\nsub/missing.tif\n");
        Path out = tmp.resolve("out");
        CliRun r = neuralj("apply", MODEL, "@" + in.resolve("todo.txt"), "--output", out.toString(), "--backend", "cpu");
        assertEquals(1, r.code(), r.out());
        assertEquals(Set.of("a.tif", "sub/c.tif"), relativeFiles(out));
        assertTrue(r.out().contains("missing.tif: no such file"), r.out());
    }

    @Test
    void badUsageExitsWithTwoBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        assertEquals(2, neuralj("apply", MODEL, in.toString(), "--output", tmp.resolve("o").toString(), "--shard", "5/4").code());
        assertEquals(2, neuralj("apply", MODEL, in.toString(), "--output", tmp.resolve("o").toString(), "--shard", "x").code());
        assertEquals(2, neuralj("apply", MODEL, tmp.resolve("nothing-here").toString(), "--output", tmp.resolve("o").toString()).code());
        CliRun none = neuralj("apply", MODEL, in.toString(), "--glob", "*.nd2", "--output", tmp.resolve("o").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no input images found"), none.err());
        IJ.saveAsTiff(SampleData.syntheticNuclei(30, 30, 2, 9), in.resolve("a.png.tif").toString());
        Files.copy(in.resolve("a.tif"), in.resolve("sub/a.tif"));
        Files.copy(in.resolve("b.png"), in.resolve("a.png"));
        CliRun clash = neuralj("apply", MODEL, in.toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, clash.code());
        assertTrue(clash.err().contains("would both write"), clash.err());
        CliRun inPlace = neuralj("apply", MODEL, in.resolve("a.tif").toString(), "--output", in.resolve("a.tif").toString());
        assertEquals(2, inPlace.code());
        assertTrue(inPlace.err().contains("would replace it"), inPlace.err());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written on bad usage");
        CliRun help = neuralj("apply", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--shard I/N") && help.out().contains("--glob"), help.out());
    }

    @Test
    void theOutputFolderInsideTheInputFolderIsNotSearched(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        Path out = in.resolve("results");
        assertEquals(1, neuralj("apply", MODEL, in.toString(), "--glob", "*.tif", "--output", out.toString(), "--backend", "cpu").code());
        CliRun again = neuralj("apply", MODEL, in.toString(), "--glob", "*.tif", "--output", out.toString(), "--backend", "cpu", "--json");
        assertTrue(again.out().contains("\"total_inputs\":3"), "a.tif, d.tif, broken.tif; not the outputs: " + again.out());
    }

    @Test
    void flagsBeforePositionalWordsDoNotSwallowThem() {
        Args a = new Args(List.of("--sigmoid", "model.onnx", "--backend", "cpu", "--overwrite", "in/", "--output", "out"));
        a.flags("sigmoid", "overwrite");
        assertEquals(List.of("model.onnx", "in/"), a.positional());
        assertTrue(a.flag("sigmoid") && a.flag("overwrite"));
        assertEquals("cpu", a.option("backend", null));
        Args b = new Args(List.of("--tasks", "4", "--", "apply", "m.onnx", "--output", "o"));
        assertEquals(List.of("apply", "m.onnx", "--output", "o"), b.afterDashDash());
    }

    @Test
    void slurmWritesASubmittableJobArrayScript(@TempDir Path tmp) throws Exception {
        Path script = tmp.resolve("job.sbatch");
        CliRun r = neuralj("slurm", "--tasks", "4", "--max-running", "2", "--partition", "gpu", "--gpus", "1", "--mem", "16G",
                "--time", "02:00:00", "--cpus", "8", "--setup", "module load Java/17", "--log-dir", tmp.resolve("logs").toString(),
                "--script", script.toString(), "--", "apply", MODEL, "in dir", "--output", "out");
        assertEquals(0, r.code(), r.err());
        String s = Files.readString(script);
        for (String line : List.of("#!/bin/bash", "#SBATCH --array=0-3%2", "#SBATCH --partition=gpu", "#SBATCH --gres=gpu:1",
                "#SBATCH --mem=16G", "#SBATCH --time=02:00:00", "#SBATCH --cpus-per-task=8", "module load Java/17",
                "-Xmx13107m", "org.neuralj.cli.Main apply " + MODEL + " 'in dir' --output out")) {
            assertTrue(s.contains(line), line + " in\n" + s);
        }
        assertTrue(s.indexOf("#SBATCH --array") < s.indexOf("set -euo"), "#SBATCH lines come before the first command");
        assertTrue(Files.isDirectory(tmp.resolve("logs")), "sbatch does not create the log folder: we do");
        assertEquals(2, neuralj("slurm", "--tasks", "4", "--", "info", "x.onnx").code());
        assertEquals(2, neuralj("slurm", "--tasks", "4", "--", "apply", MODEL, "in", "--output", "o", "--shard", "1/2").code());
        assertEquals(2, neuralj("slurm", "--", "apply", MODEL, "in", "--output", "o").code());
    }

    @Test
    void asASubprocessStdoutIsOnlyTheJsonAndTheExitCodeSaysSomeFailed(@TempDir Path tmp) throws Exception {
        Path in = inputTree(tmp);
        Path out = tmp.resolve("out");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "apply", MODEL, in.toString(), "--output", out.toString(),
                "--backend", "cpu", "--json");
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("stderr.txt").toFile()).start();
        p.getOutputStream().close();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        String stderr = Files.readString(tmp.resolve("stderr.txt"));
        assertEquals(1, p.exitValue(), stderr);
        assertEquals(1, stdout.trim().lines().count(), "one JSON line on stdout, ImageJ's messages elsewhere:\n" + stdout);
        assertTrue(stdout.startsWith("{") && stdout.contains("\"written\":4") && stdout.contains("\"failed\":1"), stdout);
        assertTrue(stderr.contains("broken.tif") && stderr.contains("1 of 5 input(s) failed"), stderr);
    }
}
