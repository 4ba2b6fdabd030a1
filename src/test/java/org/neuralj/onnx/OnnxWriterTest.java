package org.neuralj.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;

/** Writing models: round trips of real files, and models built in code. */
class OnnxWriterTest {

    private static List<Path> models(String relative, String fileName) throws IOException {
        Path dir = SharedData.require(relative);
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(d -> d.resolve(fileName)).filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** read → write → read gives an equal model, and writing that again gives the same bytes. */
    private static void assertRoundTrip(Path file) {
        OnnxModel a = OnnxReader.read(file);
        byte[] bytes = OnnxWriter.toBytes(a);
        OnnxModel b = OnnxReader.read(bytes, file + " (rewritten)", file.getParent());
        assertEquals(a.irVersion(), b.irVersion(), file.toString());
        assertEquals(a.opsetImports(), b.opsetImports(), file.toString());
        assertEquals(a.producerName(), b.producerName(), file.toString());
        assertEquals(a.graph().nodes(), b.graph().nodes(), file + ": nodes");
        assertEquals(a.graph().initializers(), b.graph().initializers(), file + ": initializers");
        assertEquals(a.graph().inputs(), b.graph().inputs(), file + ": inputs");
        assertEquals(a.graph().outputs(), b.graph().outputs(), file + ": outputs");
        assertEquals(a.graph().valueInfo(), b.graph().valueInfo(), file + ": value_info");
        assertEquals(a, b, file.toString());
        assertArrayEquals(bytes, OnnxWriter.toBytes(b), file + ": writing is deterministic");
    }

    @Test
    void pytorchConvertedModelsRoundTrip() throws IOException {
        List<Path> files = models("onnx/model-tests/pytorch-converted", "model.onnx");
        assertTrue(files.size() >= 80, "expected the 82 pytorch-converted models, found " + files.size());
        for (Path f : files) {
            assertRoundTrip(f);
        }
    }

    @Test
    void nodeTestModelsRoundTrip() throws IOException {
        List<Path> files = models("onnx/node-tests/node", "model.onnx");
        assertTrue(files.size() >= 500);
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            try {
                assertRoundTrip(f);
            } catch (AssertionError | RuntimeException e) {
                failures.add(f.getParent().getFileName() + ": " + e.getMessage());
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void unetAndLightModelsRoundTrip() throws IOException {
        assertRoundTrip(SharedData.require("onnx/real-models/unet2d-nuclei-broad/weights.onnx"));
        Path light = SharedData.require("onnx/model-tests/light");
        try (Stream<Path> s = Files.list(light)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList()) {
                assertRoundTrip(p);
            }
        }
    }

    @Test
    void testTensorsRoundTrip() throws IOException {
        for (Path d : models("onnx/node-tests/node", "test_data_set_0")) {
            try (Stream<Path> s = Files.list(d)) {
                for (Path pb : s.filter(p -> p.toString().endsWith(".pb")).toList()) {
                    OnnxTensor t = OnnxReader.readTensor(pb);
                    OnnxTensor u = OnnxReader.readTensor(OnnxWriter.toBytes(t), pb.toString(), null);
                    assertEquals(t, u, pb.toString());
                }
            }
        }
    }

    @Test
    void modelBuiltInCode(@TempDir Path tmp) {
        float[] w = new float[2 * 1 * 3 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.25f - 1;
        }
        OnnxGraph g = OnnxGraph.of("tiny",
                List.of(OnnxNode.of("Conv", List.of("x", "w", "b"), List.of("c"),
                                OnnxAttribute.ofInts("kernel_shape", 3, 3), OnnxAttribute.ofInts("pads", 1, 1, 1, 1),
                                OnnxAttribute.of("group", 1L)).withName("conv1"),
                        OnnxNode.of("LeakyRelu", List.of("c"), List.of("y"), OnnxAttribute.of("alpha", 0.1f)),
                        OnnxNode.of("Resize", List.of("y", "", "scales"), List.of("z"), OnnxAttribute.of("mode", "nearest"))),
                List.of(OnnxTensor.ofFloats("w", new long[] {2, 1, 3, 3}, w),
                        OnnxTensor.ofFloats("b", new int[] {2}, new float[] {0.5f, -0.5f}),
                        OnnxTensor.ofFloats("scales", new long[] {4}, new float[] {1, 1, 2, 2})),
                List.of(ValueInfo.symbolicTensor("x", DataType.FLOAT, "N", 1, "H", "W")),
                List.of(ValueInfo.floatTensor("z", -1, 2, -1, -1)));
        OnnxModel m = OnnxModel.of(g, 17);
        Path f = tmp.resolve("tiny.onnx");
        OnnxWriter.write(m, f);
        OnnxModel r = OnnxReader.read(f);
        assertEquals(m, r);
        assertEquals(8, r.irVersion());
        assertEquals(17, r.opsetVersion());
        assertEquals("NeuralJ", r.producerName());
        OnnxNode conv = r.graph().nodes().get(0);
        assertEquals("conv1", conv.name());
        assertArrayEquals(new int[] {1, 1, 1, 1}, conv.getInts("pads", null));
        assertEquals(0.1f, r.graph().nodes().get(1).getFloat("alpha", 0.01f));
        OnnxNode resize = r.graph().nodes().get(2);
        assertEquals("", resize.input(1));
        assertFalse(resize.hasInput(1));
        assertTrue(resize.hasInput(2));
        assertEquals("nearest", resize.getString("mode", "?"));
        assertArrayEquals(w, r.graph().initializer("w").toFloats());
        ValueInfo x = r.graph().inputs().get(0);
        assertArrayEquals(new long[] {-1, 1, -1, -1}, x.dims());
        assertArrayEquals(new String[] {"N", null, "H", "W"}, x.dimParams());
        assertArrayEquals(new long[] {-1, 2, -1, -1}, r.graph().outputs().get(0).dims());
        assertNull(r.graph().outputs().get(0).dimParams()[0]);
    }

    @Test
    void subgraphsAndEveryAttributeTypeRoundTrip() {
        OnnxGraph thenBranch = OnnxGraph.of("then",
                List.of(OnnxNode.of("Constant", List.of(), List.of("t"),
                        OnnxAttribute.of("value", OnnxTensor.ofFloats("", new long[] {1}, new float[] {1})))),
                List.of(), List.of(), List.of(ValueInfo.floatTensor("t", 1)));
        OnnxGraph elseBranch = OnnxGraph.of("else",
                List.of(OnnxNode.of("Constant", List.of(), List.of("e"),
                        OnnxAttribute.of("value", OnnxTensor.ofLongs("", new long[] {}, new long[] {-7})))),
                List.of(), List.of(), List.of(ValueInfo.tensor("e", DataType.INT64)));
        OnnxNode iff = new OnnxNode("if1", "If", "", List.of("cond"), List.of("out"), Map.of(
                "then_branch", OnnxAttribute.of("then_branch", thenBranch),
                "else_branch", OnnxAttribute.of("else_branch", elseBranch)));
        OnnxNode custom = new OnnxNode("c", "MyOp", "org.neuralj", List.of("out"), List.of("o2"), Map.of(
                "fs", OnnxAttribute.ofFloats("fs", 1.5f, -2f),
                "ss", OnnxAttribute.ofStrings("ss", List.of("a", "βγ", "")),
                "ts", OnnxAttribute.ofTensors("ts", List.of(OnnxTensor.ofInts("i", new long[] {2}, new int[] {-1, 2}))),
                "gs", OnnxAttribute.ofGraphs("gs", List.of(thenBranch, elseBranch)),
                "big", OnnxAttribute.of("big", Long.MIN_VALUE),
                "empty", OnnxAttribute.ofInts("empty", new long[0])));
        OnnxGraph g = OnnxGraph.of("main", List.of(iff, custom), List.of(),
                List.of(ValueInfo.tensor("cond", DataType.BOOL)), List.of(ValueInfo.floatTensor("o2")));
        OnnxModel m = new OnnxModel(9, Map.of("", 19L, "org.neuralj", 1L), "test", "0", g);
        OnnxModel r = OnnxReader.read(OnnxWriter.toBytes(m), "mem.onnx", null);
        assertEquals(m, r);
        OnnxNode c = r.graph().nodes().get(1);
        assertEquals("org.neuralj", c.domain());
        assertEquals(List.of("a", "βγ", ""), c.getStrings("ss", null));
        assertEquals(Long.MIN_VALUE, c.getLong("big", 0));
        assertArrayEquals(new long[0], c.getLongs("empty", null));
        assertEquals(OnnxAttribute.Type.INTS, c.attribute("empty").type());
        OnnxGraph eb = r.graph().nodes().get(0).getGraph("else_branch");
        assertArrayEquals(new long[] {-7}, eb.nodes().get(0).getTensor("value").toLongs());
        assertEquals(0, eb.nodes().get(0).getTensor("value").rank());
    }
}
