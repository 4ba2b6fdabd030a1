package org.neuralj.viz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.Model;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Plan;
import org.neuralj.nn.ops.Conv;
import org.neuralj.onnx.OnnxNode;

/**
 * The layers of an ONNX model as the engine runs them (after load-time fusion: "Conv+Relu" is one
 * step) for given input shapes: output value name and shape, parameters, FLOPs (2 per multiply-add,
 * convolutions and matrix products) and the receptive field of each output along H (its size in
 * input pixels and the jump, the input distance between neighbouring outputs; "global" after a
 * global pool, a flatten or a dense layer). The value names are exactly those whose feature maps
 * {@link FeatureMaps#of(org.neuralj.nn.Session, Tensor, String)} can fetch.
 */
public final class ModelSummary {
    private ModelSummary() {
    }

    /**
     * One step; {@code receptiveField} -1 means global (the whole input). {@code fused}: the ONNX
     * values load-time fusion folded into this step (a Conv's output before its BatchNormalization
     * or activation); their feature maps can be fetched too (the session then runs an unfused twin).
     */
    public record Row(String value, String op, int[] shape, long parameters, long flops, int receptiveField, int jump,
                      List<String> fused) {
        public String shapeText() {
            return Arrays.toString(shape).replace(" ", "");
        }

        public String receptiveFieldText() {
            return receptiveField < 0 ? "global" : receptiveField + " (jump " + jump + ")";
        }
    }

    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
            "PRelu", "InstanceNormalization", "GroupNormalization", "Add", "Mul");
    private static final Set<String> GLOBAL = Set.of("GlobalAveragePool", "GlobalMaxPool", "Flatten", "Gemm", "MatMul",
            "Reshape", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin");

    public static List<Row> of(Model model, Map<String, int[]> inputShapes) {
        Plan plan = model.plan(inputShapes);
        Map<String, List<String>> fusedInto = fusedValues(model, plan);
        Map<String, int[]> rf = new HashMap<>();                 // value -> {size, jump}
        for (Model.Input in : model.inputs()) {
            rf.put(in.name(), new int[] {1, 1});
        }
        List<Row> rows = new ArrayList<>();
        for (Plan.Planned p : plan.steps()) {
            String type = p.node().info().opType();
            String op = type;
            if (p.node().op() instanceof Conv c) {
                op += (c.hasResidual() ? "+add" : "")
                        + (c.activation().isIdentity() ? "" : "+" + c.activation().op().name().toLowerCase(java.util.Locale.ROOT))
                        + (c.pooling() == null ? "" : "+maxpool");
            }
            long params = 0;
            if (WEIGHTED.contains(type)) {
                for (String name : p.inputs()) {
                    Meta m = name.isEmpty() ? null : plan.meta(name);
                    if (m != null && m.isConstant()) {
                        params += m.constant().length;
                    }
                }
            }
            // receptive field: the widest input's, grown by this op's window
            int size = 1, jump = Integer.MAX_VALUE;
            boolean global = false, any = false;
            for (String name : p.inputs()) {
                int[] r = name.isEmpty() ? null : rf.get(name);
                if (r != null) {
                    any = true;
                    global |= r[0] < 0;
                    size = Math.max(size, r[0]);
                    jump = Math.min(jump, r[1]);
                }
            }
            if (!any) {
                jump = 1;
            }
            if (GLOBAL.contains(type) && !(type.equals("Reshape") && rank(plan, p.outputs().get(0)) == 4)) {
                global = true;
            } else if (type.equals("Conv") || type.equals("MaxPool") || type.equals("AveragePool") || type.equals("LpPool")) {
                int k = type.equals("Conv") ? plan.meta(p.inputs().get(1)).shape()[2]
                        : p.node().info().getInts("kernel_shape", new int[] {1})[0];
                size += window(p.node().info(), k) * jump;
                jump *= p.node().info().getInts("strides", new int[] {1})[0];
                if (p.node().op() instanceof Conv c && c.pooling() != null) {    // a MaxPool fused into the Conv
                    NodeInfo pool = c.pooling().node();
                    size += window(pool, pool.getInts("kernel_shape", new int[] {1})[0]) * jump;
                    jump *= pool.getInts("strides", new int[] {1})[0];
                }
            } else if (type.equals("ConvTranspose")) {
                int k = plan.meta(p.inputs().get(1)).shape()[2];
                int stride = p.node().info().getInts("strides", new int[] {1})[0];
                jump = Math.max(1, jump / stride);
                size += (k - 1) * jump;
            } else if (type.equals("Resize") || type.equals("Upsample")) {
                int[] x = plan.meta(p.inputs().get(0)).shape();
                int[] y = plan.meta(p.outputs().get(0)).shape();
                if (x.length == 4 && y[2] > x[2]) {
                    jump = Math.max(1, jump * x[2] / y[2]);
                }
            }
            for (String out : p.outputs()) {
                if (!out.isEmpty()) {
                    rf.put(out, global ? new int[] {-1, 0} : new int[] {size, jump});
                }
            }
            String value = p.outputs().get(0);
            int[] shape = plan.meta(value).shape();
            rows.add(new Row(value, op, shape, params, flops(plan, p, type), global ? -1 : size, global ? 0 : jump,
                    fusedInto.getOrDefault(value, List.of())));
        }
        return rows;
    }

    /**
     * For each planned value, the ONNX node outputs that fusion removed on the way to it: a removed
     * value's reader is followed until its output is one the plan has.
     */
    private static Map<String, List<String>> fusedValues(Model model, Plan plan) {
        Map<String, String> readerOutput = new HashMap<>();           // value -> first output of its (only) reader
        for (OnnxNode n : model.onnx().graph().nodes()) {
            for (String in : n.inputs()) {
                if (!n.outputs().isEmpty()) {
                    readerOutput.putIfAbsent(in, n.outputs().get(0));
                }
            }
        }
        Map<String, List<String>> fused = new HashMap<>();
        for (OnnxNode n : model.onnx().graph().nodes()) {
            for (String o : n.outputs()) {
                if (o.isEmpty() || plan.meta(o) != null) {
                    continue;
                }
                String at = readerOutput.get(o);
                for (int hops = 0; at != null && plan.meta(at) == null && hops < 8; hops++) {
                    at = readerOutput.get(at);
                }
                if (at != null && plan.meta(at) != null) {
                    fused.computeIfAbsent(at, k -> new ArrayList<>()).add(o);
                }
            }
        }
        return fused;
    }

    /** The span a k-wide window op adds, in pixels of its input: (k - 1) x dilation. */
    private static int window(NodeInfo info, int k) {
        return info.getInts("dilations", new int[] {1})[0] * (k - 1);
    }

    private static int rank(Plan plan, String value) {
        return plan.meta(value).rank();
    }

    private static long flops(Plan plan, Plan.Planned p, String type) {
        if (type.equals("Conv") || type.equals("ConvTranspose")) {
            int[] w = plan.meta(p.inputs().get(1)).shape();
            long kernel = 1;
            for (int i = 1; i < w.length; i++) {
                kernel *= w[i];
            }
            int[] pos = type.equals("ConvTranspose") ? plan.meta(p.inputs().get(0)).shape()
                    : ((Conv) p.node().op()).convolvedShape(plan.meta(p.inputs().get(0)).shape(), w);   // before a pooling fused in
            return 2 * Tensor.elementCount(pos) * kernel;
        }
        if (type.equals("MatMul") || type.equals("Gemm")) {
            int[] a = plan.meta(p.inputs().get(0)).shape();
            int[] y = plan.meta(p.outputs().get(0)).shape();
            int k = type.equals("Gemm") && p.node().info().getInt("transA", 0) != 0 ? a[0] : a[a.length - 1];
            return 2L * Tensor.elementCount(y) * k;
        }
        return 0;
    }

    /** A plain-text table (the CLI's). */
    public static String table(List<Row> rows) {
        int wv = "value".length(), wo = "op".length(), ws = "output".length();
        for (Row r : rows) {
            wv = Math.max(wv, r.value().length());
            wo = Math.max(wo, r.op().length());
            ws = Math.max(ws, r.shapeText().length());
        }
        StringBuilder sb = new StringBuilder();
        String fmt = "%-" + wv + "s  %-" + wo + "s  %-" + ws + "s  %12s  %14s  %s%n";
        sb.append(String.format(fmt, "value", "op", "output", "parameters", "FLOPs", "receptive field"));
        long params = 0, flops = 0;
        for (Row r : rows) {
            String line = String.format(fmt, r.value(), r.op(), r.shapeText(), String.format("%,d", r.parameters()),
                    String.format("%,d", r.flops()), r.receptiveFieldText());
            sb.append(r.fused().isEmpty() ? line : line.stripTrailing() + "  (fused: " + String.join(", ", r.fused()) + ")"
                    + System.lineSeparator());
            params += r.parameters();
            flops += r.flops();
        }
        sb.append(String.format(fmt, "total", "", "", String.format("%,d", params), String.format("%,d", flops), ""));
        return sb.toString();
    }
}
