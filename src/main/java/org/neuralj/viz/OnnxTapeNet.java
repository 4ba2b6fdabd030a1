package org.neuralj.viz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Meta;
import org.neuralj.nn.Model;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Plan;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.nn.ops.ConvTranspose;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.train.Parameter;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * An ONNX model read back as {@link Tape} ops, so gradients reach its input (saliency, guided
 * backprop, Grad-CAM, activation maximisation on any ONNX classifier or dense predictor, not only on
 * networks built with {@code org.neuralj.train}). The points are the ONNX value names of the original
 * graph (no load-time fusion here, so every node output exists). The ops are those of plain CNN
 * classifiers and U-Nets: Conv and ConvTranspose (explicit pads or auto_pad), Relu, LeakyRelu, Elu,
 * Sigmoid, Tanh, Softplus, MaxPool/AveragePool, GlobalAveragePool, BatchNormalization (inference),
 * Resize/Upsample (nearest, linear, cubic; as the engine's {@link org.neuralj.nn.ops.Resize} reads
 * them), Flatten, Reshape to [N, -1], Gemm and MatMul with constant weights, Add/Sub/Mul, Concat,
 * Identity, Dropout. A Softmax, LogSoftmax or Sigmoid that makes the graph output is skipped:
 * explanations use the logits (a saturated probability has no gradient). Sub-graphs that compute
 * constants from shapes (Shape, Gather, ... feeding Resize's sizes) are folded by the engine's
 * {@link Plan} for the input's shape; any other op fails, naming the node, at construction when the
 * input shape is declared, else at the first forward pass. Forward-only tools (feature maps,
 * occlusion) run every model through {@code org.neuralj.nn.Session} instead. Weights are uploaded
 * once, frozen; {@link #close()} releases them.
 */
public final class OnnxTapeNet implements TapNet, AutoCloseable {
    static final Set<String> SUPPORTED = Set.of("Conv", "ConvTranspose", "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh",
            "Softplus", "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Resize", "Upsample", "Flatten",
            "Reshape", "Gemm", "MatMul", "Add", "Sub", "Mul", "Concat", "Identity", "Dropout", "Softmax", "LogSoftmax", "Constant");
    /** Final ops left out so that the explained score is a logit. */
    private static final Set<String> FINAL_SKIPPED = Set.of("Softmax", "LogSoftmax", "Sigmoid");

    private final String source;
    private final Model model;
    private final Backend backend;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, Parameter> constants = new LinkedHashMap<>();
    private final Map<String, Meta> hostConstants = new HashMap<>();
    /** The engine's ops whose attribute rules the tape shares (Resize, ConvTranspose), by output name. */
    private final Map<String, Op> engineOps = new HashMap<>();
    /** Values the plan folded to constants (shape sub-graphs), uploaded once per name and shape. */
    private final Map<String, Tensor> folded = new HashMap<>();
    private final Set<String> checkedShapes = new HashSet<>();
    /**
     * True when some node needs the engine's plan (constants computed from shapes); else the tape runs
     * without one, so any input size works (activation maximisation's octaves), even where the model
     * declares a fixed size.
     */
    private boolean needsPlan;
    private final String input;
    private final String output;
    private final List<String> points = new ArrayList<>();

    public OnnxTapeNet(Model model, Backend backend) {
        this.source = model.source();
        this.model = model;
        this.backend = backend;
        OnnxGraph g = model.onnx().graph();
        if (g.runtimeInputs().size() != 1 || g.outputs().isEmpty()) {
            throw new UnsupportedOperatorException(source + ": gradient explanations need a model with one input, found "
                    + g.runtimeInputs().size());
        }
        input = g.runtimeInputs().get(0).name();
        output = g.outputs().get(0).name();
        try {
            for (OnnxTensor t : g.initializers()) {
                hostConstants.put(t.name(), Meta.constant(t.shape(), DataType.FLOAT, t.toFloats()));
                constant(t.name(), t.shape(), t.toFloats());
            }
            for (OnnxNode n : g.nodes()) {
                if (n.domain() != null && !n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
                    throw new UnsupportedOperatorException(source + ": node '" + n.name() + "' (" + n.domain() + "." + n.opType()
                            + ") is outside the default ONNX domain; gradient explanations support " + new TreeSet<>(SUPPORTED));
                }
                if (n.opType().equals("Constant")) {
                    OnnxTensor t = n.getTensor("value");
                    if (t == null) {
                        throw new UnsupportedOperatorException(source + ": Constant node '" + n.name() + "' without a tensor value");
                    }
                    hostConstants.put(n.outputs().get(0), Meta.constant(t.shape(), DataType.FLOAT, t.toFloats()));
                    constant(n.outputs().get(0), t.shape(), t.toFloats());
                    continue;
                }
                if (n.opType().equals("Gemm")) {
                    prepareGemm(n);
                }
                NodeInfo info = new NodeInfo(n, model.opset(), source);
                switch (n.opType()) {
                    case "Resize", "Upsample" -> engineOps.put(n.outputs().get(0), new org.neuralj.nn.ops.Resize(info));
                    case "ConvTranspose" -> engineOps.put(n.outputs().get(0), new ConvTranspose(info));
                    default -> { }
                }
                nodes.add(n);
                if (!n.outputs().isEmpty() && !n.outputs().get(0).isEmpty()) {
                    points.add(n.outputs().get(0)); // only the first output (Dropout's mask is not a point)
                }
            }
            for (OnnxNode n : nodes) {
                needsPlan |= !SUPPORTED.contains(n.opType()) || Set.of("Resize", "Upsample", "Reshape").contains(n.opType())
                        && n.inputs().subList(1, n.inputs().size()).stream().anyMatch(a -> !a.isEmpty() && !hostConstants.containsKey(a));
            }
            Map<String, int[]> declared = model.declaredInputShapes();
            if (needsPlan && declared != null) {
                plan(declared.get(input)); // unsupported ops fail now, not at the first explanation
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The engine's plan for input {@code shape}; on first use for that shape, checks that every node
     * the tape cannot run is folded to constants there.
     */
    private Plan plan(int[] shape) {
        Plan plan = model.plan(Map.of(input, shape), Map.of(), backend);
        if (checkedShapes.add(Arrays.toString(shape))) {
            for (OnnxNode n : nodes) {
                if (!SUPPORTED.contains(n.opType()) && !isFolded(plan, n)) {
                    throw new UnsupportedOperatorException(source + ": node '" + n.name() + "' (" + n.opType()
                            + ") has no gradient rule here; gradient explanations support " + new TreeSet<>(SUPPORTED)
                            + " and constant shape sub-graphs (feature maps and occlusion run every model)");
                }
            }
        }
        return plan;
    }

    /** True when the plan computed every output of {@code n} as a constant (a shape sub-graph). */
    private static boolean isFolded(Plan plan, OnnxNode n) {
        if (plan == null) {
            return false;
        }
        for (String o : n.outputs()) {
            Meta m = o.isEmpty() ? null : plan.meta(o);
            if (!o.isEmpty() && (m == null || !m.isConstant())) {
                return false;
            }
        }
        return true;
    }

    private void constant(String name, int[] shape, float[] data) {
        int[] s = shape.length == 0 ? new int[] {1} : shape;
        Parameter p = new Parameter(name, Parameter.Kind.WEIGHT, backend.upload(data, s));
        p.freeze(true);
        Parameter old = constants.put(name, p);
        if (old != null) {
            old.close();
        }
    }

    /** Gemm's B as [in, out] (transposed here once when transB), times alpha; C times beta. */
    private void prepareGemm(OnnxNode n) {
        if (n.getInt("transA", 0) != 0) {
            throw new UnsupportedOperatorException(source + ": Gemm '" + n.name() + "' with transA");
        }
        String bName = n.input(1);
        Parameter bp = constants.get(bName);
        if (bp == null) {
            throw new UnsupportedOperatorException(source + ": Gemm '" + n.name() + "' needs constant weights");
        }
        int[] s = bp.shape();
        float[] w = hostConstants.get(bName).constant();
        float alpha = n.getFloat("alpha", 1f);
        boolean trans = n.getInt("transB", 0) != 0;
        int in = trans ? s[1] : s[0], out = trans ? s[0] : s[1];
        float[] wt = new float[in * out];
        for (int i = 0; i < in; i++) {                 // wt[i][o] = alpha * (trans ? w[o][i] : w[i][o])
            for (int o = 0; o < out; o++) {
                wt[i * out + o] = alpha * (trans ? w[o * in + i] : w[i * out + o]);
            }
        }
        constant(gemmWeight(n), new int[] {in, out}, wt);
        if (n.hasInput(2)) {
            float beta = n.getFloat("beta", 1f);
            Meta c0 = hostConstants.get(n.input(2));
            if (c0 == null) {
                throw new UnsupportedOperatorException(source + ": Gemm '" + n.name() + "' needs a constant bias");
            }
            float[] c = c0.constant().clone();
            for (int i = 0; i < c.length; i++) {
                c[i] *= beta;
            }
            constant(gemmWeight(n) + "::bias", new int[] {c.length}, c);
        }
    }

    private static String gemmWeight(OnnxNode n) {
        return n.input(1) + "::gemm[" + n.outputs().get(0) + "]";
    }

    @Override
    public List<String> points() {
        return List.copyOf(points);
    }

    @Override
    public List<Parameter> parameters() {
        return List.copyOf(constants.values());
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /** The model's input and (first) output names. */
    public String inputName() {
        return input;
    }

    public String outputName() {
        return output;
    }

    @Override
    public Var forward(Tape t, Var x, Tap tap) {
        Plan plan = needsPlan ? plan(x.shape()) : null;
        Map<String, Var> values = new HashMap<>();
        values.put(input, x);
        Var last = x;
        for (OnnxNode n : nodes) {
            if (isFolded(plan, n)) {
                continue; // a constant: read from the plan where used
            }
            String name = n.outputs().get(0);
            if (name.equals(output) && FINAL_SKIPPED.contains(n.opType())) {
                Var logits = in(t, values, plan, n.input(0));
                return tap.at(name, logits);
            }
            Var y = tap.at(name, run(t, n, values, plan));
            values.put(name, y);
            last = y;
            if (name.equals(output)) {
                return y;
            }
        }
        return last;
    }

    private Var in(Tape t, Map<String, Var> values, Plan plan, String name) {
        Var v = values.get(name);
        if (v == null) {
            Parameter p = constants.get(name);
            if (p != null) {
                v = t.param(p);
            } else {
                Meta m = plan == null ? null : plan.meta(name);
                if (m == null || !m.isConstant()) {
                    throw new UnsupportedOperatorException(source + ": value '" + name + "' is not available (made by an unsupported sub-graph?)");
                }
                Tensor c = folded.computeIfAbsent(name + Arrays.toString(m.shape()), k -> backend.upload(m.constant(), m.shape()));
                v = t.input(c);
            }
            values.put(name, v);
        }
        return v;
    }

    private Var run(Tape t, OnnxNode n, Map<String, Var> values, Plan plan) {
        Var x = in(t, values, plan, n.input(0));
        switch (n.opType()) {
            case "Conv": {
                Var w = in(t, values, plan, n.input(1));
                Var bias = n.hasInput(2) ? in(t, values, plan, n.input(2)) : null;
                int[] ws = w.shape();
                int[] strides = n.getInts("strides", new int[] {1, 1});
                int[] dil = n.getInts("dilations", new int[] {1, 1});
                int[] pads = pads(n, x.dim(2), x.dim(3), ws[2], ws[3], strides, dil);
                int oh = ConvSpec.convOut(x.dim(2), ws[2], strides[0], pads[0], pads[2], dil[0]);
                int ow = ConvSpec.convOut(x.dim(3), ws[3], strides[1], pads[1], pads[3], dil[1]);
                return t.conv2d(x, w, bias, new ConvSpec(strides[0], strides[1], pads[0], pads[1], pads[2], pads[3],
                        dil[0], dil[1], n.getInt("group", 1), oh, ow, Activation.NONE));
            }
            case "ConvTranspose": {
                Var w = in(t, values, plan, n.input(1));
                Var bias = n.hasInput(2) ? in(t, values, plan, n.input(2)) : null;
                if (x.shape().length != 4) {
                    throw new UnsupportedOperatorException(source + ": ConvTranspose '" + n.name() + "' is not 2-D");
                }
                ConvSpec s = ((ConvTranspose) engineOps.get(n.outputs().get(0))).spec(meta(x), meta(w));
                return t.convTranspose2d(x, w, bias, new ConvSpec(s.strideH(), s.strideW(), s.padTop(), s.padLeft(),
                        s.padBottom(), s.padRight(), s.dilationH(), s.dilationW(), s.groups(), s.outH(), s.outW(), Activation.NONE));
            }
            case "Resize":
            case "Upsample": {
                if (x.shape().length != 4) {
                    throw new UnsupportedOperatorException(source + ": " + n.opType() + " '" + n.name() + "' of a rank-"
                            + x.shape().length + " value (gradients need [N, C, H, W])");
                }
                List<Meta> args = new ArrayList<>();
                args.add(meta(x));
                for (int i = 1; i < n.inputs().size(); i++) {
                    String a = n.input(i);
                    args.add(a.isEmpty() ? null : a.equals(input) ? meta(x) : constantMeta(plan, a));
                }
                ResizeSpec spec = ((org.neuralj.nn.ops.Resize) engineOps.get(n.outputs().get(0))).spec(args);
                return t.resize(x, spec);
            }
            case "Relu":
                return t.activation(x, Activation.of(UnaryOp.RELU));
            case "LeakyRelu":
                return t.activation(x, new Activation(UnaryOp.LEAKY_RELU, n.getFloat("alpha", 0.01f), 0f));
            case "Elu":
                return t.activation(x, new Activation(UnaryOp.ELU, n.getFloat("alpha", 1f), 0f));
            case "Sigmoid":
                return t.activation(x, Activation.of(UnaryOp.SIGMOID));
            case "Tanh":
                return t.activation(x, Activation.of(UnaryOp.TANH));
            case "Softplus":
                return t.activation(x, Activation.of(UnaryOp.SOFTPLUS));
            case "MaxPool":
            case "AveragePool": {
                int[] k = n.getInts("kernel_shape", null);
                int[] strides = n.getInts("strides", new int[] {1, 1});
                int[] dil = n.getInts("dilations", new int[] {1, 1});
                int[] pads = pads(n, x.dim(2), x.dim(3), k[0], k[1], strides, dil);
                boolean ceil = n.getInt("ceil_mode", 0) != 0;
                int oh = poolOut(x.dim(2), k[0], strides[0], pads[0], pads[2], dil[0], ceil);
                int ow = poolOut(x.dim(3), k[1], strides[1], pads[1], pads[3], dil[1], ceil);
                PoolSpec.Kind kind = n.opType().equals("MaxPool") ? PoolSpec.Kind.MAX : PoolSpec.Kind.AVERAGE;
                return t.pool2d(x, new PoolSpec(kind, k[0], k[1], strides[0], strides[1], pads[0], pads[1], pads[2], pads[3],
                        dil[0], dil[1], n.getInt("count_include_pad", 0) != 0, oh, ow));
            }
            case "GlobalAveragePool":
                return t.globalAvgPool(x);
            case "BatchNormalization":
                return t.batchNorm(x, in(t, values, plan, n.input(1)), in(t, values, plan, n.input(2)),
                        constants.get(n.input(3)), constants.get(n.input(4)), 0.1f, n.getFloat("epsilon", 1e-5f));
            case "Flatten":
                if (n.getInt("axis", 1) != 1) {
                    throw new UnsupportedOperatorException(source + ": Flatten '" + n.name() + "' with axis != 1");
                }
                return t.flatten(x);
            case "Reshape": {
                float[] shape = constantMeta(plan, n.input(1)).constant();
                if (shape == null || shape.length != 2 || !(shape[1] == -1 || shape[1] == x.value().size() / x.dim(0))) {
                    throw new UnsupportedOperatorException(source + ": Reshape '" + n.name() + "' other than to [N, -1]");
                }
                return t.flatten(x);
            }
            case "Gemm": {
                Var w = t.param(constants.get(gemmWeight(n)));
                Parameter c = constants.get(gemmWeight(n) + "::bias");
                Var y = t.dense(x, w, c != null && c.shape()[0] == w.dim(1) && c.shape().length == 1 ? t.param(c) : null);
                return c != null && !(c.shape()[0] == w.dim(1) && c.shape().length == 1) ? t.add(y, t.param(c)) : y;
            }
            case "MatMul": {
                Var w = in(t, values, plan, n.input(1));
                if (x.shape().length != 2 || w.shape().length != 2) {
                    throw new UnsupportedOperatorException(source + ": MatMul '" + n.name() + "' other than [N, in] x [in, out]");
                }
                return t.dense(x, w, null);
            }
            case "Add":
                return t.add(x, in(t, values, plan, n.input(1)));
            case "Sub":
                return t.sub(x, in(t, values, plan, n.input(1)));
            case "Mul":
                return t.mul(x, in(t, values, plan, n.input(1)));
            case "Concat": {
                List<Var> xs = new ArrayList<>();
                for (String name : n.inputs()) {
                    xs.add(in(t, values, plan, name));
                }
                return t.concat(xs, n.getInt("axis", 1));
            }
            case "Identity":
            case "Dropout":
                return t.scale(x, 1f, 0f);
            case "Softmax":
            case "LogSoftmax":
                throw new UnsupportedOperatorException(source + ": " + n.opType() + " '" + n.name()
                        + "' inside the graph (only a final one, skipped for the logits, is supported)");
            default:
                throw new UnsupportedOperatorException(source + ": " + n.opType());
        }
    }

    /** Pads [top, left, bottom, right] from the explicit pads or auto_pad. */
    private int[] pads(OnnxNode n, int h, int w, int kh, int kw, int[] strides, int[] dil) {
        String auto = n.getString("auto_pad", "NOTSET");
        if (auto.equals("NOTSET") || auto.equals("VALID")) {
            int[] p = auto.equals("VALID") ? new int[4] : n.getInts("pads", new int[4]);
            if (p.length != 4) {
                throw new UnsupportedOperatorException(source + ": node '" + n.name() + "' is not 2-D (pads " + p.length + ")");
            }
            return new int[] {p[0], p[1], p[2], p[3]};
        }
        int[] out = new int[4];
        int[] size = {h, w};
        int[] k = {kh, kw};
        for (int a = 0; a < 2; a++) {
            int o = (size[a] + strides[a] - 1) / strides[a];
            int total = Math.max(0, (o - 1) * strides[a] + (k[a] - 1) * dil[a] + 1 - size[a]);
            int small = total / 2, big = total - small;
            out[a] = auto.equals("SAME_UPPER") ? small : big;
            out[a + 2] = auto.equals("SAME_UPPER") ? big : small;
        }
        return out;
    }

    private static int poolOut(int in, int k, int s, int p0, int p1, int d, boolean ceil) {
        int span = in + p0 + p1 - d * (k - 1) - 1;
        int o = (ceil ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
        if (ceil && (o - 1) * s >= in + p0) {
            o--; // the last window must start inside the input or the begin pad
        }
        return o;
    }

    private static Meta meta(Var v) {
        return Meta.of(v.shape(), DataType.FLOAT);
    }

    /** A constant input (initializer, Constant node or folded value) as the engine's ops read it. */
    private Meta constantMeta(Plan plan, String name) {
        Meta m = hostConstants.containsKey(name) ? hostConstants.get(name) : plan == null ? null : plan.meta(name);
        if (m == null || !m.isConstant()) {
            throw new UnsupportedOperatorException(source + ": value '" + name + "' must be a constant for gradient explanations");
        }
        return m;
    }

    @Override
    public void close() {
        constants.values().forEach(Parameter::close);
        constants.clear();
        folded.values().forEach(Tensor::close);
        folded.clear();
    }
}
