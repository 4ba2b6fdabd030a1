package org.neuralj.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neuralj.backend.Activation;
import org.neuralj.nn.ops.Binary;
import org.neuralj.nn.ops.Conv;
import org.neuralj.nn.ops.Pool;
import org.neuralj.nn.ops.Unary;

/**
 * Load-time rewrites of the node list that save whole passes over memory at run time (each
 * element-wise pass over a 1x64x256x256 activation costs about a millisecond at memory speed):
 * <ol>
 *   <li>{@link #foldBatchNorm}: Conv followed by BatchNormalization with constant parameters becomes
 *       one Conv with scaled weights and a new bias;</li>
 *   <li>{@link #convolveBeforeResize}: a 1x1 Conv reading an up-sampling Resize runs before it, on the
 *       smaller image;</li>
 *   <li>{@link #fuseActivations}: an activation that alone reads a Conv's output runs in the Conv's
 *       epilogue; one that alone reads an Add's (or another two-input element-wise op's) in its pass;</li>
 *   <li>{@link #fusePoolings}: a MaxPool that alone reads a Conv's output pools it as the Conv makes it.</li>
 * </ol>
 * Each only touches a value that nothing else reads and that is not a graph output, so every
 * value the graph exposes stays the same (up to float rounding).
 */
final class GraphOptimizer {
    private GraphOptimizer() {
    }

    static List<Model.Node> optimize(List<Model.Node> nodes, Map<String, Meta> constants, List<String> graphOutputs) {
        return fusePoolings(fuseActivations(fuseResiduals(convolveBeforeResize(foldBatchNorm(nodes, constants, graphOutputs), constants,
                graphOutputs), graphOutputs), graphOutputs), graphOutputs);
    }

    /**
     * Conv(x, W, b) then BatchNormalization(scale, B, mean, var, eps), all constant, becomes
     * Conv(x, W', b') with s[m] = scale[m] / sqrt(var[m] + eps), W'[m] = W[m] * s[m] and
     * b'[m] = (b[m] - mean[m]) * s[m] + B[m] (b = 0 when absent). The folded weights are new constants
     * (the originals may be shared with other nodes).
     */
    static List<Model.Node> foldBatchNorm(List<Model.Node> nodes, Map<String, Meta> constants, List<String> graphOutputs) {
        Map<String, Integer> readers = readers(nodes);
        return mergePairs(nodes, (n, bn) -> n.op() instanceof Conv conv && conv.activation().isIdentity()
                ? fold(n, bn, constants, readers, graphOutputs) : null);
    }

    /**
     * One pass over the nodes in order: where {@code merge} folds a node and the one right after it into one (returns
     * it; null to leave the pair alone), the pair is replaced by that node.
     */
    private static List<Model.Node> mergePairs(List<Model.Node> nodes,
                                               java.util.function.BinaryOperator<Model.Node> merge) {
        List<Model.Node> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Model.Node merged = i + 1 < nodes.size() ? merge.apply(nodes.get(i), nodes.get(i + 1)) : null;
            if (merged != null) {
                out.add(merged);
                i++;
            } else {
                out.add(nodes.get(i));
            }
        }
        return out;
    }

    /** Whether {@code value} has one reader and is not a graph output: a fusion may make it disappear. */
    private static boolean soleReader(String value, Map<String, Integer> readers, List<String> graphOutputs) {
        return readers.getOrDefault(value, 0) == 1 && !graphOutputs.contains(value);
    }

    private static Model.Node fold(Model.Node conv, Model.Node bn, Map<String, Meta> constants,
                                  Map<String, Integer> readers, List<String> graphOutputs) {
        String y = conv.outputs().get(0);
        if (!bn.info().opType().equals("BatchNormalization") || bn.info().getInt("training_mode", 0) != 0
                || bn.inputs().size() != 5 || !bn.inputs().get(0).equals(y) || !soleReader(y, readers, graphOutputs)
                || bn.outputs().size() != 1 && bn.outputs().subList(1, bn.outputs().size()).stream().anyMatch(s -> !s.isEmpty())) {
            return null;
        }
        Meta w = constants.get(conv.inputs().get(1));
        boolean hasBias = conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty();
        Meta b = hasBias ? constants.get(conv.inputs().get(2)) : null;
        Meta[] p = new Meta[4];
        for (int k = 0; k < 4; k++) {
            p[k] = constants.get(bn.inputs().get(k + 1));
        }
        if (w == null || w.rank() < 3 || hasBias && b == null) {
            return null;
        }
        int m = w.dim(0);
        for (Meta q : p) {
            if (q == null || q.constant().length != m) {
                return null;
            }
        }
        if (b != null && b.constant().length != m) {
            return null;
        }
        double eps = bn.info().getFloat("epsilon", 1e-5f);
        float[] wd = w.constant();
        int per = wd.length / m;
        float[] w2 = new float[wd.length];
        float[] b2 = new float[m];
        for (int o = 0; o < m; o++) {                          // W'[o][...] = W[o][...] * s[o]
            double s = p[0].constant()[o] / Math.sqrt(p[3].constant()[o] + eps);
            for (int j = 0; j < per; j++) {
                w2[o * per + j] = (float) (wd[o * per + j] * s);
            }
            double bias = b == null ? 0 : b.constant()[o];
            b2[o] = (float) ((bias - p[2].constant()[o]) * s + p[1].constant()[o]);
        }
        String wName = unique(constants, conv.inputs().get(1) + "::bn_folded");
        String bName = unique(constants, (hasBias ? conv.inputs().get(2) : wName) + "::bn_folded_bias");
        constants.put(wName, Meta.constant(w.shape(), w.type(), w2));
        constants.put(bName, Meta.constant(new int[] {m}, w.type(), b2));
        return new Model.Node(conv.info(), conv.op(), List.of(conv.inputs().get(0), wName, bName),
                List.of(bn.outputs().get(0)));
    }

    private static String unique(Map<String, Meta> constants, String name) {
        String n = name;
        for (int k = 2; constants.containsKey(n); k++) {
            n = name + k;
        }
        return n;
    }

    /**
     * Up-sampling Resize (nearest or linear, scales given, batch and channel scales 1) followed by a 1x1, stride-1, unpadded
     * Conv that alone reads it becomes the Conv followed by the Resize. A 1x1 convolution is the same linear map of
     * the channels at every pixel, and nearest and linear resizing mix each channel's pixels with weights that sum
     * to 1, so the two commute (the bias too); run first, the Conv sees a quarter of the pixels of a 2x up-sampling
     * and the Resize moves the Conv's (in a U-Net's decoder, half as many) channels. The Conv writes a new value.
     */
    static List<Model.Node> convolveBeforeResize(List<Model.Node> nodes, Map<String, Meta> constants, List<String> graphOutputs) {
        Map<String, Integer> readers = readers(nodes);
        Map<String, Model.Node> producers = new HashMap<>();
        for (Model.Node n : nodes) {
            n.outputs().forEach(o -> producers.put(o, n));
        }
        List<Model.Node> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Model.Node resize = nodes.get(i);
            Model.Node conv = i + 1 < nodes.size() ? nodes.get(i + 1) : null;
            if (conv != null && commutes(resize, conv, constants, producers, readers, graphOutputs)) {
                String between = "neuralj::before-resize::" + conv.outputs().get(0);
                List<String> convInputs = new ArrayList<>(conv.inputs());
                convInputs.set(0, resize.inputs().get(0));
                List<String> resizeInputs = new ArrayList<>(resize.inputs());
                resizeInputs.set(0, between);
                out.add(new Model.Node(conv.info(), conv.op(), convInputs, List.of(between)));
                out.add(new Model.Node(resize.info(), resize.op(), resizeInputs, conv.outputs()));
                i++;
                continue;
            }
            out.add(resize);
        }
        return out;
    }

    private static boolean commutes(Model.Node resize, Model.Node conv, Map<String, Meta> constants, Map<String, Model.Node> producers,
                                    Map<String, Integer> readers, List<String> graphOutputs) {
        NodeInfo r = resize.info();
        NodeInfo c = conv.info();
        if (!r.opType().equals("Resize") || r.opset() < 11 || r.has("axes") || !Set.of("nearest", "linear").contains(r.getString("mode", "nearest"))
                || resize.inputs().size() < 3 || resize.inputs().size() > 3 && !resize.inputs().get(3).isEmpty()
                || resize.outputs().size() != 1 || !(conv.op() instanceof Conv cv) || !cv.activation().isIdentity()) {
            return false;
        }
        String y = resize.outputs().get(0);
        if (!conv.inputs().get(0).equals(y) || !soleReader(y, readers, graphOutputs)) {
            return false;
        }
        float[] scales = constantValue(resize.inputs().get(2), constants, producers);
        Meta w = conv.inputs().size() > 1 ? constants.get(conv.inputs().get(1)) : null;
        // up-sampling only: before a down-sampling Resize the Conv would see more pixels, not fewer
        return scales != null && scales.length == 4 && scales[0] == 1f && scales[1] == 1f && scales[2] >= 1f && scales[3] >= 1f
                && w != null && w.rank() == 4 && w.dim(2) == 1 && w.dim(3) == 1
                && allEqual(c.getInts("strides", new int[] {1, 1}), 1) && allEqual(c.getInts("pads", new int[4]), 0);
    }

    /** A constant's values: an initializer or the output of a Constant node with a tensor value; else null. */
    private static float[] constantValue(String name, Map<String, Meta> constants, Map<String, Model.Node> producers) {
        Meta m = constants.get(name);
        if (m != null && m.isConstant()) {
            return m.constant();
        }
        Model.Node p = producers.get(name);
        return p != null && p.info().opType().equals("Constant") && p.info().has("value") ? p.info().getTensor("value").toFloats() : null;
    }

    private static boolean allEqual(int[] values, int v) {
        for (int x : values) {
            if (x != v) {
                return false;
            }
        }
        return true;
    }

    /**
     * Folds an Add that alone reads a convolution's output, right after it, into the convolution: Conv(x, W, b) then
     * Add(y, r) becomes one Conv(x, W, b, r) that adds r as it writes its output (a ResNet block's second convolution and
     * the shortcut), so the Add is no pass over memory of its own. The activation after the Add then fuses into the
     * convolution as usual (applied after r). r is ready by then: it is the input of the node after the convolution and
     * not the convolution's output.
     */
    static List<Model.Node> fuseResiduals(List<Model.Node> nodes, List<String> graphOutputs) {
        Map<String, Integer> readers = readers(nodes);
        return mergePairs(nodes, (n, next) -> {
            if (!(n.op() instanceof Conv conv) || !conv.activation().isIdentity() || conv.hasResidual() || n.outputs().size() != 1) {
                return null;
            }
            String y = n.outputs().get(0);
            boolean add = next.info().opType().equals("Add") && next.op() instanceof Binary && next.inputs().size() == 2
                    && next.inputs().contains(y) && !next.inputs().get(0).equals(next.inputs().get(1))
                    && soleReader(y, readers, graphOutputs);
            if (!add) {
                return null;
            }
            String r = next.inputs().get(0).equals(y) ? next.inputs().get(1) : next.inputs().get(0);
            List<String> inputs = new ArrayList<>(n.inputs());
            while (inputs.size() < 3) {
                inputs.add("");                         // no bias: the residual is input 3 all the same
            }
            inputs.add(r);
            conv.fuseResidual();
            return new Model.Node(n.info(), n.op(), inputs, next.outputs());
        });
    }

    /**
     * Folds an activation that alone reads a convolution's output into the convolution's epilogue, or a two-input
     * element-wise op's output (a residual Add) into that op's pass, saving one pass over memory per layer.
     */
    static List<Model.Node> fuseActivations(List<Model.Node> nodes, List<String> graphOutputs) {
        Map<String, Integer> readers = readers(nodes);
        return mergePairs(nodes, (n, next) -> {
            boolean canTake = n.op() instanceof Conv conv ? conv.activation().isIdentity()
                    : n.op() instanceof Binary binary && binary.fusable() && n.inputs().size() == 2;
            if (!canTake) {
                return null;
            }
            String y = n.outputs().get(0);
            boolean fusable = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "Elu").contains(next.info().opType())
                    && next.inputs().size() == 1 && next.inputs().get(0).equals(y) && soleReader(y, readers, graphOutputs);
            if (!fusable) {
                return null;
            }
            Activation act = Unary.activationOf(next.info());
            if (n.op() instanceof Conv conv) {
                conv.fuse(act);
            } else {
                ((Binary) n.op()).fuse(act);
            }
            return new Model.Node(n.info(), n.op(), n.inputs(), next.outputs());
        });
    }

    /**
     * Folds a MaxPool that alone reads a convolution's output (its activation fused) into the convolution, which then
     * outputs the pooled values: a backend can pool the convolution's rows as it makes them (a ResNet's stem and
     * max-pool: 3.3 MB that need not go to memory and back). Not after a residual Add folded in.
     */
    static List<Model.Node> fusePoolings(List<Model.Node> nodes, List<String> graphOutputs) {
        Map<String, Integer> readers = readers(nodes);
        return mergePairs(nodes, (n, next) -> {
            if (!(n.op() instanceof Conv conv) || conv.hasResidual() || conv.pooling() != null || n.outputs().size() != 1
                    || !(next.op() instanceof Pool pool) || !pool.isMax() || next.outputs().size() != 1) {
                return null;
            }
            String y = n.outputs().get(0);
            if (next.inputs().size() != 1 || !next.inputs().get(0).equals(y) || !soleReader(y, readers, graphOutputs)) {
                return null;
            }
            conv.fusePooling(pool);
            return new Model.Node(n.info(), n.op(), n.inputs(), next.outputs());
        });
    }

    private static Map<String, Integer> readers(List<Model.Node> nodes) {
        Map<String, Integer> readers = new HashMap<>();
        for (Model.Node n : nodes) {
            for (String in : n.inputs()) {
                readers.merge(in, 1, Integer::sum);
            }
        }
        return readers;
    }
}
