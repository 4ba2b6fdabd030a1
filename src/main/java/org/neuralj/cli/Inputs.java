package org.neuralj.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The input images of a batch, from command-line words: image files, folders (searched recursively)
 * and list files ({@code @list.txt}, or any {@code .txt}/{@code .lst}/{@code .list} file: one path a
 * line, relative to the list file's folder, {@code #} comments). The order is deterministic (the words'
 * order, each folder sorted by relative path), so every shard of a job array sees the same list.
 */
final class Inputs {
    /**
     * One input image.
     *
     * @param source   the file to read
     * @param relative where it sits below its folder (or its file name): the output mirrors this path
     */
    record Input(Path source, Path relative) {
        String display() {
            return relative.toString().replace('\\', '/');
        }
    }

    /** What a folder search picks when no {@code --glob} is given: the formats ImageJ 1 opens. */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("tif", "tiff", "png", "jpg", "jpeg", "gif", "bmp", "pgm",
            "fits", "fit", "fts", "dcm", "dicom", "lsm", "zip", "avi", "ome.tif");

    private Inputs() {
    }

    static boolean isListFile(String word) {
        if (word.startsWith("@")) {
            return true;
        }
        String lower = word.toLowerCase(Locale.ROOT);
        return lower.endsWith(".txt") || lower.endsWith(".lst") || lower.endsWith(".list");
    }

    /**
     * Resolves the words to input files. {@code globs} (e.g. {@code *.tif}, {@code **}{@code /raw/*.png})
     * filter folder searches: a pattern without '/' matches the file name, one with '/' the path
     * below the folder. {@code exclude} (the output folder, may be null) is never searched. A word that
     * names nothing is a usage error; a missing file inside a list file is not (it fails on its own).
     */
    static List<Input> resolve(List<String> words, List<String> globs, Path exclude) {
        List<PathMatcher> nameMatchers = new ArrayList<>();
        List<PathMatcher> pathMatchers = new ArrayList<>();
        for (String g : globs) {
            try {
                (g.contains("/") ? pathMatchers : nameMatchers).add(FileSystems.getDefault().getPathMatcher("glob:" + g));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("bad --glob '" + g + "': " + e.getMessage());
            }
        }
        Path excluded = exclude == null ? null : exclude.toAbsolutePath().normalize();
        List<Input> all = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (String word : words) {
            Path p = Path.of(word.startsWith("@") ? word.substring(1) : word);
            if (isListFile(word) && Files.isRegularFile(p)) {
                for (Input in : readList(p)) {
                    add(all, seen, in);
                }
            } else if (Files.isDirectory(p)) {
                for (Input in : searchFolder(p, nameMatchers, pathMatchers, excluded)) {
                    add(all, seen, in);
                }
            } else if (Files.isRegularFile(p)) {
                add(all, seen, new Input(p, p.getFileName()));
            } else {
                throw new Main.UsageException(word + ": no such file or folder");
            }
        }
        return all;
    }

    private static void add(List<Input> all, Set<Path> seen, Input in) {
        if (seen.add(in.source().toAbsolutePath().normalize())) {
            all.add(in);
        }
    }

    private static List<Input> readList(Path listFile) {
        Path base = listFile.toAbsolutePath().getParent();
        List<Input> inputs = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(listFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read list file " + listFile, e);
        }
        for (String line : lines) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            Path p = Path.of(entry);
            Path relative = p.isAbsolute() || p.normalize().startsWith("..") ? p.getFileName() : p.normalize();
            inputs.add(new Input(p.isAbsolute() ? p : base.resolve(p), relative));
        }
        return inputs;
    }

    private static List<Input> searchFolder(Path folder, List<PathMatcher> names, List<PathMatcher> paths, Path excluded) {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> excluded == null || !p.toAbsolutePath().normalize().startsWith(excluded))
                    .map(p -> new Input(p, folder.relativize(p)))
                    .filter(in -> !hidden(in.relative()))
                    .filter(in -> matches(in.relative(), names, paths))
                    .sorted(Comparator.comparing(Input::display))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot search folder " + folder, e);
        }
    }

    /** Files or folders whose name starts with '.' (our own temporary files among them) are left out. */
    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(Path relative, List<PathMatcher> names, List<PathMatcher> paths) {
        if (names.isEmpty() && paths.isEmpty()) {
            String name = relative.getFileName().toString().toLowerCase(Locale.ROOT);
            int dot = name.indexOf('.');
            return dot > 0 && (IMAGE_EXTENSIONS.contains(name.substring(name.lastIndexOf('.') + 1))
                    || IMAGE_EXTENSIONS.contains(name.substring(dot + 1)));
        }
        for (PathMatcher m : names) {
            if (m.matches(relative.getFileName())) {
                return true;
            }
        }
        for (PathMatcher m : paths) {
            if (m.matches(relative)) {
                return true;
            }
        }
        return false;
    }
}
