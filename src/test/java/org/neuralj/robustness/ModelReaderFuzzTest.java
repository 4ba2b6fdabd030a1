package org.neuralj.robustness;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.neuralj.onnx.OnnxReader;

/**
 * Mutated ONNX files (bit flips, truncation, overwritten and duplicated byte ranges, huge lengths)
 * must each end in a typed NeuralJ exception, or load correctly, within a time bound: never another
 * exception, a hang or an out-of-memory. Fixed seed; the outcome table goes to docs/robustness.md.
 * A longer run: {@code mvn -B test -Dtest=ModelReaderFuzzTest -Dneuralj.fuzz.mutants=50000}.
 */
class ModelReaderFuzzTest {
    private static final long SEED = 20261123L;
    private static final long TIME_BOUND_MS = 5000;

    @Test
    void mutatedModelsFailWithTypedExceptionsOnly() throws Exception {
        List<Path> seeds = seedModels();
        int mutants = Integer.getInteger("neuralj.fuzz.mutants", 2000);
        Random rnd = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> bad = new ArrayList<>();
        long slowest = 0;
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < mutants; i++) {
                Path source = seeds.get(rnd.nextInt(seeds.size()));
                byte[] original = Files.readAllBytes(source);
                String how = mutate(original, rnd);
                byte[] mutant = lastMutant;
                String name = source.getFileName() + "#" + i;
                long t0 = System.nanoTime();
                Future<String> f = worker.submit(() -> load(mutant, name, source.getParent()));
                String outcome;
                try {
                    outcome = f.get(TIME_BOUND_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    worker.shutdownNow();
                    worker = Executors.newSingleThreadExecutor();
                    outcome = "TIMEOUT";
                } catch (java.util.concurrent.ExecutionException e) {
                    outcome = "UNTYPED " + e.getCause();
                }
                slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
                String key = outcome.startsWith("UNTYPED") ? "UNTYPED" : outcome;
                outcomes.merge(key, 1, Integer::sum);
                if (outcome.startsWith("UNTYPED") || outcome.equals("TIMEOUT")) {
                    bad.add(name + " (" + how + "): " + outcome);
                }
            }
        } finally {
            worker.shutdownNow();
        }
        writeReport(mutants, seeds, outcomes, bad, slowest);
        assertTrue(bad.isEmpty(), bad.size() + " mutants ended badly, e.g. " + bad.subList(0, Math.min(5, bad.size())));
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

    private static void writeReport(int mutants, List<Path> seeds, Map<String, Integer> outcomes, List<String> bad, long slowest)
            throws IOException {
        StringBuilder md = new StringBuilder("# Robustness\n\n## ONNX reader fuzzing\n\n");
        md.append("Written by `ModelReaderFuzzTest` (part of `mvn -B test`; longer: `mvn -B test -Dtest=ModelReaderFuzzTest ")
          .append("-Dneuralj.fuzz.mutants=50000`). Seed ").append(SEED).append(", ").append(mutants).append(" mutants of ")
          .append(seeds.size()).append(" seed models (bit flips, truncation, random bytes, huge varints, duplicated ranges,")
          .append(" single bytes set). Each is read, every node's op is created and, for models with fixed input shapes,")
          .append(" planned (shape inference and constant folding). Time bound ").append(TIME_BOUND_MS).append(" ms each; slowest ")
          .append(slowest).append(" ms.\n\n| outcome | mutants |\n|---|---:|\n");
        outcomes.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\nMutants that ended in anything but a typed NeuralJ exception or a correct load: ").append(bad.size()).append(".\n");
        bad.stream().limit(20).forEach(b -> md.append("- ").append(b).append('\n'));
        Files.createDirectories(Path.of("docs"));
        Files.writeString(Path.of("docs/robustness.md"), md.toString());
    }
}
