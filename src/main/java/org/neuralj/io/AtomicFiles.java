package org.neuralj.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.neuralj.backend.NeuralJException;

/**
 * The one way NeuralJ writes a file that must never be seen half-written (batch outputs, models,
 * model cards, checkpoints, tables): the bytes go to a hidden temporary file beside the target
 * ({@code .NAME.part-PID.EXT}), are forced to the disk, and the temporary is renamed over the target
 * in one step. If anything fails — a full disk above all — the temporary is removed, the target is
 * left as it was, and the error names the target and says what happened. A temporary left by a killed
 * process is removed by the next write of the same target.
 */
public final class AtomicFiles {

    /** Writes the whole content to {@code out}; the stream is closed by {@link AtomicFiles}. */
    @FunctionalInterface
    public interface Content {
        void write(OutputStream out) throws Exception;
    }

    /** Writes the whole content to the file {@code temporary} (for writers that take a path). */
    @FunctionalInterface
    public interface FileContent {
        void write(Path temporary) throws Exception;
    }

    /**
     * Fault injection for tests that cannot fill a real disk: wraps every output stream (identity
     * unless a test in this package sets it).
     */
    static volatile UnaryOperator<OutputStream> streams = UnaryOperator.identity();

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    public static void writeString(Path target, String text) {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Writes {@code target} through a stream; see the class comment. */
    public static void write(Path target, Content content) {
        writeFile(target, temporary -> {
            try (OutputStream out = newOutputStream(temporary)) {
                content.write(out);
            }
        });
    }

    /** A buffered stream to the temporary file a {@link FileContent} writer was given. */
    public static OutputStream newOutputStream(Path temporary) throws IOException {
        return new BufferedOutputStream(streams.apply(Files.newOutputStream(temporary)), 1 << 16);
    }

    /** Writes {@code target} through a writer that takes a path (it must write the whole file to it). */
    public static void writeFile(Path target, FileContent content) {
        Path dir = target.toAbsolutePath().getParent();
        Path temporary = null;
        Thread cleanup = null;
        try {
            Files.createDirectories(dir);
            removeStaleTemporaries(dir, target.getFileName().toString());
            temporary = dir.resolve(temporaryName(target.getFileName().toString(), ProcessHandle.current().pid()));
            Path doomed = temporary;
            cleanup = new Thread(() -> {
                try {
                    Files.deleteIfExists(doomed);
                } catch (IOException ignored) {
                    // the next write of this target removes it
                }
            });
            Runtime.getRuntime().addShutdownHook(cleanup); // killed (SIGTERM, scancel) mid-write: no temporary left
            content.write(temporary);
            if (!Files.isRegularFile(temporary) || Files.size(temporary) == 0) {
                throw new NeuralJException(target + ": nothing was written");
            }
            try (FileChannel ch = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ch.force(true); // on the disk before the rename makes it visible
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            temporary = null;
        } catch (IOException e) {
            throw failure(target, e);
        } catch (RuntimeException e) {
            throw e; // the content's own error (a model that failed, a bad image), as it was
        } catch (Exception e) {
            throw new NeuralJException(target + ": " + e, e);
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // left for removeStaleTemporaries
                }
            }
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException ignored) {
                    // shutting down: the hook runs
                }
            }
        }
    }

    /** The error for a failed write: a full disk or quota said in words, anything else with its reason. */
    static NeuralJException failure(Path target, IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String lower = reason.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left") || lower.contains("disk quota") || lower.contains("not enough space")
                || lower.contains("file too large")) {
            return new NeuralJException("cannot write " + target + ": the disk is full (" + reason + "; "
                    + usable(target) + "); the file was not written: free some space and run again", e);
        }
        return new NeuralJException("cannot write " + target + ": " + reason, e);
    }

    private static String usable(Path target) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            return String.format(Locale.ROOT, "%.1f MiB free there", Files.getFileStore(dir).getUsableSpace() / 1048576.0);
        } catch (IOException | RuntimeException e) {
            return "free space unknown";
        }
    }

    /** {@code .NAME.part-PID.EXT}: hidden, so folder searches skip it; the extension kept for writers that look at it. */
    public static String temporaryName(String targetName, long pid) {
        int dot = targetName.lastIndexOf('.');
        String ext = dot > 0 ? targetName.substring(dot) : "";
        return "." + targetName + ".part-" + pid + ext;
    }

    /** Temporaries of this target left by a killed process (a target has one writer at a time). */
    private static void removeStaleTemporaries(Path dir, String targetName) throws IOException {
        String glob = "." + targetName.replace("\\", "\\\\").replace("[", "\\[").replace("{", "\\{").replace("*", "\\*")
                .replace("?", "\\?") + ".part-*";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }
}
