package org.neuralj.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.onnx.ModelFormatException;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.OnnxWriter;

/** Loading, planning and running models: memory reuse, transfers, and every bad input a user can give. */
class ModelTest {

    static List<String> backends() {
        return Backends.available();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void twentyLayerNetHoldsOnlyTheActivationsItStillNeeds(String spec) {
        Model model = Model.fromOnnx(TestModels.convChain(20, 8, 1), "chain20");
        float[] x = new float[8 * 32 * 32];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.01);
        }
        try (Backend b = Backends.select(spec); Session s = new Session(model, b)) {
            HostTensor y = s.runOnHost(Map.of("input", new HostTensor(new int[] {1, 8, 32, 32}, x))).get("relu19");
            assertArrayEquals(new int[] {1, 8, 32, 32}, y.shape());
            // conv+relu are fused: 20 steps, yet at most the step's output and its input are alive
            assertEquals(20, model.plan(Map.of("input", new int[] {1, 8, 32, 32})).steps().size());
            assertTrue(s.peakLiveActivations() <= 2, "peak live activations " + s.peakLiveActivations());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void eightThreadsSharingOneSessionGetTheSingleThreadResults(String spec) throws Exception {
        Model model = Model.fromOnnx(TestModels.convChain(4, 6, 7), "chain4");
        int threads = 8;
        float[][] inputs = new float[threads][6 * 24 * 24];
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < inputs[t].length; i++) {
                inputs[t][i] = (float) Math.cos(i * 0.05 + t);
            }
        }
        try (Backend b = Backends.select(spec); Session s = new Session(model, b)) {
            float[][] expected = new float[threads][];
            for (int t = 0; t < threads; t++) {
                expected[t] = s.runOnHost(Map.of("input", new HostTensor(new int[] {1, 6, 24, 24}, inputs[t]))).get("relu3").data();
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<float[]>> results = new java.util.ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    for (int t = 0; t < threads; t++) {
                        float[] x = inputs[t];
                        results.add(pool.submit(() -> s.runOnHost(Map.of("input", new HostTensor(new int[] {1, 6, 24, 24}, x))).get("relu3").data()));
                    }
                }
                for (int i = 0; i < results.size(); i++) {
                    assertArrayEquals(expected[i % threads], results.get(i).get(), "thread result " + i + " on " + spec);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void openClRunMovesOnlyInputsAndOutputsAfterTheFirstRun() {
        List<String> specs = Backends.available();
        org.junit.jupiter.api.Assumptions.assumeTrue(specs.size() > 1, "no OpenCL device here");
        Model model = Model.fromOnnx(TestModels.convChain(5, 4, 2), "chain5");
        HostTensor in = new HostTensor(new int[] {1, 4, 16, 16}, new float[4 * 16 * 16]);
        try (Backend b = Backends.select(specs.get(1)); Session s = new Session(model, b)) {
            s.runOnHost(Map.of("input", in));
            long uploads = b.transfers().uploads();
            long downloads = b.transfers().downloads();
            s.runOnHost(Map.of("input", in));
            assertEquals(1, b.transfers().uploads() - uploads, "uploads in the second run (weights stay on the device)");
            assertEquals(1, b.transfers().downloads() - downloads, "downloads in the second run (no host round trips between layers)");
        }
    }

    @Test
    void unsupportedOperatorFailsAtLoadNamingOpNodeAndOpset() {
        OnnxModel m = TestModels.singleNode("Einsum", List.of("x"), List.of());
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> Model.fromOnnx(m, "einsum.onnx"));
        assertTrue(e.getMessage().contains("Einsum") && e.getMessage().contains("the_node")
                && e.getMessage().contains("opset 13") && e.getMessage().contains("einsum.onnx"), e.getMessage());
    }

    @Test
    void missingInitializerFailsAtLoadNamingTheTensor() {
        OnnxModel m = TestModels.singleNode("Conv", List.of("x", "weights_not_there"), List.of(),
                OnnxAttribute.ofInts("kernel_shape", 3, 3));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.fromOnnx(m, "conv.onnx"));
        assertTrue(e.getMessage().contains("weights_not_there") && e.getMessage().contains("the_node"), e.getMessage());
    }

    @Test
    void wrongInputShapeAndRankNameTheInput() {
        OnnxModel m = TestModels.singleNode("Relu", List.of("x"), List.of());
        Model model = Model.fromOnnx(m, "relu.onnx");
        try (Backend b = Backends.select("cpu"); Session s = new Session(model, b)) {
            ShapeMismatchException shape = assertThrows(ShapeMismatchException.class,
                    () -> s.runOnHost(Map.of("x", new HostTensor(new int[] {1, 2, 4, 5}, new float[40]))));
            assertTrue(shape.getMessage().contains("'x'") && shape.getMessage().contains("[1, 2, 4, 4]"), shape.getMessage());
            ShapeMismatchException rank = assertThrows(ShapeMismatchException.class,
                    () -> s.runOnHost(Map.of("x", new HostTensor(new int[] {2, 4, 4}, new float[32]))));
            assertTrue(rank.getMessage().contains("'x'"), rank.getMessage());
            InvalidInputException missing = assertThrows(InvalidInputException.class, () -> s.runOnHost(Map.of()));
            assertTrue(missing.getMessage().contains("'x'"), missing.getMessage());
        }
    }

    @Test
    void nanInTheInputIsRefusedNamingInputAndElement() {
        Model model = Model.fromOnnx(TestModels.singleNode("Relu", List.of("x"), List.of()), "relu.onnx");
        float[] x = new float[32];
        x[7] = Float.NaN;
        try (Backend b = Backends.select("cpu"); Session s = new Session(model, b)) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> s.runOnHost(Map.of("x", new HostTensor(new int[] {1, 2, 4, 4}, x))));
            assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("element 7"), e.getMessage());
        }
    }

    @Test
    void convWithWrongChannelCountFailsAtLoadNamingBothShapes() {
        OnnxModel m = TestModels.singleNode("Conv", List.of("x", "w"),
                List.of(OnnxTensor.ofFloats("w", new long[] {4, 3, 3, 3}, new float[108])));
        // the input's shape is declared, so shapes are inferred and the mismatch found when the model loads
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> Model.fromOnnx(m, "conv.onnx"));
        assertTrue(e.getMessage().contains("2 channels") && e.getMessage().contains("[4, 3, 3, 3]"), e.getMessage());
    }

    @Test
    void truncatedAndRandomFilesAreModelFormatErrorsNamingTheFile(@TempDir Path dir) throws Exception {
        byte[] good = OnnxWriter.toBytes(TestModels.convChain(2, 4, 3));
        Path truncated = dir.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        ModelFormatException t = assertThrows(ModelFormatException.class, () -> Model.load(truncated));
        assertTrue(t.getMessage().contains("truncated.onnx"), t.getMessage());
        byte[] noise = new byte[4096];
        new java.util.Random(5).nextBytes(noise);
        Path random = dir.resolve("random.onnx");
        Files.write(random, noise);
        ModelFormatException r = assertThrows(ModelFormatException.class, () -> Model.load(random));
        assertTrue(r.getMessage().contains("random.onnx"), r.getMessage());
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> Model.load(dir.resolve("absent.onnx")));
        assertTrue(missing.getMessage().contains("absent.onnx"), missing.getMessage());
    }

    @Test
    void aHugeConstantIsRefusedBeforeAllocation() {
        org.neuralj.onnx.OnnxGraph g = org.neuralj.onnx.OnnxGraph.of("huge",
                List.of(org.neuralj.onnx.OnnxNode.of("ConstantOfShape", List.of("shape"), List.of("big")).withName("make_big"),
                        org.neuralj.onnx.OnnxNode.of("Add", List.of("x", "big"), List.of("y")).withName("add")),
                List.of(OnnxTensor.ofLongs("shape", new long[] {2}, new long[] {40000, 40000})),
                List.of(org.neuralj.onnx.ValueInfo.floatTensor("x", 1)), List.of(org.neuralj.onnx.ValueInfo.floatTensor("y")));
        Model model = Model.fromOnnx(OnnxModel.of(g, 13), "huge.onnx");
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> model.plan(Map.of("x", new int[] {1})));
        assertTrue(e.getMessage().contains("make_big") && e.getMessage().contains("1600000000"), e.getMessage());
    }

    @Test
    void flopsOfAConvChain() {
        Model model = Model.fromOnnx(TestModels.convChain(3, 8, 4), "chain3");
        // 3 layers x 2 x (8*32*32 outputs) x (8*3*3 MACs each)
        assertEquals(3L * 2 * 8 * 32 * 32 * 8 * 9, model.flops(Map.of("input", new int[] {1, 8, 32, 32})));
        assertEquals(3 * (8 * 8 * 9 + 8), model.parameterCount());
    }
}
