package org.neuralj.onnx;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph (GraphProto): nodes in the file's order (ONNX requires topological order), constant
 * tensors (initializers), and the declared inputs, outputs and intermediate value types.
 *
 * <p>Models of older IR versions also list every initializer among the inputs; use
 * {@link #runtimeInputs()} for the inputs a caller must feed.
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, List<OnnxTensor> initializers, List<ValueInfo> inputs,
                        List<ValueInfo> outputs, List<ValueInfo> valueInfo) {

    public OnnxGraph {
        name = name == null ? "" : name;
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        initializers = initializers == null ? List.of() : List.copyOf(initializers);
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        valueInfo = valueInfo == null ? List.of() : List.copyOf(valueInfo);
    }

    /** A graph with no value_info. */
    public static OnnxGraph of(String name, List<OnnxNode> nodes, List<OnnxTensor> initializers,
                               List<ValueInfo> inputs, List<ValueInfo> outputs) {
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, List.of());
    }

    /** Initializers by name (a new map each call, in file order). */
    public Map<String, OnnxTensor> initializerMap() {
        Map<String, OnnxTensor> m = new LinkedHashMap<>();
        for (OnnxTensor t : initializers) {
            m.put(t.name(), t);
        }
        return m;
    }

    /** The initializer called {@code tensorName}, or null. */
    public OnnxTensor initializer(String tensorName) {
        for (OnnxTensor t : initializers) {
            if (t.name().equals(tensorName)) {
                return t;
            }
        }
        return null;
    }

    /** The inputs that are not initializers: what a caller must feed. */
    public List<ValueInfo> runtimeInputs() {
        Set<String> init = new HashSet<>();
        for (OnnxTensor t : initializers) {
            init.add(t.name());
        }
        return inputs.stream().filter(v -> !init.contains(v.name())).toList();
    }

    /** Op types in node order, each once. */
    public List<String> opTypes() {
        return nodes.stream().map(OnnxNode::opType).distinct().toList();
    }
}
