package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.neuralj.SharedData;
import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.Model;
import org.neuralj.nn.UnsupportedOperatorException;
import org.neuralj.onnx.ModelFormatException;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxWriter;
import org.neuralj.onnx.ValueInfo;

/**
 * Mutated ONNX files must each end in a typed NeuralJ exception, or load correctly, within a time
 * bound: never another exception, a hang, a stack overflow or an out-of-memory. Two kinds, fixed seed:
 * byte mutants (bit flips, truncation, overwritten and duplicated byte ranges, huge varints) and graph
 * mutants built from the parsed seed and written back (cycles: a node reading its own or a later node's
 * output, nodes out of order; missing inputs; unknown ops; declared types and dims changed). A cycle or
 * a missing input must be a {@link ModelFormatException}, an unknown op an
 * {@link UnsupportedOperatorException}.
 *
 * <p>The outcome table is printed; it is written into {@code docs/robustness.md} only on request:
 * {@code mvn -B test -Dtest=ModelReaderFuzzTest -Dneuralj.fuzz.report=true} (longer:
 * {@code -Dneuralj.fuzz.mutants=50000 -Dneuralj.fuzz.graphs=20000}).
 */
class ModelReaderFuzzTest {
    private static final long SEED = 20261123L;
    private static final long TIME_BOUND_MS = 5000;

    @Test
    void mutatedModelsFailWithTypedExceptionsOnly() throws Exception {
        List<Path> seeds = seedModels();
        int mutants = Integer.getInteger("neuralj.fuzz.mutants", 2000);
        int graphs = Integer.getInteger("neuralj.fuzz.graphs", 1000);
        Random rnd = new Random(SEED);
        Map<String, Map<String, Integer>> outcomes = new TreeMap<>(); // kind -> outcome -> count
        List<String> bad = new ArrayList<>();
        long[] slowest = {0};
        Map<Path, OnnxModel> parsed = new HashMap<>();
        ExecutorService[] worker = {Executors.newSingleThreadExecutor()};
        try {
            for (int i = 0; i < mutants + graphs; i++) {
                Path source = seeds.get(rnd.nextInt(seeds.size()));
                byte[] mutant;
                String kind;
                String how;
                if (i < mutants) {
                    how = mutate(Files.readAllBytes(source), rnd);
                    mutant = lastMutant;
                    kind = "bytes";
                } else {
                    // the kinds in turn; seeds drawn until one has what the kind changes (e.g. two nodes)
                    GraphMutant g = null;
                    for (int tries = 0; g == null; tries++) {
                        assertTrue(tries < 10_000, "no seed model fits graph mutant kind " + (i - mutants) % GRAPH_KINDS);
                        source = tries == 0 ? source : seeds.get(rnd.nextInt(seeds.size()));
                        g = mutateGraph(parsed.computeIfAbsent(source, OnnxReader::read), (i - mutants) % GRAPH_KINDS, rnd);
                    }
                    mutant = OnnxWriter.toBytes(g.model());
                    kind = g.kind();
                    how = g.how();
                }
                String name = source.getFileName() + "#" + i;
                Path dir = source.getParent();
                String outcome = run(worker, () -> load(mutant, name, dir), slowest);
                outcomes.computeIfAbsent(kind, k -> new TreeMap<>()).merge(outcome.startsWith("UNTYPED") ? "UNTYPED" : outcome, 1,
                        Integer::sum);
                String expected = EXPECTED.get(kind);
                if (outcome.startsWith("UNTYPED") || outcome.equals("TIMEOUT") || expected != null && !expected.equals(outcome)) {
                    bad.add(name + " (" + kind + ": " + how + "): " + outcome + (expected != null ? ", expected " + expected : ""));
                }
            }
        } finally {
            worker[0].shutdownNow();
        }
        String table = table(mutants, graphs, seeds.size(), outcomes, bad, slowest[0]);
        System.out.println(table);
        if (Boolean.getBoolean("neuralj.fuzz.report")) {
            writeReport(table);
        }
        assertTrue(bad.isEmpty(), bad.size() + " mutants ended badly, e.g. " + bad.subList(0, Math.min(5, bad.size())));
        for (String kind : EXPECTED.keySet()) {
            assertTrue(outcomes.containsKey(kind), "no " + kind + " mutant was made: " + outcomes.keySet());
        }
    }

    @Test
    void aTwoNodeCycleIsRefusedByNameWhenTheModelLoads() {
        // a = Relu(b), b = Relu(a): no order of the nodes can run it
        OnnxModel m = OnnxModel.of(OnnxGraph.of("loop", List.of(
                OnnxNode.of("Relu", List.of("b"), List.of("a")).withName("first"),
                OnnxNode.of("Relu", List.of("a"), List.of("b")).withName("second"),
                OnnxNode.of("Add", List.of("x", "b"), List.of("y")).withName("out")), List.of(),
                List.of(ValueInfo.floatTensor("x", 1, 4)), List.of(ValueInfo.floatTensor("y", 1, 4))), 13);
        ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(ModelFormatException.class,
                () -> Model.fromOnnx(OnnxReader.read(OnnxWriter.toBytes(m), "loop.onnx", null), "loop.onnx"));
        assertTrue(e.getMessage().contains("loop.onnx") && e.getMessage().contains("'first'") && e.getMessage().contains("'second'")
                && e.getMessage().contains("cycle"), e.getMessage());
    }

    /** The only outcome allowed for each graph mutant kind that has one. */
    private static final Map<String, String> EXPECTED = Map.of(
            "cycle: node reads its own output", "ModelFormatException",
            "cycle: node reads a later node's output", "ModelFormatException",
            "nodes out of order", "ModelFormatException",
            "missing input", "ModelFormatException",
            "unknown op", "UnsupportedOperatorException");

    /** Runs {@code task} under the time bound on the worker (replaced after a time-out); "TIMEOUT" or the outcome. */
    private static String run(ExecutorService[] worker, java.util.concurrent.Callable<String> task, long[] slowest) throws Exception {
        long t0 = System.nanoTime();
        Future<String> f = worker[0].submit(task);
        String outcome;
        try {
            outcome = f.get(TIME_BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker[0].shutdownNow();
            worker[0] = Executors.newSingleThreadExecutor();
            outcome = "TIMEOUT";
        } catch (java.util.concurrent.ExecutionException e) {
            outcome = "UNTYPED " + e.getCause();
        }
        slowest[0] = Math.max(slowest[0], (System.nanoTime() - t0) / 1_000_000);
        return outcome;
    }

    private record GraphMutant(String kind, String how, OnnxModel model) {
    }

    private static final int GRAPH_KINDS = 7;

    /** A structural change of kind {@code kind} of {@code m}, or null when that change does not apply to this graph. */
    private static GraphMutant mutateGraph(OnnxModel m, int kind, Random rnd) {
        OnnxGraph g = m.graph();
        List<OnnxNode> nodes = new ArrayList<>(g.nodes());
        if (nodes.isEmpty()) {
            return null;
        }
        boolean needsLater = kind == 1 || kind == 2; // node i must have a later node j
        if (needsLater && nodes.size() < 2) {
            return null;
        }
        int i = rnd.nextInt(needsLater ? nodes.size() - 1 : nodes.size());
        OnnxNode n = nodes.get(i);
        List<Integer> inputSlots = new ArrayList<>();
        for (int k = 0; k < n.inputs().size(); k++) {
            if (!n.inputs().get(k).isEmpty()) {
                inputSlots.add(k);
            }
        }
        switch (kind) {
            case 0, 1: { // a cycle: one input of node i becomes an output of node j >= i (itself for kind 0)
                int j = kind == 0 ? i : i + 1 + rnd.nextInt(nodes.size() - i - 1);
                if (inputSlots.isEmpty() || nodes.get(j).outputs().isEmpty()) {
                    return null;
                }
                int slot = inputSlots.get(rnd.nextInt(inputSlots.size()));
                String back = nodes.get(j).outputs().get(rnd.nextInt(nodes.get(j).outputs().size()));
                if (back.isEmpty()) {
                    return null;
                }
                nodes.set(i, withInput(n, slot, back));
                return new GraphMutant(kind == 0 ? "cycle: node reads its own output" : "cycle: node reads a later node's output",
                        "node " + i + " input " + slot + " <- '" + back + "' of node " + j, with(m, nodes, g.inputs()));
            }
            case 2: { // a consumer moved before its producer
                for (int j = i + 1; j < nodes.size(); j++) {
                    if (!java.util.Collections.disjoint(nodes.get(j).inputs(), n.outputs())) {
                        nodes.remove(i);
                        nodes.add(j, n);
                        return new GraphMutant("nodes out of order", "node " + i + " moved after its reader " + j,
                                with(m, nodes, g.inputs()));
                    }
                }
                return null;
            }
            case 3: {
                if (inputSlots.isEmpty()) {
                    return null;
                }
                int slot = inputSlots.get(rnd.nextInt(inputSlots.size()));
                nodes.set(i, withInput(n, slot, "fuzz_missing_" + rnd.nextInt(1000)));
                return new GraphMutant("missing input", "node " + i + " input " + slot, with(m, nodes, g.inputs()));
            }
            case 4: {
                nodes.set(i, new OnnxNode(n.name(), "FuzzNoSuchOp" + rnd.nextInt(100), n.domain(), n.inputs(), n.outputs(), n.attributes()));
                return new GraphMutant("unknown op", "node " + i + " (" + n.opType() + ")", with(m, nodes, g.inputs()));
            }
            default: { // a graph input's declared type (5) or one of its dims (6) changed
                List<ValueInfo> inputs = new ArrayList<>(g.inputs());
                if (inputs.isEmpty()) {
                    return null;
                }
                int k = rnd.nextInt(inputs.size());
                ValueInfo v = inputs.get(k);
                if (kind == 5) {
                    int type = rnd.nextInt(25);
                    inputs.set(k, new ValueInfo(v.name(), type, v.dims(), v.dimParams()));
                    return new GraphMutant("declared type changed", "input '" + v.name() + "' type " + type, with(m, nodes, inputs));
                }
                if (v.dims() == null || v.dims().length == 0) {
                    return null;
                }
                long[] dims = v.dims().clone();
                long[] choices = {0, -7, 1L << 31, 1L << 40, Long.MAX_VALUE, 3};
                int d = rnd.nextInt(dims.length);
                dims[d] = choices[rnd.nextInt(choices.length)];
                String[] params = v.dimParams() == null ? null : v.dimParams().clone();
                if (params != null) {
                    params[d] = null;
                }
                inputs.set(k, new ValueInfo(v.name(), v.elemType(), dims, params));
                return new GraphMutant("declared dim changed", "input '" + v.name() + "' dim " + d + " = " + dims[d],
                        with(m, nodes, inputs));
            }
        }
    }

    private static OnnxNode withInput(OnnxNode n, int slot, String value) {
        List<String> in = new ArrayList<>(n.inputs());
        in.set(slot, value);
        return new OnnxNode(n.name(), n.opType(), n.domain(), in, n.outputs(), n.attributes());
    }

    private static OnnxModel with(OnnxModel m, List<OnnxNode> nodes, List<ValueInfo> inputs) {
        OnnxGraph g = m.graph();
        return new OnnxModel(m.irVersion(), m.opsetImports(), m.producerName(), m.producerVersion(),
                new OnnxGraph(g.name(), nodes, g.initializers(), inputs, g.outputs(), g.valueInfo()));
    }

    /** Reads and builds the model (all ops created, all initializers decoded): "loaded" or the exception's type. */
    private static String load(byte[] bytes, String name, Path dir) {
        try {
            Model model = Model.fromOnnx(OnnxReader.read(bytes, name, dir), name);
            Map<String, int[]> shapes = model.declaredInputShapes();
            if (shapes != null && model.parameterCount() < 5_000_000) {
                model.plan(shapes);
            }
            return "loaded";
        } catch (NeuralJException e) {
            return e.getClass().getSimpleName();
        } catch (OutOfMemoryError e) {
            return "UNTYPED OutOfMemoryError";
        }
    }

    private byte[] lastMutant;

    private String mutate(byte[] original, Random rnd) {
        byte[] b = original.clone();
        int kind = rnd.nextInt(6);
        switch (kind) {
            case 0: {
                int flips = 1 + rnd.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                lastMutant = b;
                return flips + " bit flips";
            }
            case 1: {
                int len = rnd.nextInt(b.length);
                lastMutant = java.util.Arrays.copyOf(b, len);
                return "truncated to " + len;
            }
            case 2: {
                int at = rnd.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
                for (int i = 0; i < len; i++) {
                    b[at + i] = (byte) rnd.nextInt(256);
                }
                lastMutant = b;
                return len + " random bytes at " + at;
            }
            case 3: {
                // a huge or negative varint where a length or dimension may stand
                int at = rnd.nextInt(Math.max(1, b.length - 10));
                byte[] huge = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
                int n = 1 + rnd.nextInt(huge.length);
                System.arraycopy(huge, huge.length - n, b, at, Math.min(n, b.length - at));
                lastMutant = b;
                return "varint bytes at " + at;
            }
            case 4: {
                int from = rnd.nextInt(b.length);
                int len = Math.min(b.length - from, 1 + rnd.nextInt(256));
                int to = rnd.nextInt(b.length);
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, to);
                System.arraycopy(b, from, out, to, len);
                System.arraycopy(b, to, out, to + len, b.length - to);
                lastMutant = out;
                return "duplicated " + len + " bytes";
            }
            default: {
                int at = rnd.nextInt(b.length);
                b[at] = (byte) (rnd.nextBoolean() ? 0 : 0x7f);
                lastMutant = b;
                return "byte " + at + " set";
            }
        }
    }

    private static List<Path> seedModels() throws IOException {
        List<Path> seeds = new ArrayList<>();
        seeds.add(Path.of("sample-data/models/blob-detector.onnx"));
        Path shared = SharedData.root();
        if (shared != null) {
            seeds.add(shared.resolve("onnx/real-models/unet2d-nuclei-broad/weights.onnx"));
            try (Stream<Path> s = Files.list(shared.resolve("onnx/model-tests/pytorch-converted"))) {
                s.sorted().limit(40).map(d -> d.resolve("model.onnx")).filter(Files::isRegularFile).forEach(seeds::add);
            }
            for (String t : List.of("test_resize_upsample_scales_linear", "test_reshape_negative_dim", "test_slice_neg_steps",
                    "test_gemm_all_attributes", "test_split_variable_parts_2d_opset18", "test_constantofshape_int_zeros")) {
                Path p = shared.resolve("onnx/node-tests/node").resolve(t).resolve("model.onnx");
                if (Files.isRegularFile(p)) {
                    seeds.add(p);
                }
            }
        }
        return seeds;
    }

    private static String table(int mutants, int graphs, int seeds, Map<String, Map<String, Integer>> outcomes, List<String> bad,
                                long slowest) {
        StringBuilder md = new StringBuilder();
        md.append("Seed ").append(SEED).append(": ").append(mutants).append(" byte mutants and ").append(graphs)
          .append(" graph mutants of ").append(seeds).append(" seed models. Each is read, every node's op is created and, for")
          .append(" models with fixed input shapes, planned (shape inference and constant folding). Time bound ")
          .append(TIME_BOUND_MS).append(" ms each; slowest ").append(slowest).append(" ms.\n\n")
          .append("| mutant | outcome | count |\n|---|---|---:|\n");
        outcomes.forEach((kind, byOutcome) -> byOutcome.forEach((k, v) ->
                md.append("| ").append(kind).append(" | ").append(k).append(" | ").append(v).append(" |\n")));
        md.append("\nMutants that ended in anything but a typed NeuralJ exception or a correct load, or (cycles, missing ")
          .append("inputs, unknown ops) in another exception than the one expected: ").append(bad.size()).append(".\n");
        bad.stream().limit(20).forEach(b -> md.append("- ").append(b).append('\n'));
        return md.toString();
    }

    /** Replaces the generated part of docs/robustness.md (between its two markers) with {@code table}. */
    private static void writeReport(String table) throws IOException {
        Path doc = Path.of("docs/robustness.md");
        String text = Files.readString(doc);
        String begin = "<!-- fuzz-table:begin -->\n";
        String end = "<!-- fuzz-table:end -->";
        int a = text.indexOf(begin);
        int b = text.indexOf(end);
        assertTrue(a >= 0 && b > a, doc + " has no " + begin.trim() + " ... " + end + " section to write");
        Files.writeString(doc, text.substring(0, a + begin.length()) + table + text.substring(b));
        System.out.println("wrote the table into " + doc);
    }
}
