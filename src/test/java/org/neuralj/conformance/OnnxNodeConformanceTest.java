package org.neuralj.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.neuralj.SharedData;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;

/**
 * The ONNX backend node tests ({@code ../shared/onnx/node-tests}, onnx v1.22.0, expected outputs
 * from ONNX's reference) on every available backend. Run: every test whose op types NeuralJ supports
 * (a superset of {@link #SCOPE}, the engine issue's list), minus the listed {@link #KNOWN_GAPS}.
 * Writes {@code docs/onnx-conformance.md}, with a column marking the ops of {@link #SCOPE}.
 */
class OnnxNodeConformanceTest {

    /** The operators the engine promises (issue 3). */
    static final Set<String> SCOPE = Set.of("Conv", "ConvTranspose", "MaxPool", "AveragePool",
            "GlobalAveragePool", "GlobalMaxPool", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid",
            "HardSigmoid", "HardSwish", "Tanh", "Clip", "Softmax", "LogSoftmax", "BatchNormalization",
            "InstanceNormalization", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Neg", "Abs", "Max",
            "Min", "Sum", "Mean", "Concat", "Split", "Slice", "Pad", "Reshape", "Flatten", "Transpose", "Squeeze",
            "Unsqueeze", "Gemm", "MatMul", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "ReduceMean",
            "ReduceSum", "ReduceMax", "Dropout", "Identity", "Constant", "ConstantOfShape", "Shape", "Gather",
            "Cast", "Expand");

    /**
     * Element types the engine runs, as float32: integers are exact below 2^24 (the test data stays
     * far below), f64 and f16 are compared at float32 tolerance.
     */
    static final Set<String> EXACT_TYPES = Set.of("f32", "f64", "f16", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "bool");

    /**
     * Variants of in-scope ops that the engine does not run, each with its reason; they are listed
     * as skipped in the table (not hidden): name fragment -> reason.
     */
    static final Map<String, String> KNOWN_GAPS = Map.of(
            "_3d", "3-D spatial axes (the engine runs 1-D and 2-D windows)",
            "training_mode", "BatchNormalization training mode (inference engine; training is issue 11)",
            "with_argmax", "MaxPool's second output (indices)",
            "tf_crop_and_resize", "Resize tf_crop_and_resize mode",
            "antialias", "Resize with antialias");

    /** test -> backend -> outcome ("pass", "FAIL: ...", "skip: ..."). */
    private static final Map<String, Map<String, String>> OUTCOMES = new TreeMap<>();
    private static final Map<String, List<String>> OPS_OF = new TreeMap<>();

    @TestFactory
    Stream<DynamicTest> nodeTests() throws IOException {
        Path root = SharedData.require("onnx/node-tests");
        Map<String, List<String>> manifest = readManifest(root.resolve("MANIFEST.tsv"), 3);
        Map<String, List<String>> shapes = readManifest(root.resolve("SHAPES.tsv"), -1);
        List<DynamicTest> tests = new ArrayList<>();
        for (String backendSpec : Backends.available()) {
            for (Map.Entry<String, List<String>> e : manifest.entrySet()) {
                String test = e.getKey();
                List<String> ops = e.getValue();
                OPS_OF.put(test, ops);
                tests.add(DynamicTest.dynamicTest(test + " on " + backendSpec, () -> runOne(root, test, ops, shapes.get(test), backendSpec)));
            }
        }
        return tests.stream();
    }

    private static void runOne(Path root, String test, List<String> ops, List<String> types, String backendSpec) throws IOException {
        Set<String> outside = new HashSet<>(ops);
        outside.removeAll(org.neuralj.nn.OpRegistry.opTypes());
        if (!outside.isEmpty()) {
            record(test, backendSpec, "skip: op " + String.join(",", outside) + " not supported");
            Assumptions.abort("ops NeuralJ does not run: " + outside);
        }
        for (Map.Entry<String, String> gap : KNOWN_GAPS.entrySet()) {
            if (test.contains(gap.getKey())) {
                record(test, backendSpec, "skip: " + gap.getValue());
                Assumptions.abort(gap.getValue());
            }
        }
        for (String t : types) {
            String type = t.contains("[") ? t.substring(0, t.indexOf('[')) : t;
            if (!type.isEmpty() && !EXACT_TYPES.contains(type)) {
                record(test, backendSpec, "skip: dtype " + type);
                Assumptions.abort("element type " + type + " is not run by the float32 engine");
            }
        }
        String problem;
        try (Backend backend = Backends.select(backendSpec)) {
            problem = OnnxCase.run(root.resolve("node").resolve(test), backend);
        } catch (RuntimeException e) {
            problem = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        record(test, backendSpec, problem == null ? "pass" : "FAIL: " + problem);
        if (problem != null) {
            fail(test + " on " + backendSpec + ": " + problem);
        }
    }

    private static synchronized void record(String test, String backend, String outcome) {
        OUTCOMES.computeIfAbsent(test, k -> new LinkedHashMap<>()).put(backend, outcome);
    }

    /** Column {@code col} split on commas, or (col = -1) columns 1.. split on spaces. */
    static Map<String, List<String>> readManifest(Path tsv, int col) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        List<String> lines = Files.readAllLines(tsv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            if (f.length < 2) {
                continue;
            }
            if (col >= 0) {
                out.put(f[0], Arrays.asList(f[col].split(",")));
            } else {
                List<String> types = new ArrayList<>();
                for (int i = 1; i < f.length; i++) {
                    for (String s : f[i].trim().split(" ")) {
                        if (!s.isEmpty()) {
                            types.add(s);
                        }
                    }
                }
                out.put(f[0], types);
            }
        }
        return out;
    }

    @AfterAll
    static void writeTable() throws IOException {
        if (OUTCOMES.isEmpty()) {
            return;
        }
        Set<String> backends = new java.util.TreeSet<>();
        OUTCOMES.values().forEach(m -> backends.addAll(m.keySet()));
        // per op: tests in scope, passed per backend
        Map<String, int[]> perOp = new TreeMap<>();
        List<String> backendList = new ArrayList<>(backends);
        for (Map.Entry<String, Map<String, String>> e : OUTCOMES.entrySet()) {
            boolean inScope = e.getValue().values().stream().noneMatch(o -> o.startsWith("skip"));
            if (!inScope) {
                continue;
            }
            for (String op : OPS_OF.get(e.getKey())) {
                int[] counts = perOp.computeIfAbsent(op, k -> new int[1 + backendList.size()]);
                counts[0]++;
                for (int b = 0; b < backendList.size(); b++) {
                    if ("pass".equals(e.getValue().get(backendList.get(b)))) {
                        counts[1 + b]++;
                    }
                }
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("# ONNX node conformance\n\n");
        md.append("Written by `OnnxNodeConformanceTest` (run with the README's test command). Source: the ONNX\n")
          .append("backend node tests of onnx v1.22.0 in `../shared/onnx/node-tests` (expected outputs from ONNX's\n")
          .append("reference implementation). Tolerance: |got - expected| <= ").append(Tolerances.ABS).append(" + ")
          .append(Tolerances.REL).append(" * |expected|.\n")
          .append("Run: every test whose operators NeuralJ supports (tensors of any numeric type are run as float32),\n")
          .append("except the variants listed as skipped with their reason. Backends: ").append(String.join(", ", backendList)).append(".\n")
          .append("Column 'promised' marks the operators of the engine issue's list.\n\n");
        md.append("| op | promised | tests run |");
        backendList.forEach(b -> md.append(" passed on ").append(b).append(" |"));
        md.append("\n|---|:-:|---:|");
        backendList.forEach(b -> md.append("---:|"));
        md.append("\n");
        perOp.forEach((op, c) -> {
            md.append("| ").append(op).append(" | ").append(SCOPE.contains(op) ? "yes" : "").append(" | ").append(c[0]).append(" |");
            for (int b = 0; b < backendList.size(); b++) {
                md.append(" ").append(c[1 + b]).append(" |");
            }
            md.append("\n");
        });
        md.append("\n## Every test\n\n| test | ");
        md.append(String.join(" | ", backendList)).append(" |\n|---|");
        backendList.forEach(b -> md.append("---|"));
        md.append("\n");
        OUTCOMES.forEach((test, m) -> {
            md.append("| ").append(test).append(" |");
            for (String b : backendList) {
                String o = m.getOrDefault(b, "");
                md.append(" ").append(o.length() > 160 ? o.substring(0, 160) + "…" : o.replace("|", "/")).append(" |");
            }
            md.append("\n");
        });
        Path docs = Path.of("docs");
        Files.createDirectories(docs);
        Files.writeString(docs.resolve("onnx-conformance.md"), md.toString());
    }
}
