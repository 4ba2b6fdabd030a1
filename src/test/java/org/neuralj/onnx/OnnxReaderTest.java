package org.neuralj.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;

/** Reading the ONNX files in ../shared: node tests, light models, the real U-Net, and broken files. */
class OnnxReaderTest {

    private static final String UNET = "onnx/real-models/unet2d-nuclei-broad/weights.onnx";

    private static List<Path> nodeTestDirs() throws IOException {
        Path dir = SharedData.require("onnx/node-tests/node");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    private static List<Path> dataFiles(Path testDir) throws IOException {
        Path data = testDir.resolve("test_data_set_0");
        if (!Files.isDirectory(data)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(data)) {
            return s.filter(p -> p.toString().endsWith(".pb")).sorted().toList();
        }
    }

    @Test
    void everyNodeTestModelAndTensorParses() throws IOException {
        List<Path> dirs = nodeTestDirs();
        assertTrue(dirs.size() >= 500, "expected the 500 node tests, found " + dirs.size());
        List<String> failures = new ArrayList<>();
        int tensors = 0;
        for (Path d : dirs) {
            try {
                OnnxModel m = OnnxReader.read(d.resolve("model.onnx"));
                assertFalse(m.graph().nodes().isEmpty(), d + ": no nodes");
                assertTrue(m.opsetVersion() > 0, d + ": no default opset");
                for (Path pb : dataFiles(d)) {
                    OnnxTensor t = OnnxReader.readTensor(pb);
                    if (t.dataType() != DataType.STRING) {
                        assertEquals(t.numElements(), t.toFloats().length, pb.toString());
                        if (t.dataType().isInteger()) {
                            assertEquals(t.numElements(), t.toLongs().length, pb.toString());
                        }
                    }
                    tensors++;
                }
            } catch (RuntimeException e) {
                failures.add(d.getFileName() + ": " + e);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " node tests failed to parse:\n" + String.join("\n", failures));
        assertTrue(tensors > 1000, "only " + tensors + " test tensors read");
    }

    /** Every input_K/output_K tensor against the dtype and dims listed in SHAPES.tsv. */
    @Test
    void nodeTestTensorsMatchShapesTsv() throws IOException {
        Path shapes = SharedData.require("onnx/node-tests/SHAPES.tsv");
        Path nodeDir = SharedData.require("onnx/node-tests/node");
        List<String> lines = Files.readAllLines(shapes);
        int checked = 0;
        List<String> mismatches = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.split("\t", -1);
            if (cols.length < 3) {
                continue;
            }
            Path d = nodeDir.resolve(cols[0]);
            if (!Files.isDirectory(d)) {
                mismatches.add(cols[0] + ": folder missing");
                continue;
            }
            String[][] sides = {cols[1].isBlank() ? new String[0] : cols[1].trim().split(" "),
                    cols[2].isBlank() ? new String[0] : cols[2].trim().split(" ")};
            String[] prefixes = {"input_", "output_"};
            for (int s = 0; s < 2; s++) {
                for (int k = 0; k < sides[s].length; k++) {
                    Path pb = d.resolve("test_data_set_0").resolve(prefixes[s] + k + ".pb");
                    OnnxTensor t = OnnxReader.readTensor(pb);
                    String got = t.dataType().shortName() + "[" + joinDims(t.dims()) + "]";
                    if (!got.equals(sides[s][k])) {
                        mismatches.add(cols[0] + "/" + pb.getFileName() + ": SHAPES.tsv says " + sides[s][k] + ", read " + got);
                    }
                    checked++;
                }
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
        assertTrue(checked > 1000, "only " + checked + " tensors checked");
    }

    private static String joinDims(long[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i > 0 ? "x" : "").append(dims[i]);
        }
        return sb.toString();
    }

    /** The op types of every node test against MANIFEST.tsv (node order, each once). */
    @Test
    void nodeTestOpTypesMatchManifest() throws IOException {
        Path manifest = SharedData.require("onnx/node-tests/MANIFEST.tsv");
        Path nodeDir = SharedData.require("onnx/node-tests/node");
        List<String> lines = Files.readAllLines(manifest);
        List<String> mismatches = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split("\t", -1);
            OnnxModel m = OnnxReader.read(nodeDir.resolve(c[0]).resolve("model.onnx"));
            String ops = String.join(",", m.graph().opTypes());
            String want = c[3].replace(" ", ",");
            if (!ops.equals(want) || m.irVersion() != Long.parseLong(c[1])
                    || m.graph().runtimeInputs().size() + m.graph().initializers().size() < Integer.parseInt(c[4])
                    || m.graph().outputs().size() != Integer.parseInt(c[5])) {
                mismatches.add(c[0] + ": manifest " + c[1] + " " + c[3] + " " + c[4] + "/" + c[5] + ", read ir " + m.irVersion()
                        + " " + ops + " " + m.graph().inputs().size() + "/" + m.graph().outputs().size());
            }
            String opset = c[2];
            if (opset.startsWith("ai.onnx:")) {
                long v = Long.parseLong(opset.substring("ai.onnx:".length()).split("[ ,]")[0]);
                if (m.opsetVersion() != v) {
                    mismatches.add(c[0] + ": opset " + opset + " read " + m.opsetImports());
                }
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @Test
    void conv2dNodeTestAttributesAndTypedGetters() throws IOException {
        Path f = SharedData.require("onnx/node-tests/node/test_conv_with_strides_padding/model.onnx");
        OnnxModel m = OnnxReader.read(f);
        OnnxNode conv = m.graph().nodes().get(0);
        assertEquals("Conv", conv.opType());
        assertArrayEquals(new int[] {3, 3}, conv.getInts("kernel_shape", null));
        assertArrayEquals(new long[] {1, 1, 1, 1}, conv.getLongs("pads", null));
        assertArrayEquals(new int[] {2, 2}, conv.getInts("strides", null));
        assertEquals(1, conv.getInt("group", 1), "absent attribute gives the default");
        assertEquals("NOTSET", conv.getString("auto_pad", "NOTSET"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> conv.getFloat("strides", 0f));
        assertTrue(e.getMessage().contains("Conv") && e.getMessage().contains("strides"), e.getMessage());
        assertEquals(2, m.graph().runtimeInputs().size());
        ValueInfo x = m.graph().inputs().get(0);
        assertEquals(DataType.FLOAT, x.dataType());
        assertArrayEquals(new long[] {1, 1, 7, 5}, x.dims());
    }

    @Test
    void lightModelsParse() throws IOException {
        Path dir = SharedData.require("onnx/model-tests/light");
        List<Path> models;
        try (Stream<Path> s = Files.list(dir)) {
            models = s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
        }
        assertEquals(9, models.size(), "the 9 light models");
        for (Path p : models) {
            OnnxModel m = OnnxReader.read(p);
            assertTrue(m.graph().nodes().size() > 5, p + ": " + m.graph().nodes().size() + " nodes");
            assertEquals(1, m.graph().outputs().size(), p.toString());
            assertTrue(m.graph().opTypes().contains("Conv"), p + ": " + m.graph().opTypes());
            assertTrue(m.graph().opTypes().contains("ConstantOfShape"), p + ": light models make weights with ConstantOfShape");
            String stem = p.getFileName().toString().replace(".onnx", "");
            OnnxTensor out = OnnxReader.readTensor(dir.resolve(stem + "_output_0.pb"));
            long[] declared = m.graph().outputs().get(0).dims();
            assertArrayEquals(declared, out.dims(), p + ": expected output dims vs declared output");
        }
    }

    @Test
    void realUnetStructure() {
        OnnxModel m = OnnxReader.read(SharedData.require(UNET));
        OnnxGraph g = m.graph();
        assertEquals(20, m.opsetVersion());
        assertEquals(37, g.nodes().size());
        assertEquals(36, g.initializers().size());
        Map<String, Integer> counts = new TreeMap<>();
        for (OnnxNode n : g.nodes()) {
            counts.merge(n.opType(), 1, Integer::sum);
        }
        assertEquals(Map.of("Concat", 3, "Constant", 3, "Conv", 18, "MaxPool", 3, "Relu", 7, "Resize", 3), counts);
        assertEquals(1, g.runtimeInputs().size());
        assertArrayEquals(new long[] {1, 1, 512, 512}, g.inputs().get(0).dims());
        assertArrayEquals(new long[] {1, 1, 512, 512}, g.outputs().get(0).dims());
        // every Conv weight is a FLOAT initializer of rank 4 whose data is there
        Map<String, OnnxTensor> inits = g.initializerMap();
        float sumAbs = 0;
        for (OnnxNode n : g.nodes()) {
            if (n.opType().equals("Conv")) {
                OnnxTensor w = inits.get(n.input(1));
                assertNotNull(w, n.describe() + ": weight initializer");
                assertEquals(DataType.FLOAT, w.dataType());
                assertEquals(4, w.rank());
                for (float v : w.toFloats()) {
                    assertTrue(Float.isFinite(v));
                    sumAbs += Math.abs(v);
                }
            }
        }
        assertTrue(sumAbs > 1, "trained weights are not all zero");
        OnnxNode resize = g.nodes().stream().filter(n -> n.opType().equals("Resize")).findFirst().orElseThrow();
        assertFalse(resize.getString("mode", "nearest").isEmpty());
    }

    // ------------------------------------------------------------------ broken files

    @Test
    void missingFile(@TempDir Path tmp) {
        Path f = tmp.resolve("nothing-here.onnx");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(f));
        assertTrue(e.getMessage().contains("nothing-here.onnx") && e.getMessage().contains("not found"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(f));
        assertTrue(e.getMessage().contains("nothing-here.onnx"), e.getMessage());
    }

    @Test
    void emptyFile(@TempDir Path tmp) throws IOException {
        Path f = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(f));
        assertTrue(e.getMessage().contains("empty.onnx") && e.getMessage().contains("empty"), e.getMessage());
        Path pb = Files.write(tmp.resolve("input_0.pb"), new byte[0]);
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(pb));
        assertTrue(e.getMessage().contains("input_0.pb"), e.getMessage());
    }

    @Test
    void folderInsteadOfFile(@TempDir Path tmp) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(tmp));
        assertTrue(e.getMessage().contains("folder"), e.getMessage());
    }

    @Test
    void truncatedUnetAtManyPlaces(@TempDir Path tmp) throws IOException {
        byte[] all = Files.readAllBytes(SharedData.require(UNET));
        Random rnd = new Random(42);
        List<Integer> cuts = new ArrayList<>(List.of(1, 2, 3, 10, 100, 1000, all.length / 2, all.length - 1));
        for (int i = 0; i < 30; i++) {
            cuts.add(1 + rnd.nextInt(all.length - 1));
        }
        for (int cut : cuts) {
            Path f = tmp.resolve("weights-cut.onnx");
            Files.write(f, Arrays.copyOf(all, cut));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(f),
                    "cut at " + cut + " must be rejected");
            assertTrue(e.getMessage().contains("weights-cut.onnx"), e.getMessage());
        }
        // one precise case: a cut inside the graph names the graph
        Files.write(tmp.resolve("half.onnx"), Arrays.copyOf(all, all.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(tmp.resolve("half.onnx")));
        assertTrue(e.getMessage().contains("ModelProto") && e.getMessage().contains("at byte"), e.getMessage());
    }

    @Test
    void randomBytesAreRejectedCleanly(@TempDir Path tmp) throws IOException {
        Random rnd = new Random(7);
        for (int i = 0; i < 300; i++) {
            byte[] b = new byte[1 + rnd.nextInt(i < 100 ? 16 : 4000)];
            rnd.nextBytes(b);
            Path f = tmp.resolve("random.onnx");
            Files.write(f, b);
            try {
                OnnxReader.read(f);
                fail("random bytes accepted as a model: " + Arrays.toString(Arrays.copyOf(b, Math.min(16, b.length))));
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().contains("random.onnx"), e.getMessage());
            }
            try {
                OnnxReader.readTensor(f);
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().contains("random.onnx"), e.getMessage());
            }
        }
    }

    @Test
    void corruptedUnetBytesNeverLeakOtherExceptions(@TempDir Path tmp) throws IOException {
        byte[] all = Files.readAllBytes(SharedData.require(UNET));
        Random rnd = new Random(3);
        for (int i = 0; i < 60; i++) {
            byte[] b = all.clone();
            for (int k = 0; k < 5; k++) {
                b[rnd.nextInt(Math.min(b.length, 20000))] = (byte) rnd.nextInt(256); // the graph structure sits early
            }
            try {
                OnnxReader.read(b, "corrupt.onnx", tmp);
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith("corrupt.onnx"), e.getMessage());
            }
        }
    }

    @Test
    void modelWithoutGraph(@TempDir Path tmp) throws IOException {
        ProtoWriter w = new ProtoWriter();
        w.writeVarintField(OnnxFields.Model.IR_VERSION, 8);
        w.writeStringField(OnnxFields.Model.PRODUCER_NAME, "me");
        Path f = Files.write(tmp.resolve("nograph.onnx"), w.toByteArray());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(f));
        assertTrue(e.getMessage().contains("nograph.onnx") && e.getMessage().contains("no graph"), e.getMessage());
    }

    @Test
    void tensorDataSizeMismatch() {
        ProtoWriter w = new ProtoWriter();
        w.writeUnpackedVarints(OnnxFields.Tensor.DIMS, new long[] {2, 3});
        w.writeVarintField(OnnxFields.Tensor.DATA_TYPE, DataType.FLOAT.code());
        w.writeStringField(OnnxFields.Tensor.NAME, "w");
        w.writeBytesField(OnnxFields.Tensor.RAW_DATA, new byte[20]);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxReader.readTensor(w.toByteArray(), "w.pb", null));
        assertTrue(e.getMessage().contains("w.pb") && e.getMessage().contains("'w'") && e.getMessage().contains("expected 24"),
                e.getMessage());
        ProtoWriter u = new ProtoWriter();
        u.writeVarintField(OnnxFields.Tensor.DATA_TYPE, 99);
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(u.toByteArray(), "u.pb", null));
        assertTrue(e.getMessage().contains("unknown data_type 99"), e.getMessage());
    }
}
