package org.neuralj.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.neuralj.nn.Model;

/** {@code neuralj info MODEL.onnx}: inputs, outputs, operators, parameters and FLOPs. */
final class InfoCommand implements Main.Command {
    @Override
    public String summary() {
        return "describe an ONNX model: inputs, outputs, ops, parameters, FLOPs";
    }

    @Override
    public String usage() {
        return "usage: neuralj info MODEL.onnx [--shape NAME=1x1x512x512]...\n"
                + "  --shape  fixes a free input dimension to count FLOPs (default: the declared shape)";
    }

    @Override
    public void run(Args args, PrintStream out, PrintStream err) {
        args.allowOnly("shape");
        Path file = Path.of(args.positional(0, "MODEL.onnx"));
        Model model = Model.load(file);
        out.println("model:      " + file);
        out.println("producer:   " + model.onnx().producerName() + " " + model.onnx().producerVersion()
                + ", IR " + model.onnx().irVersion() + ", opset " + model.opset());
        model.inputs().forEach(in -> out.println("input:      " + in));
        model.outputNames().forEach(o -> out.println("output:     " + o));
        out.println("nodes:      " + model.onnx().graph().nodes().size());
        StringBuilder ops = new StringBuilder();
        model.opCounts().forEach((op, n) -> ops.append(ops.length() == 0 ? "" : ", ").append(op).append(" x").append(n));
        out.println("ops:        " + ops);
        out.printf("parameters: %,d%n", model.parameterCount());
        Map<String, int[]> shapes = RunCommand.parseShapes(args.options("shape"), model);
        if (shapes != null) {
            long flops = model.flops(shapes);
            out.printf("FLOPs:      %.3f GFLOP (conv and matmul, 2 per multiply-add) for %s%n", flops / 1e9, describe(shapes));
        } else {
            out.println("FLOPs:      (input has free dimensions: give --shape NAME=AxBxC... to count)");
        }
    }

    private static String describe(Map<String, int[]> shapes) {
        StringBuilder s = new StringBuilder();
        shapes.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(java.util.Arrays.toString(v)));
        return s.toString();
    }
}
