package org.neuralj.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A whole ONNX model (ModelProto): the IR version, the operator sets it imports, who made it, and
 * its graph.
 *
 * @param opsetImports operator-set domain to version; "" is the default ONNX domain ("ai.onnx" is read as "")
 */
public record OnnxModel(long irVersion, Map<String, Long> opsetImports, String producerName, String producerVersion,
                        OnnxGraph graph) {

    /** The producer name the writer uses for models built in code. */
    public static final String PRODUCER = "NeuralJ";

    public OnnxModel {
        Map<String, Long> m = new LinkedHashMap<>();
        if (opsetImports != null) {
            opsetImports.forEach((k, v) -> m.put(k == null || k.equals("ai.onnx") ? "" : k, v));
        }
        opsetImports = Collections.unmodifiableMap(m);
        producerName = producerName == null ? "" : producerName;
        producerVersion = producerVersion == null ? "" : producerVersion;
        Objects.requireNonNull(graph, "graph");
    }

    /** A model made in code, importing the default operator set at {@code opsetVersion}. */
    public static OnnxModel of(OnnxGraph graph, long opsetVersion) {
        return new OnnxModel(irVersionFor(opsetVersion), Map.of("", opsetVersion), PRODUCER, "", graph);
    }

    /** The version of the default ONNX operator set, or -1 when the model does not import it. */
    public long opsetVersion() {
        Long v = opsetImports.get("");
        return v == null ? -1 : v;
    }

    /** The lowest IR version that allows the given default-domain opset (so older runtimes accept the file). */
    public static long irVersionFor(long opsetVersion) {
        if (opsetVersion <= 8) {
            return 3;
        }
        if (opsetVersion <= 11) {
            return opsetVersion - 5; // 9 -> 4, 10 -> 5, 11 -> 6
        }
        if (opsetVersion <= 14) {
            return 7;
        }
        if (opsetVersion <= 18) {
            return 8;
        }
        if (opsetVersion <= 20) {
            return 9;
        }
        if (opsetVersion <= 22) {
            return 10;
        }
        return 11;
    }
}
