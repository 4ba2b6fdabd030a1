package org.neuralj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The options every batch command shares ({@code apply}, {@code filter}, later {@code segment}, ...):
 * parsed once here so they mean the same everywhere. A command adds its own names to
 * {@link #NAMES} in {@code args.allowOnly(...)} and appends {@link #USAGE} to its usage text.
 *
 * @param inputs    the input words (files, folders, list files)
 * @param output    the output folder, or the output file when {@code singleFile}
 * @param singleFile one input file written to exactly {@code output} (e.g. {@code --output out.tif})
 * @param globs     file-name patterns for folder searches (empty: every image format ImageJ opens)
 * @param suffix    added to each output's file name before the extension ("" keeps the input's name)
 * @param overwrite redo inputs whose output exists (otherwise they are skipped: resume)
 * @param json      machine-readable summary on stdout (per-file lines go to stderr)
 * @param shard     which part of the inputs this process does
 * @param progress  how progress is shown
 */
record BatchOptions(List<String> inputs, Path output, boolean singleFile, List<String> globs, String suffix,
        boolean overwrite, boolean json, Shard shard, Progress progress) {

    enum Progress {
        /** a bar with rate and ETA when stdout is a terminal, else one line per file */
        AUTO, BAR, LINES, NONE
    }

    /** Option names to pass to {@link Args#allowOnly} along with the command's own. */
    static final List<String> NAMES = List.of("output", "glob", "suffix", "overwrite", "json", "shard", "progress");

    static final String USAGE = ""
            + "  INPUT...        image files (TIFF, PNG, JPEG, anything ImageJ opens), folders (searched\n"
            + "                  recursively) or list files (@list.txt or *.txt: one path a line)\n"
            + "  --output PATH   output folder (mirrors the input tree; names end in .tif), or, for one\n"
            + "                  input file, the output file itself (OUT.tif)\n"
            + "  --glob PATTERN  which files a folder search takes, e.g. '*.tif' (repeatable; a pattern\n"
            + "                  with '/' matches the path below the folder); default: all image formats\n"
            + "  --suffix TEXT   appended to each output name before .tif (default: none)\n"
            + "  --overwrite     redo inputs whose output exists (default: skip them, so a rerun resumes)\n"
            + "  --shard I/N     do only part I of N (1 <= I <= N); inside a SLURM job array the part is\n"
            + "                  taken from SLURM_ARRAY_TASK_ID: of NEURALJ_SHARDS=N when set (task K does\n"
            + "                  part K+1, so any list of task IDs does the same parts), else of the\n"
            + "                  array's own range (SLURM_ARRAY_TASK_COUNT; a list is refused)\n"
            + "  --json          print a JSON summary on stdout (per-file lines go to stderr)\n"
            + "  --progress M    auto (a bar on a terminal, else a line per file), bar, lines, none\n"
            + "  Exit code: 0 every input done (or already done), 1 some inputs failed (listed), 2 bad usage.";

    /** The batch options that take no value. */
    static final List<String> FLAGS = List.of("overwrite", "json");

    /**
     * Checks the options of a batch command: the batch ones plus its own ({@code ownOptions} take a
     * value, {@code ownFlags} do not). Call first, before reading positional words.
     */
    static void accept(Args args, List<String> ownOptions, List<String> ownFlags) {
        List<String> flags = new ArrayList<>(FLAGS);
        flags.addAll(ownFlags);
        args.flags(flags.toArray(new String[0]));
        List<String> all = new ArrayList<>(NAMES);
        all.addAll(ownOptions);
        all.addAll(ownFlags);
        args.allowOnly(all.toArray(new String[0]));
    }

    /** All option names: the batch ones plus the command's own. */
    static String[] names(String... own) {
        List<String> all = new ArrayList<>(NAMES);
        all.addAll(Arrays.asList(own));
        return all.toArray(new String[0]);
    }

    /** Reads the batch options; the inputs are the positional words from {@code firstInput} on. */
    static BatchOptions parse(Args args, int firstInput, Map<String, String> env) {
        List<String> words = args.positional().size() > firstInput
                ? List.copyOf(args.positional().subList(firstInput, args.positional().size())) : List.of();
        if (words.isEmpty()) {
            throw new Main.UsageException("missing INPUT (an image file, a folder or a list file)");
        }
        String out = args.option("output", null);
        if (out == null) {
            throw new Main.UsageException("--output is required (a folder, or OUT.tif for one input file)");
        }
        Path output = Path.of(out);
        boolean single = words.size() == 1 && !Inputs.isListFile(words.get(0)) && Files.isRegularFile(Path.of(words.get(0)))
                && !Files.isDirectory(output) && hasExtension(output);
        String suffix = args.option("suffix", "");
        if (suffix.contains("/") || suffix.contains("\\")) {
            throw new Main.UsageException("--suffix must not contain a path separator");
        }
        Shard shard = args.flag("shard") ? Shard.parse(args.option("shard", null)) : Shard.fromEnvironment(env);
        Progress progress;
        try {
            progress = Progress.valueOf(args.option("progress", "auto").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException("bad --progress '" + args.option("progress", "") + "': auto, bar, lines or none");
        }
        return new BatchOptions(words, output, single, args.options("glob"), suffix, args.flag("overwrite"),
                args.flag("json"), shard, progress);
    }

    private static boolean hasExtension(Path p) {
        String name = p.getFileName() == null ? "" : p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && dot < name.length() - 1;
    }
}
