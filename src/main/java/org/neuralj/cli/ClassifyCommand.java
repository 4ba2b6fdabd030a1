package org.neuralj.cli;

import ij.ImagePlus;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.Classifier;
import org.neuralj.io.AtomicFiles;

/**
 * {@code neuralj classify --model NAME|FILE --csv OUT.csv INPUT...}: one CSV row per image (per plane for
 * stacks): {@code file,class,p_<class>...}. Inputs as in every batch command (files, folders walked
 * recursively, list files); the CSV is written to a temporary file and renamed into place.
 */
final class ClassifyCommand implements Main.Command {
    @Override
    public String summary() {
        return "classify images with a model; one CSV row per image: file,class,p_<class>...";
    }

    @Override
    public String usage() {
        return "usage: neuralj classify --model NAME|FILE --csv OUT.csv INPUT... [--glob PATTERN] [--backend B]\n"
                + "  --model   a model name (e.g. blood-cells) or an .onnx / .json file with a classification card\n"
                + "  --csv     the table to write: file,class,p_<class>... (stacks: one row per plane, file#z)\n"
                + "  INPUT...  image files, folders (recursively) or list files (@list.txt)\n"
                + "  Exit code 0: all classified; 1: some inputs failed (listed; their rows are missing); 2: bad usage.\n"
                + "  example: neuralj classify --model blood-cells --csv cells.csv crops/";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.flags();
        args.allowOnly("model", "csv", "glob", "backend");
        String model = args.option("model", null);
        String csv = args.option("csv", null);
        if (model == null || csv == null) {
            throw new Main.UsageException(model == null ? "--model is required" : "--csv OUT.csv is required");
        }
        if (args.positional().isEmpty()) {
            throw new Main.UsageException("missing INPUT (an image file, a folder or a list file)");
        }
        Path csvFile = Path.of(csv);
        List<Inputs.Input> inputs = Inputs.resolve(args.positional(), args.options("glob"), null);
        if (inputs.isEmpty()) {
            throw new Main.UsageException("no input images found in " + args.positional());
        }
        int failed = 0;
        int warnings = org.neuralj.image.Warnings.mark();
        try (Classifier cl = Classifier.open(new Classifier.Request(model, args.option("backend", "auto")))) {
            err.println("classify: " + cl.card().name() + " " + cl.card().classes() + " on " + cl.backendName() + ", "
                    + inputs.size() + " image(s)");
            StringBuilder b = new StringBuilder("file,class");
            for (String c : cl.card().classes()) {
                b.append(",p_").append(csvField(c));
            }
            b.append('\n');
            int done = 0;
            for (Inputs.Input in : inputs) {
                done++;
                ImagePlus imp;
                try {
                    imp = org.neuralj.image.ImageFiles.open(in.source());
                } catch (NeuralJException e) {
                    failed++;
                    err.println("[" + done + "/" + inputs.size() + "] FAILED: " + e.getMessage());
                    continue;
                }
                try {
                    for (int z = 1; z <= imp.getStackSize(); z++) {
                        Classifier.Prediction p = cl.classify(imp.getStack().getProcessor(z));
                        String name = in.source().toString() + (imp.getStackSize() > 1 ? "#" + z : "");
                        b.append(csvField(name)).append(',').append(csvField(p.label()));
                        for (float v : p.probabilities()) {
                            b.append(',').append(String.format(Locale.ROOT, "%.6f", v));
                        }
                        b.append('\n');
                    }
                } catch (NeuralJException | IllegalArgumentException e) {
                    failed++;
                    err.println("[" + done + "/" + inputs.size() + "] " + in.source() + " FAILED: " + e.getMessage());
                } finally {
                    imp.close();
                }
            }
            AtomicFiles.writeString(csvFile, b.toString());
            out.println("classify: " + (inputs.size() - failed) + " of " + inputs.size() + " image(s) classified, table " + csvFile);
            BatchRunner.printWarnings(org.neuralj.image.Warnings.since(warnings), out);
        }
        if (failed > 0) {
            throw new NeuralJException(failed + " of " + inputs.size() + " input(s) failed (listed above)");
        }
    }

    static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
