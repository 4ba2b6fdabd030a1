package org.neuralj.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import ij.process.ShortProcessor;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.backend.NeuralJException;
import org.neuralj.cli.Main;
import org.neuralj.image.ImageFiles;

/**
 * A full disk: the write fails with an error naming the file and saying the disk is full, no partial
 * or temporary file is left, an existing file stays as it was, and a batch goes on and reports each
 * output it could not write (exit 1). As root (CI) the batch writes to a real 64 KiB tmpfs; elsewhere
 * the same disk is simulated by a stream that fails with the kernel's "No space left on device"
 * after 64 KiB, so the behaviour is tested everywhere (in CI both run).
 */
class DiskFullTest {
    private static final long DISK = 64 << 10;

    /** Every stream AtomicFiles opens shares one budget of {@code bytes}, like one small disk. */
    private static UnaryOperator<OutputStream> diskOf(long bytes) {
        AtomicLong left = new AtomicLong(bytes);
        return out -> new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (left.addAndGet(-len) < 0) {
                    throw new IOException("No space left on device");
                }
                out.write(b, off, len);
            }
        };
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aWriteThatRunsOutOfSpaceLeavesNothingAndNamesTheFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("model.onnx");
        Files.write(target, new byte[] {1, 2, 3});
        AtomicFiles.streams = diskOf(1000);
        try {
            NeuralJException e = assertThrows(NeuralJException.class, () -> AtomicFiles.write(target, new byte[200_000]));
            assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("the disk is full")
                    && e.getMessage().contains("No space left on device"), e.getMessage());
        } finally {
            AtomicFiles.streams = UnaryOperator.identity();
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target), "the old file is untouched");
        assertEquals(List.of("model.onnx"), files(dir), "no temporary left");
        // a writer that fails for its own reason keeps that reason
        IllegalStateException own = assertThrows(IllegalStateException.class, () -> AtomicFiles.write(dir.resolve("x.bin"), out -> {
            out.write(1);
            throw new IllegalStateException("the model failed");
        }));
        assertEquals("the model failed", own.getMessage());
        assertEquals(List.of("model.onnx"), files(dir));
    }

    /** {@code real}: a real tmpfs (root only, as in CI); else the simulated disk, which runs everywhere. */
    @ParameterizedTest(name = "real tmpfs: {0}")
    @ValueSource(booleans = {false, true})
    void aBatchOnAFullDiskReportsEachOutputItCouldNotWriteAndGoesOn(boolean real, @TempDir Path tmp) throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        for (int i = 0; i < 5; i++) {
            ShortProcessor sp = new ShortProcessor(64, 64);
            for (int p = 0; p < 64 * 64; p++) {
                sp.set(p, (p * 7 + i * 131) % 4000);
            }
            IJ.saveAsTiff(new ImagePlus("img" + i, sp), in.resolve("img" + i + ".tif").toString());
        }
        Path out = Files.createDirectories(tmp.resolve("out"));
        boolean tmpfs = real && mountTmpfs(out);
        Assumptions.assumeTrue(tmpfs || !real, "mounting a tmpfs needs root; the simulated disk ran instead");
        if (!tmpfs) {
            AtomicFiles.streams = diskOf(DISK);
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int code;
        List<String> left;
        try {
            code = Main.run(new String[] {"apply", "sample-data/models/blob-detector.onnx", in.toString(), "--output", out.toString(),
                "--backend", "cpu"}, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(o, true, StandardCharsets.UTF_8));
            left = files(out);
            for (String f : left) {   // every output there is complete: a 64 x 64 32-bit image
                ImagePlus imp = ImageFiles.open(out.resolve(f));
                assertEquals(64, imp.getWidth(), f);
                assertEquals(32, imp.getBitDepth(), f);
            }
        } finally {
            AtomicFiles.streams = UnaryOperator.identity();
            if (tmpfs) {
                run("umount", out.toString());
            }
        }
        String report = o.toString(StandardCharsets.UTF_8);
        System.out.println((tmpfs ? "a real 64 KiB tmpfs" : "a simulated 64 KiB disk") + ":\n" + report + "outputs: " + left);
        assertEquals(1, code, report);
        // each 64 x 64 float output takes about 17 KiB: 3 fit, the other 2 are reported
        assertEquals(3, left.size(), left.toString());
        assertTrue(report.contains("3 written") && report.contains("2 failed"), report);
        long full = report.lines().filter(l -> l.contains("the disk is full") && l.contains(out.toString())).count();
        assertTrue(full >= 2, "each failed output named with the reason:\n" + report);
        assertFalse(left.stream().anyMatch(f -> f.contains(".part-")), "no temporary file left: " + left);
    }

    /** A 64 KiB tmpfs on {@code dir} when running as root with mount allowed; false otherwise. */
    private static boolean mountTmpfs(Path dir) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        return run("mount", "-t", "tmpfs", "-o", "size=" + DISK, "tmpfs", dir.toString());
    }

    private static boolean run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            System.out.println(String.join(" ", command) + " failed: " + said);
        }
        return p.exitValue() == 0;
    }
}
