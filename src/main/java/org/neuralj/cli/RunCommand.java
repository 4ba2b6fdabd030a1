package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;

/** {@code neuralj run MODEL.onnx --input NAME=FILE.npy --output DIR}: any ONNX model on .npy tensors. */
final class RunCommand implements Main.Command {
    @Override
    public String summary() {
        return "run an ONNX model on .npy tensors and write its outputs as .npy";
    }

    @Override
    public String usage() {
        return "usage: neuralj run MODEL.onnx --input [NAME=]FILE.npy... --output DIR [--backend auto|cpu|opencl[:N]] [--repeat N]\n"
                + "  --input    one per model input; the name may be left out when the model has one input\n"
                + "  --output   folder for OUTPUT_NAME.npy files (created; existing files are replaced)\n"
                + "  --backend  auto (default: an OpenCL device if there is one, else the CPU), cpu, opencl, opencl:N\n"
                + "  --repeat   run N times and print the median time (after one warm-up run)\n"
                + "  --profile  also print where the time goes: per op type and output shape, per run, largest first\n"
                + "             (on an OpenCL device each step waits for the device)";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.flags("profile");
        args.allowOnly("input", "output", "backend", "repeat", "profile");
        Path file = Path.of(args.positional(0, "MODEL.onnx"));
        String outDir = args.option("output", null);
        if (outDir == null) {
            throw new Main.UsageException("--output DIR is required");
        }
        Model model = Model.load(file);
        Map<String, HostTensor> inputs = new LinkedHashMap<>();
        for (String spec : args.options("input")) {
            int eq = spec.indexOf('=');
            String name;
            String path;
            if (eq > 0 && !Files.exists(Path.of(spec))) {
                name = spec.substring(0, eq);
                path = spec.substring(eq + 1);
            } else if (model.inputs().size() == 1) {
                name = model.inputs().get(0).name();
                path = spec;
            } else {
                throw new Main.UsageException("the model has " + model.inputs().size() + " inputs " + model.inputs()
                        + ": write --input NAME=FILE.npy");
            }
            if (model.inputs().stream().noneMatch(in -> in.name().equals(name))) {
                throw new Main.UsageException("the model has no input '" + name + "'; its inputs are " + model.inputs());
            }
            Npy.Array a = Npy.read(Path.of(path));
            inputs.put(name, new HostTensor(a.shape(), a.data()));
        }
        for (Model.Input in : model.inputs()) {
            if (!inputs.containsKey(in.name())) {
                throw new Main.UsageException("no --input for model input " + in);
            }
        }
        int repeat = Integer.parseInt(args.option("repeat", "1"));
        try (Backend backend = Backends.select(args.option("backend", "auto"));
             Session session = new Session(model, backend)) {
            out.println("backend: " + backend.name());
            Map<String, HostTensor> outputs = null;
            if (repeat > 1) {
                session.runOnHost(inputs); // warm-up: compiles kernels, uploads weights
            }
            if (args.flag("profile")) {
                session.profile();
            }
            long[] times = new long[repeat];
            for (int r = 0; r < repeat; r++) {
                long t0 = System.nanoTime();
                outputs = session.runOnHost(inputs);
                times[r] = System.nanoTime() - t0;
            }
            java.util.Arrays.sort(times);
            out.printf("time: %.1f ms%s%n", times[repeat / 2] / 1e6, repeat > 1 ? " (median of " + repeat + ")" : "");
            if (args.flag("profile")) {
                printProfile(session.profileTimes(), repeat, out);
            }
            Path dir = Path.of(outDir);
            Files.createDirectories(dir);
            for (Map.Entry<String, HostTensor> e : outputs.entrySet()) {
                Path target = dir.resolve(safeName(e.getKey()) + ".npy");
                Npy.write(target, e.getValue().shape(), e.getValue().data());
                out.println("wrote " + target + " " + java.util.Arrays.toString(e.getValue().shape()));
            }
        }
    }

    /** The profile as a table, per run: milliseconds, share of the steps' total, steps, op and output shape. */
    private static void printProfile(Map<String, long[]> profile, int runs, PrintStream out) {
        List<Map.Entry<String, long[]>> rows = new java.util.ArrayList<>(profile.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        double total = rows.stream().mapToLong(e -> e.getValue()[1]).sum() / 1e6 / runs;
        out.printf("profile: %.1f ms of steps per run%n", total);
        out.println("      ms      %  steps  op [output shape]");
        for (Map.Entry<String, long[]> e : rows) {
            double ms = e.getValue()[1] / 1e6 / runs;
            out.printf(java.util.Locale.ROOT, "%8.2f %6.1f %6d  %s%n", ms, 100 * ms / total, e.getValue()[0] / runs, e.getKey());
        }
    }

    static String safeName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** --shape NAME=AxBxC options over the declared shapes; null if some dimension stays free. */
    static Map<String, int[]> parseShapes(List<String> specs, Model model) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String name = eq > 0 ? spec.substring(0, eq) : model.inputs().get(0).name();
            String dims = eq > 0 ? spec.substring(eq + 1) : spec;
            try {
                shapes.put(name, java.util.Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray());
            } catch (NumberFormatException e) {
                throw new Main.UsageException("bad --shape '" + spec + "': write NAME=1x1x512x512");
            }
        }
        Map<String, int[]> declared = model.declaredInputShapes();
        for (Model.Input in : model.inputs()) {
            if (!shapes.containsKey(in.name())) {
                if (declared == null || !declared.containsKey(in.name())) {
                    return null;
                }
                shapes.put(in.name(), declared.get(in.name()));
            }
        }
        return shapes;
    }
}
