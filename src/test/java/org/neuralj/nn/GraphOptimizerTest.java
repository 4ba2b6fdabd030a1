package org.neuralj.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxAttribute;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;
import org.neuralj.onnx.ValueInfo;

class GraphOptimizerTest {
    private static final int C = 3;
    private static final int M = 5;
    private static final int H = 6;

    /** x -> Conv(w, [b]) -> BatchNormalization -> Relu -> y; or with the conv output also a graph output. */
    private static OnnxModel convBnRelu(boolean withBias, boolean exposeConv, float[] w, float[] b, float[][] bn) {
        List<OnnxTensor> init = new ArrayList<>();
        init.add(OnnxTensor.ofFloats("w", new long[] {M, C, 3, 3}, w));
        List<String> convIn = new ArrayList<>(List.of("x", "w"));
        if (withBias) {
            init.add(OnnxTensor.ofFloats("b", new long[] {M}, b));
            convIn.add("b");
        }
        String[] names = {"scale", "shift", "mean", "var"};
        for (int i = 0; i < 4; i++) {
            init.add(OnnxTensor.ofFloats(names[i], new long[] {M}, bn[i]));
        }
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Conv", convIn, List.of("c"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)).withName("conv"),
                OnnxNode.of("BatchNormalization", List.of("c", "scale", "shift", "mean", "var"), List.of("n"),
                        OnnxAttribute.of("epsilon", 1e-3f)).withName("bn"),
                OnnxNode.of("Relu", List.of("n"), List.of("y")).withName("relu"));
        return convGraph("convbn", nodes, init, C, M, exposeConv);
    }

    /** x [1, in, H, H] through {@code nodes} to y [1, out, H, H]; with {@code exposeConv} the conv output c is a graph output too. */
    private static OnnxModel convGraph(String name, List<OnnxNode> nodes, List<OnnxTensor> init, int in, int out, boolean exposeConv) {
        List<ValueInfo> outs = new ArrayList<>(List.of(ValueInfo.floatTensor("y", 1, out, H, H)));
        if (exposeConv) {
            outs.add(ValueInfo.floatTensor("c", 1, out, H, H));
        }
        return OnnxModel.of(OnnxGraph.of(name, nodes, init, List.of(ValueInfo.tensor("x", DataType.FLOAT, 1, in, H, H)), outs), 13);
    }

    /** relu(((conv(x) + b) - mean) / sqrt(var + eps) * scale + shift), in double, straight from the definitions. */
    private static float[] expected(float[] x, float[] w, float[] b, float[][] bn) {
        float[] y = new float[M * H * H];
        for (int m = 0; m < M; m++) {
            for (int oy = 0; oy < H; oy++) {
                for (int ox = 0; ox < H; ox++) {
                    double acc = b == null ? 0 : b[m];
                    for (int c = 0; c < C; c++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy + ky - 1;
                                int ix = ox + kx - 1;
                                if (iy >= 0 && iy < H && ix >= 0 && ix < H) {
                                    acc += x[(c * H + iy) * H + ix] * w[((m * C + c) * 3 + ky) * 3 + kx];
                                }
                            }
                        }
                    }
                    double n = (acc - bn[2][m]) / Math.sqrt(bn[3][m] + 1e-3) * bn[0][m] + bn[1][m];
                    y[(m * H + oy) * H + ox] = (float) Math.max(0, n);
                }
            }
        }
        return y;
    }

    @Test
    void convThenBatchNormFoldsIntoOneConvWithTheSameOutput() {
        Random r = new Random(4);
        float[] x = rand(r, C * H * H, 0);
        float[] w = rand(r, M * C * 9, 0);
        float[] b = rand(r, M, 0);
        float[][] bn = {rand(r, M, 0), rand(r, M, 0), rand(r, M, 0), rand(r, M, 1.5f)};
        for (boolean withBias : new boolean[] {true, false}) {
            Model model = Model.fromOnnx(convBnRelu(withBias, false, w, b, bn), "convbn");
            // BatchNormalization folded into the Conv, Relu fused into its epilogue: one node left
            assertEquals(1, model.nodes().size(), model.nodes().toString());
            assertEquals(List.of("y"), model.nodes().get(0).outputs());
            float[] got = run(model, x).get("y");
            float[] want = expected(x, w, withBias ? b : null, bn);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-4 + 1e-4 * Math.abs(want[i]), "bias=" + withBias + " at " + i);
            }
        }
    }

    @Test
    void aConvOutputThatIsAlsoAGraphOutputIsNotFolded() {
        Random r = new Random(5);
        float[] w = rand(r, M * C * 9, 0);
        float[][] bn = {rand(r, M, 0), rand(r, M, 0), rand(r, M, 0), rand(r, M, 1.5f)};
        Model model = Model.fromOnnx(convBnRelu(false, true, w, null, bn), "convbn");
        assertTrue(model.nodes().stream().anyMatch(n -> n.info().opType().equals("BatchNormalization")),
                model.nodes().toString());
        float[] x = rand(r, C * H * H, 0);
        float[] got = run(model, x).get("y");
        float[] want = expected(x, w, null, bn);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 + 1e-4 * Math.abs(want[i]), "at " + i);
        }
    }

    /**
     * x -> Resize(mode, scales 1,1,2,2) -> Conv 1x1 (bias) -> y; with {@code exposeResize} the Resize output is a graph
     * output too, which keeps the nodes in their order: the reference.
     */
    private static OnnxModel resizeThenPointwise(String mode, boolean exposeResize, float[] w, float[] b) {
        List<OnnxTensor> init = List.of(OnnxTensor.ofFloats("w", new long[] {M, C, 1, 1}, w), OnnxTensor.ofFloats("b", new long[] {M}, b));
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Constant", List.of(), List.of("scales"),
                        OnnxAttribute.of("value", OnnxTensor.ofFloats("scales", new long[] {4}, new float[] {1, 1, 2, 2}))).withName("k"),
                OnnxNode.of("Resize", List.of("x", "", "scales"), List.of("r"), OnnxAttribute.of("mode", mode)).withName("up"),
                OnnxNode.of("Conv", List.of("r", "w", "b"), List.of("y")).withName("pointwise"));
        List<ValueInfo> outs = new ArrayList<>(List.of(ValueInfo.floatTensor("y", 1, M, 2 * H, 2 * H)));
        if (exposeResize) {
            outs.add(ValueInfo.floatTensor("r", 1, C, 2 * H, 2 * H));
        }
        OnnxGraph g = OnnxGraph.of("up", nodes, init, List.of(ValueInfo.tensor("x", DataType.FLOAT, 1, C, H, H)), outs);
        return OnnxModel.of(g, 13);
    }

    @Test
    void aPointwiseConvAfterAnUpsamplingResizeRunsBeforeItWithTheSameOutput() {
        Random r = new Random(6);
        float[] x = rand(r, C * H * H, 0);
        float[] w = rand(r, M * C, 0);
        float[] b = rand(r, M, 0);
        for (String mode : new String[] {"nearest", "linear"}) {
            Model swapped = Model.fromOnnx(resizeThenPointwise(mode, false, w, b), "up");
            List<String> order = swapped.nodes().stream().map(n -> n.info().opType()).toList();
            assertEquals(List.of("Constant", "Conv", "Resize"), order, mode);
            Model kept = Model.fromOnnx(resizeThenPointwise(mode, true, w, b), "up");
            assertEquals(List.of("Constant", "Resize", "Conv"), kept.nodes().stream().map(n -> n.info().opType()).toList(), mode);
            float[] got = run(swapped, x).get("y");
            float[] want = run(kept, x).get("y");
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5 + 1e-5 * Math.abs(want[i]), mode + " at " + i);
            }
        }
    }

    /**
     * x -> Add(x, s) -> act -> y, s a constant of shape {@code sShape}; with {@code exposeSum} the sum is a graph output
     * too (then nothing is fused). {@code op} may be "Mean", which does not take an activation.
     */
    private static OnnxModel addThen(String op, String act, int[] sShape, float[] s, boolean exposeSum) {
        long[] dims = java.util.Arrays.stream(sShape).asLongStream().toArray();
        List<OnnxNode> nodes = List.of(OnnxNode.of(op, List.of("x", "s"), List.of("sum")).withName("add"),
                OnnxNode.of(act, List.of("sum"), List.of("y")).withName("act"));
        List<ValueInfo> outs = new ArrayList<>(List.of(ValueInfo.floatTensor("y", 1, C, H, H)));
        if (exposeSum) {
            outs.add(ValueInfo.floatTensor("sum", 1, C, H, H));
        }
        OnnxGraph g = OnnxGraph.of("add", nodes, List.of(OnnxTensor.ofFloats("s", dims, s)),
                List.of(ValueInfo.tensor("x", DataType.FLOAT, 1, C, H, H)), outs);
        return OnnxModel.of(g, 13);
    }

    @Test
    void anActivationAfterAnAddRunsInItsPassWithTheSameOutput() {
        Random r = new Random(6);
        float[] x = rand(r, C * H * H, 0);
        float[] same = rand(r, C * H * H, 0);
        float[] perChannel = rand(r, C, 0);
        Object[][] cases = { // op, activation, shape of s, s, fused into one node
            {"Add", "Relu", new int[] {1, C, H, H}, same, true},       // a residual Add and its ReLU
            {"Add", "LeakyRelu", new int[] {1, C, 1, 1}, perChannel, true}, // broadcast rows
            {"Mul", "Sigmoid", new int[] {1, C, H, H}, same, true},
            {"Mean", "Relu", new int[] {1, C, H, H}, same, false},     // Mean scales after its sum: not fused
        };
        for (Object[] c : cases) {
            String op = (String) c[0], act = (String) c[1];
            int[] shape = (int[]) c[2];
            float[] sv = (float[]) c[3];
            Model model = Model.fromOnnx(addThen(op, act, shape, sv, false), "add");
            assertEquals((boolean) c[4] ? 1 : 2, model.nodes().size(), op + " " + act + ": " + model.nodes());
            Model reference = Model.fromOnnx(addThen(op, act, shape, sv, true), "add"); // the sum exposed: two nodes
            assertEquals(2, reference.nodes().size(), reference.nodes().toString());
            float[] got = run(model, x).get("y");
            float[] want = run(reference, x).get("y");
            for (int i = 0; i < want.length; i++) {
                int ch = i / (H * H);
                float sum = op.equals("Mul") ? x[i] * sv[i] : x[i] + (sv.length == C ? sv[ch] : sv[i]);
                if (op.equals("Mean")) {
                    sum /= 2;
                }
                double direct = act.equals("Relu") ? Math.max(0, sum) : act.equals("LeakyRelu") ? (sum < 0 ? 0.01 * sum : sum)
                        : 1 / (1 + Math.exp(-sum));
                assertEquals(want[i], got[i], 0f, op + " " + act + " at " + i);
                assertEquals(direct, got[i], 1e-6 + 1e-6 * Math.abs(direct), op + " " + act + " at " + i);
            }
        }
    }

    /** Input channels and output channels of {@link #convThenAdd}: enough for the CPU's channel lanes (K = 144, 32 out). */
    private static final int RC = 16;
    private static final int RM = 32;

    /**
     * x [1, RC, H, H] -> Conv(w, [b], pads 1) -> Add with r (first or second operand) -> Relu -> y, r a constant of shape
     * {@code rShape}; with {@code exposeConv} the convolution's output is a graph output too (then the Add is not folded).
     */
    private static OnnxModel convThenAdd(boolean bias, boolean convFirst, int[] rShape, float[] r, float[] w, float[] b,
                                         boolean exposeConv) {
        List<OnnxTensor> init = new ArrayList<>(List.of(OnnxTensor.ofFloats("w", new long[] {RM, RC, 3, 3}, w),
                OnnxTensor.ofFloats("r", java.util.Arrays.stream(rShape).asLongStream().toArray(), r)));
        List<String> convIn = new ArrayList<>(List.of("x", "w"));
        if (bias) {
            init.add(OnnxTensor.ofFloats("b", new long[] {RM}, b));
            convIn.add("b");
        }
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Conv", convIn, List.of("c"), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)).withName("conv"),
                OnnxNode.of("Add", convFirst ? List.of("c", "r") : List.of("r", "c"), List.of("sum")).withName("add"),
                OnnxNode.of("Relu", List.of("sum"), List.of("y")).withName("relu"));
        return convGraph("residual", nodes, init, RC, RM, exposeConv);
    }

    @Test
    void anAddAfterAConvIsFoldedIntoItWithTheSameOutput() {
        Random r = new Random(8);
        float[] x = rand(r, RC * H * H, 0), w = rand(r, RM * RC * 9, 0), b = rand(r, RM, 0);
        float[] same = rand(r, RM * H * H, 0), perChannel = rand(r, RM, 0);
        Object[][] cases = { // bias, conv output first in the Add, shape of r, r
            {true, true, new int[] {1, RM, H, H}, same},           // a ResNet block: conv, Add, ReLU in one step
            {false, false, new int[] {1, RM, H, H}, same},         // no bias; the residual as the first operand
            {true, true, new int[] {1, RM, 1, 1}, perChannel},     // a broadcast operand: added after the convolution
        };
        for (Object[] c : cases) {
            boolean bias = (boolean) c[0], convFirst = (boolean) c[1];
            int[] shape = (int[]) c[2];
            float[] rv = (float[]) c[3];
            String what = "bias " + bias + ", conv first " + convFirst + ", r " + java.util.Arrays.toString(shape);
            Model model = Model.fromOnnx(convThenAdd(bias, convFirst, shape, rv, w, b, false), "residual");
            assertEquals(1, model.nodes().size(), what + ": " + model.nodes());
            Model reference = Model.fromOnnx(convThenAdd(bias, convFirst, shape, rv, w, b, true), "residual");
            assertEquals(2, reference.nodes().size(), what + ": the conv output exposed, only the ReLU folds: " + reference.nodes());
            float[] got = run(model, x, RC).get("y");
            float[] want = run(reference, x, RC).get("y");
            assertEquals(RM * H * H, got.length, what);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 0f, what + " at " + i);
            }
        }
    }

    /**
     * x [1, 32, (12,) 12] -> Conv 3x3 pad 1 to 32 channels -> Relu -> a -> MaxPool (3x3 / 2 pad 1 in 2-D, 2 / 2 in 1-D)
     * -> y; with {@code exposeA} the Relu's output is a graph output too, which keeps the MaxPool a node of its own.
     */
    private static OnnxModel convReluMaxPool(boolean twoD, boolean exposeA, float[] w, float[] b) {
        int[] k = twoD ? new int[] {3, 3} : new int[] {3};
        List<OnnxTensor> init = List.of(OnnxTensor.ofFloats("w", twoD ? new long[] {32, 32, 3, 3} : new long[] {32, 32, 3}, w),
                OnnxTensor.ofFloats("b", new long[] {32}, b));
        List<OnnxNode> nodes = List.of(
                OnnxNode.of("Conv", List.of("x", "w", "b"), List.of("c"), OnnxAttribute.ofInts("pads", twoD ? new int[] {1, 1, 1, 1}
                        : new int[] {1, 1})).withName("conv"),
                OnnxNode.of("Relu", List.of("c"), List.of("a")).withName("relu"),
                twoD ? OnnxNode.of("MaxPool", List.of("a"), List.of("y"), OnnxAttribute.ofInts("kernel_shape", k),
                        OnnxAttribute.ofInts("strides", 2, 2), OnnxAttribute.ofInts("pads", 1, 1, 1, 1)).withName("pool")
                        : OnnxNode.of("MaxPool", List.of("a"), List.of("y"), OnnxAttribute.ofInts("kernel_shape", 2),
                        OnnxAttribute.ofInts("strides", 2)).withName("pool"));
        List<ValueInfo> outs = new ArrayList<>(List.of(twoD ? ValueInfo.floatTensor("y", 1, 32, 6, 6) : ValueInfo.floatTensor("y", 1, 32, 6)));
        if (exposeA) {
            outs.add(twoD ? ValueInfo.floatTensor("a", 1, 32, 12, 12) : ValueInfo.floatTensor("a", 1, 32, 12));
        }
        ValueInfo x = twoD ? ValueInfo.tensor("x", DataType.FLOAT, 1, 32, 12, 12) : ValueInfo.tensor("x", DataType.FLOAT, 1, 32, 12);
        return OnnxModel.of(OnnxGraph.of("pooled", nodes, init, List.of(x), outs), 13);
    }

    @Test
    void aMaxPoolAfterAConvIsFoldedIntoItWithTheSameOutput() {
        Random r = new Random(9);
        for (boolean twoD : new boolean[] {true, false}) {
            int pixels = twoD ? 144 : 12;
            float[] x = rand(r, 32 * pixels, 0), w = rand(r, 32 * 32 * (twoD ? 9 : 3), 0), b = rand(r, 32, 0);
            for (int i = 0; i < w.length; i++) {
                w[i] *= 0.06f;
            }
            Model model = Model.fromOnnx(convReluMaxPool(twoD, false, w, b), "pooled");
            assertEquals(1, model.nodes().size(), model.nodes().toString());
            assertEquals(List.of("y"), model.nodes().get(0).outputs());
            Model reference = Model.fromOnnx(convReluMaxPool(twoD, true, w, b), "pooled");
            assertEquals(2, reference.nodes().size(), "the Relu's output exposed: the pooling stays a node: " + reference.nodes());
            int[] shape = twoD ? new int[] {1, 32, 12, 12} : new int[] {1, 32, 12};
            try (CpuBackend cpu = new CpuBackend(2); Session s = new Session(model, cpu); Session ref = new Session(reference, cpu)) {
                HostTensor in = new HostTensor(shape, x);
                HostTensor got = s.runOnHost(Map.of("x", in)).get("y"), want = ref.runOnHost(Map.of("x", in)).get("y");
                assertEquals(java.util.Arrays.toString(want.shape()), java.util.Arrays.toString(got.shape()));
                assertEquals(32 * (twoD ? 36 : 6), got.data().length);
                for (int i = 0; i < got.data().length; i++) {
                    assertEquals(want.data()[i], got.data()[i], 0f, (twoD ? "2-D" : "1-D") + " at " + i);
                }
            }
        }
    }

    private static Map<String, float[]> run(Model model, float[] x) {
        return run(model, x, C);
    }

    /** The model on x [1, channels, H, H]: every output by name. */
    private static Map<String, float[]> run(Model model, float[] x, int channels) {
        try (CpuBackend cpu = new CpuBackend(2); Session s = new Session(model, cpu)) {
            Map<String, HostTensor> out = s.runOnHost(Map.of("x", new HostTensor(new int[] {1, channels, H, H}, x)));
            java.util.HashMap<String, float[]> m = new java.util.HashMap<>();
            out.forEach((k, v) -> m.put(k, v.data()));
            return m;
        }
    }

    private static float[] rand(Random r, int n, float offset) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = offset + (float) r.nextGaussian() * (offset > 0 ? 0.3f : 1f);
        }
        return a;
    }
}
