package org.neuralj.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;

/**
 * Collects ONNX nodes and initializers while a {@link Tape} in export mode runs a forward pass: every
 * op of the tape writes the node(s) that compute the same values in inference (eval) mode.
 */
final class OnnxRecorder {
    final List<OnnxNode> nodes = new ArrayList<>();
    final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
    private int counter;

    String name(Var v) {
        if (v.onnxName == null) {
            v.onnxName = "t" + counter++;
        }
        return v.onnxName;
    }

    void parameter(Var v) {
        Parameter p = v.parameter;
        v.onnxName = p.name();
        if (!initializers.containsKey(p.name())) {
            initializers.put(p.name(), OnnxTensor.ofFloats(p.name(), p.shape(), p.download()));
        }
    }

    /** A constant initializer with a fresh name starting with {@code hint}. */
    String constant(String hint, long[] dims, float[] data) {
        String n = hint + "_" + counter++;
        initializers.put(n, OnnxTensor.ofFloats(n, dims, data));
        return n;
    }

    String int64Constant(String hint, long[] data) {
        String n = hint + "_" + counter++;
        initializers.put(n, OnnxTensor.ofLongs(n, new long[] {data.length}, data));
        return n;
    }

    /** Adds a node computing {@code out} from the named inputs ("" for a left-out optional input). */
    void node(String opType, List<String> inputs, Var out, OnnxAttribute... attributes) {
        String o = name(out);
        nodes.add(OnnxNode.of(opType, inputs, List.of(o), attributes).withName(opType.toLowerCase() + "_" + o));
    }

    List<String> names(Var... vs) {
        List<String> r = new ArrayList<>();
        for (Var v : vs) {
            r.add(v == null ? "" : name(v));
        }
        return r;
    }
}
