package org.neuralj.nn;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.neuralj.nn.ops.Binary;
import org.neuralj.nn.ops.Cast;
import org.neuralj.nn.ops.Clip;
import org.neuralj.nn.ops.Concat;
import org.neuralj.nn.ops.Constants;
import org.neuralj.nn.ops.Conv;
import org.neuralj.nn.ops.ConvTranspose;
import org.neuralj.nn.ops.DepthToSpace;
import org.neuralj.nn.ops.Expand;
import org.neuralj.nn.ops.Gather;
import org.neuralj.nn.ops.Gelu;
import org.neuralj.nn.ops.Gemm;
import org.neuralj.nn.ops.Lrn;
import org.neuralj.nn.ops.MatMul;
import org.neuralj.nn.ops.Normalization;
import org.neuralj.nn.ops.Pad;
import org.neuralj.nn.ops.Pool;
import org.neuralj.nn.ops.Reduce;
import org.neuralj.nn.ops.Reshape;
import org.neuralj.nn.ops.Resize;
import org.neuralj.nn.ops.Slice;
import org.neuralj.nn.ops.Softmax;
import org.neuralj.nn.ops.Split;
import org.neuralj.nn.ops.Transpose;
import org.neuralj.nn.ops.Unary;

/** The ONNX operators (default domain) NeuralJ runs, each mapped to the class that implements it. */
public final class OpRegistry {
    private static final Map<String, Function<NodeInfo, Op>> OPS = new TreeMap<>();

    static {
        for (String t : Unary.OP_TYPES) {
            OPS.put(t, n -> new Unary(Unary.activationOf(n)));
        }
        for (String t : Binary.OP_TYPES) {
            OPS.put(t, Binary::new);
        }
        for (String t : Reduce.OP_TYPES) {
            OPS.put(t, Reduce::new);
        }
        for (String t : Reshape.OP_TYPES) {
            OPS.put(t, Reshape::new);
        }
        for (String t : Constants.OP_TYPES) {
            OPS.put(t, Constants::new);
        }
        OPS.put("Clip", Clip::new);
        OPS.put("Conv", Conv::new);
        OPS.put("ConvTranspose", ConvTranspose::new);
        OPS.put("MaxPool", Pool::new);
        OPS.put("AveragePool", Pool::new);
        OPS.put("BatchNormalization", Normalization::new);
        OPS.put("InstanceNormalization", Normalization::new);
        OPS.put("Softmax", Softmax::new);
        OPS.put("LogSoftmax", Softmax::new);
        OPS.put("Concat", Concat::new);
        OPS.put("Split", Split::new);
        OPS.put("Slice", Slice::new);
        OPS.put("Pad", Pad::new);
        OPS.put("Transpose", Transpose::new);
        OPS.put("Gemm", Gemm::new);
        OPS.put("MatMul", MatMul::new);
        OPS.put("Resize", Resize::new);
        OPS.put("Upsample", Resize::new);
        OPS.put("DepthToSpace", DepthToSpace::new);
        OPS.put("SpaceToDepth", DepthToSpace::new);
        OPS.put("Gather", Gather::new);
        OPS.put("Cast", Cast::new);
        OPS.put("CastLike", Cast::new);
        OPS.put("Expand", Expand::new);
        OPS.put("LRN", Lrn::new);
        OPS.put("Gelu", Gelu::new);
        OPS.put("Mish", Gelu::new);
        OPS.put("GroupNormalization", Normalization::new);
    }

    private OpRegistry() {
    }

    public static boolean supports(String opType) {
        return OPS.containsKey(opType);
    }

    /** Every supported op type, sorted. */
    public static java.util.Set<String> opTypes() {
        return Collections.unmodifiableSet(OPS.keySet());
    }

    /** The op for a node, or an {@link UnsupportedOperatorException} naming op, node and opset. */
    public static Op create(NodeInfo node) {
        if (!node.domain().isEmpty() && !node.domain().equals("ai.onnx")) {
            throw new UnsupportedOperatorException(node + ": operators of domain '" + node.domain() + "' are not supported");
        }
        Function<NodeInfo, Op> factory = OPS.get(node.opType());
        if (factory == null) {
            throw new UnsupportedOperatorException(node + ": operator " + node.opType() + " is not supported by NeuralJ"
                    + " (supported: " + String.join(", ", OPS.keySet()) + ")");
        }
        return factory.apply(node);
    }
}
