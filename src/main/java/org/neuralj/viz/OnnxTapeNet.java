package org.neuralj.viz;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.UnaryOp;
import org.neuralj.nn.Model;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.train.Parameter;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * An ONNX model read back as {@link Tape} ops, so gradients reach its input (saliency, guided
 * backprop, Grad-CAM, activation maximisation on any ONNX classifier, not only on networks built with
 * {@code org.neuralj.train}). The points are the ONNX value names of the original graph (no load-time
 * fusion here, so every node output exists). The ops are those of a plain CNN classifier or dense
 * predictor: Conv (explicit pads or auto_pad), Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softplus,
 * MaxPool/AveragePool, GlobalAveragePool, BatchNormalization (inference), Flatten, Reshape to
 * [N, -1], Gemm and MatMul with constant weights, Add/Sub/Mul, Concat, Identity, Dropout; a
 * Softmax/LogSoftmax that makes a graph output is skipped (explanations use the logits). Any other op
 * fails at construction with an {@link UnsupportedOperatorException} that names it; forward-only
 * tools (feature maps, occlusion) run every model through {@code org.neuralj.nn.Session} instead.
 * Weights are uploaded once, frozen; {@link #close()} releases them.
 */
public final class OnnxTapeNet implements TapNet, AutoCloseable {
    static final Set<String> SUPPORTED = Set.of("Conv", "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softplus",
            "MaxPool", "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Gemm", "MatMul",
            "Add", "Sub", "Mul", "Concat", "Identity", "Dropout", "Softmax", "LogSoftmax", "Constant");

    private final String source;
    private final Backend backend;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, Parameter> constants = new LinkedHashMap<>();
    private final Map<String, float[]> hostConstants = new HashMap<>();
    private final String input;
    private final String output;
    private final List<String> points = new ArrayList<>();

    public OnnxTapeNet(Model model, Backend backend) {
        this.source = model.source();
        this.backend = backend;
        OnnxGraph g = model.onnx().graph();
        if (g.runtimeInputs().size() != 1 || g.outputs().isEmpty()) {
            throw new UnsupportedOperatorException(source + ": gradient explanations need a model with one input, found "
                    + g.runtimeInputs().size());
        }
        input = g.runtimeInputs().get(0).name();
        output = g.outputs().get(0).name();
        for (OnnxTensor t : g.initializers()) {
            hostConstants.put(t.name(), t.toFloats());
            constant(t.name(), t.shape(), t.toFloats());
        }
        for (OnnxNode n : g.nodes()) {
            if (!SUPPORTED.contains(n.opType()) || (n.domain() != null && !n.domain().isEmpty() && !n.domain().equals("ai.onnx"))) {
                close();
                throw new UnsupportedOperatorException(source + ": node '" + n.name() + "' (" + n.opType()
                        + ") has no gradient rule here; gradient explanations support " + new java.util.TreeSet<>(SUPPORTED)
                        + " (feature maps and occlusion run every model)");
            }
            if (n.opType().equals("Constant")) {
                OnnxTensor t = n.getTensor("value");
                if (t == null) {
                    close();
                    throw new UnsupportedOperatorException(source + ": Constant node '" + n.name() + "' without a tensor value");
                }
                hostConstants.put(n.outputs().get(0), t.toFloats());
                constant(n.outputs().get(0), t.shape(), t.toFloats());
                continue;
            }
            if (n.opType().equals("Gemm")) {
                prepareGemm(n);
            }
            nodes.add(n);
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    points.add(o);
                }
                break; // only the first output (Dropout's mask is not a point)
            }
        }
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
        float[] w = hostConstants.get(bName);
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
            float[] c0 = hostConstants.get(n.input(2));
            if (c0 == null) {
                throw new UnsupportedOperatorException(source + ": Gemm '" + n.name() + "' needs a constant bias");
            }
            float[] c = c0.clone();
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
        Map<String, Var> values = new HashMap<>();
        values.put(input, x);
        Var last = x;
        for (OnnxNode n : nodes) {
            Var y = run(t, n, values);
            y = tap.at(n.outputs().get(0), y);
            values.put(n.outputs().get(0), y);
            last = y;
            if (n.outputs().get(0).equals(output)) {
                return y;
            }
        }
        return last;
    }

    private Var in(Tape t, Map<String, Var> values, String name) {
        Var v = values.get(name);
        if (v == null) {
            Parameter p = constants.get(name);
            if (p == null) {
                throw new UnsupportedOperatorException(source + ": value '" + name + "' is not available (made by an unsupported sub-graph?)");
            }
            v = t.param(p);
            values.put(name, v);
        }
        return v;
    }

    private Var run(Tape t, OnnxNode n, Map<String, Var> values) {
        Var x = in(t, values, n.input(0));
        switch (n.opType()) {
            case "Conv": {
                Var w = in(t, values, n.input(1));
                Var bias = n.hasInput(2) ? in(t, values, n.input(2)) : null;
                int[] ws = w.shape();
                int[] strides = n.getInts("strides", new int[] {1, 1});
                int[] dil = n.getInts("dilations", new int[] {1, 1});
                int[] pads = pads(n, x.dim(2), x.dim(3), ws[2], ws[3], strides, dil);
                int oh = ConvSpec.convOut(x.dim(2), ws[2], strides[0], pads[0], pads[2], dil[0]);
                int ow = ConvSpec.convOut(x.dim(3), ws[3], strides[1], pads[1], pads[3], dil[1]);
                return t.conv2d(x, w, bias, new ConvSpec(strides[0], strides[1], pads[0], pads[1], pads[2], pads[3],
                        dil[0], dil[1], n.getInt("group", 1), oh, ow, Activation.NONE));
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
                return t.batchNorm(x, in(t, values, n.input(1)), in(t, values, n.input(2)),
                        constants.get(n.input(3)), constants.get(n.input(4)), 0.1f, n.getFloat("epsilon", 1e-5f));
            case "Flatten":
                if (n.getInt("axis", 1) != 1) {
                    throw new UnsupportedOperatorException(source + ": Flatten '" + n.name() + "' with axis != 1");
                }
                return t.flatten(x);
            case "Reshape": {
                float[] shape = hostConstants.get(n.input(1));
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
                Var w = in(t, values, n.input(1));
                if (x.shape().length != 2 || w.shape().length != 2) {
                    throw new UnsupportedOperatorException(source + ": MatMul '" + n.name() + "' other than [N, in] x [in, out]");
                }
                return t.dense(x, w, null);
            }
            case "Add":
                return t.add(x, in(t, values, n.input(1)));
            case "Sub":
                return t.sub(x, in(t, values, n.input(1)));
            case "Mul":
                return t.mul(x, in(t, values, n.input(1)));
            case "Concat": {
                List<Var> xs = new ArrayList<>();
                for (String name : n.inputs()) {
                    xs.add(in(t, values, name));
                }
                return t.concat(xs, n.getInt("axis", 1));
            }
            case "Identity":
            case "Dropout":
                return t.scale(x, 1f, 0f);
            case "Softmax":
            case "LogSoftmax":
                if (!n.outputs().get(0).equals(output)) {
                    throw new UnsupportedOperatorException(source + ": " + n.opType() + " '" + n.name()
                            + "' inside the graph (only a final one, skipped for the logits, is supported)");
                }
                return x;
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

    @Override
    public void close() {
        constants.values().forEach(Parameter::close);
        constants.clear();
    }
}
