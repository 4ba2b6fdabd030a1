package org.neuralj.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.NeuralJException;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.ValueInfo;

/**
 * Every ONNX value a user can pick is fetchable as a feature map, also those that load-time fusion
 * removed (a Conv output folded with its BatchNormalization, or with its ReLU): the model summary
 * names them beside the step they went into, and each equals the same value computed by a model cut
 * there (whose graph output fusion leaves alone) and by the tape.
 */
class FusedValuesTest {

    static List<String> backends() {
        return Backends.available();
    }

    /** x -> Conv c1 -> BN b1 -> Relu r1 -> Conv c2 -> Relu r2 -> Conv c3 -> BN out. */
    static OnnxModel convBnRelu() {
        Random r = new Random(5);
        List<OnnxTensor> w = List.of(DenseExplainTest.tensor(r, "w1", 0.5f, 4, 2, 3, 3), DenseExplainTest.tensor(r, "bias1", 0.2f, 4),
                OnnxTensor.ofFloats("g", new long[] {4}, new float[] {1.3f, 0.7f, 1f, 1.2f}),
                OnnxTensor.ofFloats("be", new long[] {4}, new float[] {0.1f, -0.3f, 0.2f, 0f}),
                OnnxTensor.ofFloats("m", new long[] {4}, new float[] {0.2f, -0.1f, 0f, 0.3f}),
                OnnxTensor.ofFloats("v", new long[] {4}, new float[] {0.6f, 1.4f, 0.9f, 1.1f}),
                DenseExplainTest.tensor(r, "w2", 0.4f, 4, 4, 3, 3), DenseExplainTest.tensor(r, "w3", 0.4f, 4, 4, 1, 1));
        List<OnnxNode> n = List.of(
                OnnxNode.of("Conv", List.of("x", "w1", "bias1"), List.of("c1"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)),
                OnnxNode.of("BatchNormalization", List.of("c1", "g", "be", "m", "v"), List.of("b1")),
                OnnxNode.of("Relu", List.of("b1"), List.of("r1")),
                OnnxNode.of("Conv", List.of("r1", "w2"), List.of("c2"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)),
                OnnxNode.of("Relu", List.of("c2"), List.of("r2")),
                OnnxNode.of("Conv", List.of("r2", "w3"), List.of("c3")),
                OnnxNode.of("BatchNormalization", List.of("c3", "g", "be", "m", "v"), List.of("out")));
        return OnnxModel.of(OnnxGraph.of("fused", n, w, List.of(ValueInfo.floatTensor("x", 1, 2, 8, 8)),
                List.of(ValueInfo.floatTensor("out", 1, 4, 8, 8))), 13);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void fusedAwayValuesAreListedAndFetchable(String spec) {
        OnnxModel onnx = convBnRelu();
        Model model = Model.fromOnnx(onnx, "fused.onnx");
        List<ModelSummary.Row> rows = ModelSummary.of(model, Map.of("x", new int[] {1, 2, 8, 8}));
        Map<String, List<String>> fused = rows.stream().collect(Collectors.toMap(ModelSummary.Row::value, ModelSummary.Row::fused));
        assertEquals(List.of("r1", "r2", "out"), rows.stream().map(ModelSummary.Row::value).toList(), "the engine's steps");
        assertEquals(Map.of("r1", List.of("c1", "b1"), "r2", List.of("c2"), "out", List.of("c3")), fused);
        assertTrue(ModelSummary.table(rows).contains("(fused: c1, b1)"), ModelSummary.table(rows));
        float[] x = DenseExplainTest.random(new Random(9), 2 * 64, 1f);
        try (Backend b = Backends.select(spec); Session session = new Session(model, b); Tensor xt = b.upload(x, 1, 2, 8, 8);
             OnnxTapeNet tape = new OnnxTapeNet(model, b)) {
            for (String value : List.of("c1", "b1", "r1", "c2", "r2", "c3", "out", "c1")) {
                FeatureMaps fm = FeatureMaps.of(session, xt, value);
                float[] cut = cutAt(onnx, value, b, xt);
                assertArrayEquals(cut, fm.data(), 1e-5f, value + " on " + b.name());
                assertArrayEquals(FeatureMaps.of(tape, xt, value).data(), fm.data(), 1e-4f, value + ": engine vs tape on " + b.name());
            }
            // several at once, with the outputs
            Map<String, Tensor> out = session.run(Map.of("x", xt), Set.of("c1", "c3", "r2"));
            try {
                assertEquals(Set.of("out", "c1", "c3", "r2"), out.keySet());
            } finally {
                out.values().forEach(Tensor::close);
            }
            var e = assertThrows(NeuralJException.class, () -> session.run(Map.of("x", xt), Set.of("c9")));
            assertTrue(e.getMessage().contains("no value 'c9'") && e.getMessage().contains("c1"), e.getMessage());
        }
    }

    /** A MaxPool folded into the Conv before it (and its Relu): the Conv's and the Relu's outputs stay fetchable. */
    @ParameterizedTest
    @MethodSource("backends")
    void theInputOfAMaxPoolFoldedIntoItsConvIsFetchable(String spec) {
        Random r = new Random(11);
        List<OnnxTensor> w = List.of(DenseExplainTest.tensor(r, "w", 0.1f, 32, 16, 3, 3), DenseExplainTest.tensor(r, "bias", 0.2f, 32));
        List<OnnxNode> n = List.of(
                OnnxNode.of("Conv", List.of("x", "w", "bias"), List.of("c"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)),
                OnnxNode.of("Relu", List.of("c"), List.of("a")),
                OnnxNode.of("MaxPool", List.of("a"), List.of("out"), OnnxAttribute.ofInts("kernel_shape", 3, 3),
                        OnnxAttribute.ofInts("strides", 2, 2), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)));
        OnnxModel onnx = OnnxModel.of(OnnxGraph.of("pooled", n, w, List.of(ValueInfo.floatTensor("x", 1, 16, 14, 14)),
                List.of(ValueInfo.floatTensor("out", 1, 32, 7, 7))), 13);
        Model model = Model.fromOnnx(onnx, "pooled.onnx");
        List<ModelSummary.Row> rows = ModelSummary.of(model, Map.of("x", new int[] {1, 16, 14, 14}));
        assertEquals(1, rows.size(), ModelSummary.table(rows));
        assertEquals(List.of("c", "a"), rows.get(0).fused());
        assertEquals("Conv+relu+maxpool", rows.get(0).op());
        assertEquals(2L * 32 * 14 * 14 * 16 * 9, rows.get(0).flops(), "the convolution's FLOPs, at its own output size");
        assertEquals(5, rows.get(0).receptiveField(), "3 x 3 conv, then 3 x 3 pool over its pixels");
        float[] x = DenseExplainTest.random(new Random(12), 16 * 14 * 14, 1f);
        try (Backend b = Backends.select(spec); Session session = new Session(model, b); Tensor xt = b.upload(x, 1, 16, 14, 14)) {
            for (String value : List.of("c", "a", "out")) {
                assertArrayEquals(cutAt(onnx, value, b, xt), FeatureMaps.of(session, xt, value).data(), 1e-5f, value + " on " + b.name());
            }
        }
    }

    /** The value as the output of a model cut there, run by the plain Session.run. */
    static float[] cutAt(OnnxModel onnx, String value, Backend b, Tensor x) {
        OnnxGraph g = onnx.graph();
        OnnxGraph cut = OnnxGraph.of("cut", g.nodes(), g.initializers(), g.inputs(), List.of(ValueInfo.symbolicTensor(value, DataType.FLOAT)));
        try (Session s = new Session(Model.fromOnnx(OnnxModel.of(cut, 13), "cut.onnx"), b)) {
            Map<String, Tensor> out = s.run(Map.of("x", x));
            try {
                return b.download(out.get(value));
            } finally {
                out.values().forEach(Tensor::close);
            }
        }
    }
}
