package org.neuralj.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.onnx.ValueInfo;

/**
 * Writes a network as an ONNX model of its evaluation-mode forward pass: the network runs once on an
 * export {@link Tape} with a zero input of the given shape, and every op writes its ONNX node(s)
 * (Conv, ConvTranspose, BatchNormalization with the running statistics, Relu/LeakyRelu/Sigmoid/Tanh,
 * MaxPool/AveragePool, GlobalAveragePool, Resize, Concat, Add, Flatten, Gemm; Dropout disappears).
 * Parameters become initializers under their names. The batch and spatial axes are symbolic ("N", "H",
 * "W"), so the model accepts any batch and tile size (the export shape only traces the graph).
 */
public final class OnnxExport {
    /** The opset written (BatchNormalization 15, Resize 13 semantics). */
    public static final int OPSET = 17;

    private static final String[] SPATIAL = {"H", "W", "D"};

    private OnnxExport() {
    }

    public static OnnxModel toOnnx(Layer net, Backend b, String inputName, String outputName, int... inputShape) {
        float[] zeros = new float[Tensor.elementCount(inputShape)];
        try (Tensor x = b.upload(zeros, inputShape); Tape t = Tape.forExport(b)) {
            Var in = t.input(x);
            in.onnxName = inputName;
            Var out = net.forward(t, in);
            OnnxRecorder r = t.recorder;
            List<OnnxNode> nodes = new ArrayList<>(r.nodes);
            nodes.add(OnnxNode.of("Identity", List.of(r.name(out)), List.of(outputName)).withName("output"));
            Object[] dims = new Object[inputShape.length];
            dims[0] = "N";
            for (int i = 1; i < dims.length; i++) {
                // spatial axes are symbolic: a convolutional net runs on any tile size, in NeuralJ and elsewhere
                dims[i] = i >= 2 ? SPATIAL[i - 2] : (Object) inputShape[i];
            }
            Object[] outDims = new Object[out.shape().length];
            outDims[0] = "N";
            for (int i = 1; i < outDims.length; i++) {
                outDims[i] = i >= 2 ? SPATIAL[i - 2] + "_out" : (Object) out.shape()[i];
            }
            OnnxGraph g = OnnxGraph.of("neuralj", nodes, new ArrayList<>(r.initializers.values()),
                    List.of(ValueInfo.symbolicTensor(inputName, DataType.FLOAT, dims)),
                    List.of(ValueInfo.symbolicTensor(outputName, DataType.FLOAT, outDims)));
            return OnnxModel.of(g, OPSET);
        }
    }

    public static void write(Layer net, Backend b, Path file, String inputName, String outputName, int... inputShape) {
        OnnxWriter.write(toOnnx(net, b, inputName, outputName, inputShape), file);
    }
}
