package org.neuralj.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.ValueInfo;

/** Small ONNX models built in code for the engine's own tests. */
final class TestModels {
    private TestModels() {
    }

    /** {@code layers} 3x3 convolutions (channels -> channels, pad 1) each followed by Relu; input [1, C, H, W]. */
    static OnnxModel convChain(int layers, int channels, long seed) {
        Random rnd = new Random(seed);
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> init = new ArrayList<>();
        String x = "input";
        for (int i = 0; i < layers; i++) {
            float[] w = new float[channels * channels * 9];
            for (int j = 0; j < w.length; j++) {
                w[j] = (float) (rnd.nextGaussian() * Math.sqrt(2.0 / (channels * 9)));
            }
            float[] b = new float[channels];
            init.add(OnnxTensor.ofFloats("w" + i, new long[] {channels, channels, 3, 3}, w));
            init.add(OnnxTensor.ofFloats("b" + i, new long[] {channels}, b));
            nodes.add(OnnxNode.of("Conv", List.of(x, "w" + i, "b" + i), List.of("conv" + i),
                    OnnxAttribute.ofInts("kernel_shape", 3, 3), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)).withName("conv" + i));
            nodes.add(OnnxNode.of("Relu", List.of("conv" + i), List.of("relu" + i)).withName("relu" + i));
            x = "relu" + i;
        }
        OnnxGraph g = OnnxGraph.of("chain", nodes, init,
                List.of(ValueInfo.symbolicTensor("input", DataType.FLOAT, 1L, (long) channels, "h", "w")),
                List.of(ValueInfo.symbolicTensor(x, DataType.FLOAT, 1L, (long) channels, "h", "w")));
        return OnnxModel.of(g, 13);
    }

    /** One node of {@code opType} from "x" to "y", input [1, 2, 4, 4]. */
    static OnnxModel singleNode(String opType, List<String> inputs, List<OnnxTensor> init, OnnxAttribute... attributes) {
        OnnxGraph g = OnnxGraph.of("single", List.of(OnnxNode.of(opType, inputs, List.of("y"), attributes).withName("the_node")),
                init, List.of(ValueInfo.floatTensor("x", 1, 2, 4, 4)), List.of(ValueInfo.floatTensor("y")));
        return OnnxModel.of(g, 13);
    }
}
