package org.neuralj.bench;

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

/**
 * Benchmark models built here, with random weights (speed does not depend on the values): a ResNet-18
 * with the torchvision layout (7x7/2 stem, 3x3/2 max-pool, four stages of two basic blocks at 64, 128,
 * 256, 512 channels, 1x1/2 projection shortcuts, global average pool, 1000-way Gemm), batch norms as
 * separate BatchNormalization nodes as a PyTorch export writes them.
 */
final class Zoo {
    private final Random r = new Random(18);
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final List<OnnxTensor> inits = new ArrayList<>();
    private int counter;

    private Zoo() {
    }

    /** ResNet-18 for [N, 3, size, size] input; FLOPs ~ 3.6 G per 224^2 image (2 per multiply-add). */
    static OnnxModel resnet18(int size) {
        Zoo z = new Zoo();
        String x = z.convBn("input", 3, 64, 7, 2, 3, true);
        x = z.node("MaxPool", List.of(x), OnnxAttribute.ofInts("kernel_shape", 3, 3), OnnxAttribute.ofInts("strides", 2, 2),
                OnnxAttribute.ofInts("pads", 1, 1, 1, 1));
        int c = 64;
        for (int stage = 0; stage < 4; stage++) {
            int o = 64 << stage;
            for (int b = 0; b < 2; b++) {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                String y = z.convBn(x, c, o, 3, stride, 1, true);
                y = z.convBn(y, o, o, 3, 1, 1, false);
                String shortcut = stride != 1 || c != o ? z.convBn(x, c, o, 1, stride, 0, false) : x;
                x = z.node("Relu", List.of(z.node("Add", List.of(y, shortcut))));
                c = o;
            }
        }
        x = z.node("Flatten", List.of(z.node("GlobalAveragePool", List.of(x))));
        String w = z.weight(new long[] {1000, c}, c);
        String bias = z.weight(new long[] {1000}, 0);
        z.nodes.add(OnnxNode.of("Gemm", List.of(x, w, bias), List.of("logits"), OnnxAttribute.of("transB", 1L)).withName("fc"));
        OnnxGraph g = OnnxGraph.of("resnet18", z.nodes, z.inits, List.of(ValueInfo.symbolicTensor("input", DataType.FLOAT, "N", 3, size, size)),
                List.of(ValueInfo.symbolicTensor("logits", DataType.FLOAT, "N", 1000)));
        return OnnxModel.of(g, 17);
    }

    /** The same model with its 4-D inputs' and outputs' batch and spatial axes made symbolic, so it runs at any size (in ORT too). */
    static OnnxModel anySize(OnnxModel m) {
        OnnxGraph g = m.graph();
        List<ValueInfo> ins = new ArrayList<>(), outs = new ArrayList<>();
        g.inputs().forEach(v -> ins.add(symbolic(v, "")));
        g.outputs().forEach(v -> outs.add(symbolic(v, "_out")));
        return new OnnxModel(m.irVersion(), m.opsetImports(), m.producerName(), m.producerVersion(),
                new OnnxGraph(g.name(), g.nodes(), g.initializers(), ins, outs, g.valueInfo()));
    }

    private static ValueInfo symbolic(ValueInfo v, String suffix) {
        long[] d = v.dims();
        if (d == null || d.length != 4) {
            return v;
        }
        return ValueInfo.symbolicTensor(v.name(), DataType.FLOAT, "N", d[1], "H" + suffix, "W" + suffix);
    }

    private String convBn(String x, int in, int out, int k, int stride, int pad, boolean relu) {
        String w = weight(new long[] {out, in, k, k}, in * k * k);
        String y = node("Conv", List.of(x, w), OnnxAttribute.ofInts("kernel_shape", k, k), OnnxAttribute.ofInts("strides", stride, stride),
                OnnxAttribute.ofInts("pads", pad, pad, pad, pad));
        float[] scale = new float[out], shift = new float[out], mean = new float[out], var = new float[out];
        for (int i = 0; i < out; i++) {
            scale[i] = 0.5f + r.nextFloat();
            shift[i] = 0.1f * (float) r.nextGaussian();
            mean[i] = 0.1f * (float) r.nextGaussian();
            var[i] = 0.5f + r.nextFloat();
        }
        List<String> bn = new ArrayList<>(List.of(y));
        for (float[] v : List.of(scale, shift, mean, var)) {
            String name = "p" + counter++;
            inits.add(OnnxTensor.ofFloats(name, new long[] {out}, v));
            bn.add(name);
        }
        y = node("BatchNormalization", bn, OnnxAttribute.of("epsilon", 1e-5f));
        return relu ? node("Relu", List.of(y)) : y;
    }

    /** He-scaled random weights (fanIn 0: small values for a bias). */
    private String weight(long[] dims, int fanIn) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float[] v = new float[n];
        double s = fanIn > 0 ? Math.sqrt(2.0 / fanIn) : 0.01;
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * s);
        }
        String name = "p" + counter++;
        inits.add(OnnxTensor.ofFloats(name, dims, v));
        return name;
    }

    private String node(String op, List<String> inputs, OnnxAttribute... attrs) {
        String out = "t" + counter++;
        nodes.add(OnnxNode.of(op, inputs, List.of(out), attrs).withName(op.toLowerCase() + counter));
        return out;
    }
}
