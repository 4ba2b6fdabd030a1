package org.neuralj.nn;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.neuralj.nn.ops.Conv;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.ModelFormatException;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.ValueInfo;

/**
 * A loaded network: its ops (created, and so checked, when the file loads), its constant weights on
 * the host, and its declared inputs and outputs. Run it through a {@link Session} on a backend.
 * Immutable after loading; plans for each input shape are cached.
 */
public final class Model {
    /** A node with its op; inputs and outputs by value name ("" for an absent optional input). */
    public record Node(NodeInfo info, Op op, List<String> inputs, List<String> outputs) {
    }

    /** A graph input the caller must feed; dims of -1 are free (symbolic). */
    public record Input(String name, DataType type, long[] dims) {
        @Override
        public String toString() {
            return name + " " + type.shortName() + Arrays.toString(dims);
        }
    }

    private static final int MAX_CACHED_PLANS = 32;
    private static final int MIN_OPSET = 6;
    private static final int MAX_OPSET = 25;

    private final String source;
    private final OnnxModel onnx;
    private final List<Node> nodes;
    private final Map<String, Meta> constants;
    private final List<Input> inputs;
    private final List<ValueInfo> outputs;
    private final Map<String, Plan> plans = new HashMap<>();

    private Model(String source, OnnxModel onnx, List<Node> nodes, Map<String, Meta> constants,
                  List<Input> inputs, List<ValueInfo> outputs) {
        this.source = source;
        this.onnx = onnx;
        this.nodes = nodes;
        this.constants = constants;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Reads an ONNX file and checks every node; unsupported ops fail here, naming op, node and opset. */
    public static Model load(Path file) {
        OnnxModel onnx = OnnxReader.read(file);
        return fromOnnx(onnx, file.getFileName().toString());
    }

    /** Builds a model from an ONNX graph in memory ({@code source} names it in messages). */
    public static Model fromOnnx(OnnxModel onnx, String source) {
        long opsetLong = onnx.opsetImports().getOrDefault("", onnx.opsetImports().getOrDefault("ai.onnx", -1L));
        if (opsetLong < 1) {
            throw new ModelFormatException(source + ": no opset import for the default ONNX domain");
        }
        int opset = (int) opsetLong;
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new UnsupportedOperatorException(source + ": opset " + opset + " is outside the supported "
                    + MIN_OPSET + ".." + MAX_OPSET);
        }
        OnnxGraph g = onnx.graph();
        Map<String, Meta> constants = new HashMap<>();
        for (OnnxTensor t : g.initializers()) {
            if (t.dataType() == null || !(t.dataType().isFloatingPoint() || t.dataType().isInteger())) {
                throw new ModelFormatException(source + ": initializer '" + t.name() + "' has unsupported type " + t.dataType());
            }
            int[] shape = t.shape();
            float[] data = t.toFloats();
            if (data.length != org.neuralj.backend.Tensor.elementCount(shape)) {
                throw new ModelFormatException(source + ": initializer '" + t.name() + "' has " + data.length
                        + " values for shape " + Arrays.toString(shape));
            }
            constants.put(t.name(), Meta.constant(shape, t.dataType(), data));
        }
        List<Input> inputs = new ArrayList<>();
        for (ValueInfo v : g.inputs()) {
            if (!constants.containsKey(v.name())) {
                DataType type = v.dataType();
                if (type == null || !(type.isFloatingPoint() || type.isInteger())) {
                    throw new ModelFormatException(source + ": input '" + v.name() + "' has unsupported type " + type);
                }
                inputs.add(new Input(v.name(), type, v.hasShape() ? v.dims() : null));
            }
        }
        Set<String> known = new HashSet<>(constants.keySet());
        inputs.forEach(i -> known.add(i.name()));
        // Every input must be known before its node: ONNX requires topological order, and checking it
        // here also refuses cycles (a node output feeding an earlier node, or itself), which would
        // otherwise make shape inference or a run wait forever for a value.
        Map<String, Integer> producer = new HashMap<>();
        for (int i = g.nodes().size() - 1; i >= 0; i--) {
            for (String out : g.nodes().get(i).outputs()) {
                producer.put(out, i);
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (int index = 0; index < g.nodes().size(); index++) {
            OnnxNode n = g.nodes().get(index);
            NodeInfo info = new NodeInfo(n, opset, source);
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !known.contains(in)) {
                    Integer later = producer.get(in);
                    if (later != null) {
                        throw new ModelFormatException(info + ": input '" + in + "' is the output of "
                                + (later == index ? "this node itself" : "node " + later + " (" + g.nodes().get(later).opType()
                                + " '" + g.nodes().get(later).name() + "'), which comes later")
                                + ": the graph has a cycle or its nodes are not in topological order");
                    }
                    throw new ModelFormatException(info + ": input '" + in + "' is not an initializer, a graph input"
                            + " or the output of an earlier node (missing initializer, or nodes out of order)");
                }
            }
            nodes.add(new Node(info, OpRegistry.create(info), n.inputs(), n.outputs()));
            known.addAll(n.outputs());
        }
        for (ValueInfo out : g.outputs()) {
            if (!known.contains(out.name())) {
                throw new ModelFormatException(source + ": graph output '" + out.name() + "' is never produced");
            }
        }
        List<String> outputNames = g.outputs().stream().map(ValueInfo::name).toList();
        Model model = new Model(source, onnx, GraphOptimizer.optimize(nodes, constants, outputNames), constants, inputs, g.outputs());
        model.inferDeclaredShapes();
        return model;
    }

    /**
     * When every input has a fixed declared shape, infers every value's shape now, so a shape error
     * shows when the model loads rather than at the first run. (Models with free dimensions are
     * checked when their first input arrives.)
     */
    private void inferDeclaredShapes() {
        Map<String, int[]> shapes = declaredInputShapes();
        if (shapes == null) {
            return;
        }
        for (Input in : inputs) {
            if (isShapeArgument(in, org.neuralj.backend.Tensor.elementCount(shapes.get(in.name())))) {
                return; // its values are only known at run time, and shapes may depend on them
            }
        }
        try (org.neuralj.backend.cpu.CpuBackend cpu = new org.neuralj.backend.cpu.CpuBackend(1)) {
            Plan.create(this, shapes, Map.of(), cpu);
        }
    }

    /**
     * Integer inputs and tiny ones (at most 8 values) are taken as shape arguments: a run specialises
     * the plan to their values, so ops whose output shape depends on them can run.
     */
    static boolean isShapeArgument(Input input, int elements) {
        return !input.type().isFloatingPoint() || elements <= 8;
    }

    public String source() {
        return source;
    }

    public OnnxModel onnx() {
        return onnx;
    }

    public List<Node> nodes() {
        return nodes;
    }

    Map<String, Meta> constants() {
        return constants;
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<String> outputNames() {
        return outputs.stream().map(ValueInfo::name).toList();
    }

    public int opset() {
        return nodes.isEmpty() ? MIN_OPSET : nodes.get(0).info().opset();
    }

    /** Number of weights (elements of all initializers). */
    public long parameterCount() {
        long n = 0;
        for (Meta m : constants.values()) {
            n += m.constant().length;
        }
        return n;
    }

    /** Count of nodes per op type, sorted by op type. */
    public Map<String, Integer> opCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        for (OnnxNode n : onnx.graph().nodes()) {
            counts.merge(n.opType(), 1, Integer::sum);
        }
        return counts;
    }

    /** Shapes of the inputs as declared, or null if any dimension is free. */
    public Map<String, int[]> declaredInputShapes() {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Input in : inputs) {
            if (in.dims() == null) {
                return null;
            }
            int[] s = new int[in.dims().length];
            for (int i = 0; i < s.length; i++) {
                if (in.dims()[i] < 0) {
                    return null;
                }
                s[i] = (int) in.dims()[i];
            }
            shapes.put(in.name(), s);
        }
        return shapes;
    }

    /** The plan (shapes, folded constants, free points) for these input shapes; cached. */
    public Plan plan(Map<String, int[]> inputShapes) {
        try (org.neuralj.backend.cpu.CpuBackend cpu = new org.neuralj.backend.cpu.CpuBackend(1)) {
            return plan(inputShapes, Map.of(), cpu);
        }
    }

    /**
     * The plan for these input shapes, with some inputs' values fixed: those inputs become constants,
     * so shape arguments fed as inputs (Reshape's shape, Slice's starts, Resize's scales) fold away.
     * Constant sub-graphs are computed once, here, on {@code backend} (the one the plan will run on).
     */
    public synchronized Plan plan(Map<String, int[]> inputShapes, Map<String, float[]> knownValues,
                                  org.neuralj.backend.Backend backend) {
        StringBuilder key = new StringBuilder(backend.name()).append('@').append(System.identityHashCode(backend)).append(':');
        for (Input in : inputs) {
            int[] shape = inputShapes.get(in.name());
            if (shape == null) {
                throw new InvalidInputException(source + ": input '" + in.name() + "' is missing (inputs: " + inputs + ")");
            }
            checkShape(in, shape);
            key.append(in.name()).append(Arrays.toString(shape));
            float[] value = knownValues.get(in.name());
            if (value != null) {
                key.append('=').append(Arrays.toString(value));
            }
            key.append(';');
        }
        if (plans.size() >= MAX_CACHED_PLANS && !plans.containsKey(key.toString())) {
            plans.clear(); // a long Fiji session with many image sizes must not grow without bound
        }
        return plans.computeIfAbsent(key.toString(), k -> Plan.create(this, inputShapes, knownValues, backend));
    }

    private void checkShape(Input in, int[] shape) {
        if (in.dims() == null) {
            return;
        }
        boolean ok = in.dims().length == shape.length;
        for (int i = 0; ok && i < shape.length; i++) {
            ok = in.dims()[i] < 0 || in.dims()[i] == shape[i];
        }
        if (!ok) {
            throw new org.neuralj.backend.ShapeMismatchException(source + ": input '" + in.name() + "' expects shape "
                    + Arrays.toString(in.dims()).replace("-1", "?") + " but got " + Arrays.toString(shape));
        }
    }

    /**
     * Multiply-accumulate FLOPs (2 per MAC) of the convolutions and matrix products for these input
     * shapes; the figure `neuralj info` prints.
     */
    public long flops(Map<String, int[]> inputShapes) {
        Plan plan = plan(inputShapes);
        long flops = 0;
        for (Plan.Planned p : plan.steps()) {
            String type = p.node().info().opType();
            if (type.equals("Conv") || type.equals("ConvTranspose")) {
                int[] w = plan.meta(p.inputs().get(1)).shape();
                int[] y = plan.meta(p.outputs().get(0)).shape();
                int[] x = plan.meta(p.inputs().get(0)).shape();
                long kernel = 1;
                for (int i = 1; i < w.length; i++) {
                    kernel *= w[i];
                }
                long positions = type.equals("Conv") ? org.neuralj.backend.Tensor.elementCount(y)
                        : org.neuralj.backend.Tensor.elementCount(x);
                flops += 2 * positions * kernel;
            } else if (type.equals("MatMul") || type.equals("Gemm")) {
                int[] a = plan.meta(p.inputs().get(0)).shape();
                int[] y = plan.meta(p.outputs().get(0)).shape();
                int k = type.equals("Gemm") && p.node().info().getInt("transA", 0) != 0 ? a[0] : a[a.length - 1];
                flops += 2L * org.neuralj.backend.Tensor.elementCount(y) * k;
            }
        }
        return flops;
    }
}
