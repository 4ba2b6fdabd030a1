package org.neuralj.image;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neuralj.nn.Meta;
import org.neuralj.nn.Model;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Plan;
import org.neuralj.nn.ops.Conv;

/**
 * The receptive field of a fully convolutional network, computed from its graph: how far (in input
 * pixels) an output pixel can look on each side, and the network's stride (the product of its
 * down-sampling factors, which tile sizes and origins must be multiples of). The walk follows the
 * planned nodes with each value's "jump" (input pixels per pixel of that value) and radius: a k-wide
 * window with dilation d adds (k-1)d/2 jumps (the whole (k-1)d for a strided window, whose grid is
 * not centred), a strided op multiplies the jump, an up-sampling Resize or ConvTranspose divides it
 * and adds one input-level pixel; element-wise ops, Concat and Add take the largest radius. The bound is
 * conservative: a halo of {@link #radius()} makes a tiled result equal the untiled one.
 *
 * @param radius pixels of context each output pixel needs on every side
 * @param stride the network's total down-sampling factor (1 for a plain conv net)
 */
public record ReceptiveField(int radius, int stride) {

    private static final Set<String> GLOBAL = Set.of("GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Flatten",
            "Reshape", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "GlobalLpPool", "ArgMax");

    /**
     * The receptive field of {@code model}'s first input, probed with a {@code probe} x {@code probe}
     * input (or the declared size when fixed). Throws when an op mixes all pixels (a classifier: global
     * pooling, Gemm, Flatten): such a model cannot be tiled.
     */
    public static ReceptiveField of(Model model, int channels, int probe) {
        Model.Input in = model.inputs().get(0);
        int[] shape = {1, channels, probe, probe};
        if (in.dims() != null && in.dims().length == 4) {
            for (int i = 0; i < 4; i++) {
                if (in.dims()[i] > 0) {
                    shape[i] = (int) in.dims()[i];
                }
            }
        }
        Plan plan = model.plan(Map.of(in.name(), shape));
        Map<String, double[]> rf = new HashMap<>(); // value -> {jump, radius}
        rf.put(in.name(), new double[] {1, 0});
        double maxJump = 1;
        for (Plan.Planned p : plan.steps()) {
            String op = p.node().info().opType();
            double jump = 0, radius = 0;
            boolean any = false;
            for (String name : p.inputs()) {
                double[] v = rf.get(name);
                if (v != null) {
                    if (!any) {
                        jump = v[0];
                    }
                    radius = Math.max(radius, v[1]);
                    any = true;
                }
            }
            if (!any) {
                continue;
            }
            if (GLOBAL.contains(op)) {
                throw new IllegalArgumentException(model.source() + ": node " + p.node().info() + " (" + op + ") mixes all pixels, "
                        + "so the network has no finite receptive field and cannot be tiled (a classifier?)");
            }
            var info = p.node().info();
            switch (op) {
                case "Conv", "MaxPool", "AveragePool", "LpPool" -> {
                    int[] k = info.getInts("kernel_shape", null);
                    if (k == null && op.equals("Conv")) {
                        Meta wm = plan.meta(p.inputs().get(1));
                        k = new int[] {wm.dim(2), wm.dim(3)};
                    }
                    double[] jr = window(info, k, jump, radius);
                    if (p.node().op() instanceof Conv conv && conv.pooling() != null) {  // a MaxPool fused into the Conv
                        jr = window(conv.pooling().node(), conv.pooling().node().getInts("kernel_shape", null), jr[0], jr[1]);
                    }
                    jump = jr[0];
                    radius = jr[1];
                }
                case "ConvTranspose" -> {
                    Meta wm = plan.meta(p.inputs().get(1));
                    int kk = Math.max(wm.dim(2), wm.dim(3));
                    int[] s = info.getInts("strides", new int[] {1, 1});
                    int ss = Math.max(s[0], s[s.length - 1]);
                    radius += jump * Math.ceil((kk - 1) / (double) ss) + jump;
                    jump /= ss;
                }
                case "Resize", "Upsample" -> {
                    Meta a = plan.meta(p.inputs().get(0));
                    Meta b = plan.meta(p.outputs().get(0));
                    double factor = b.dim(b.rank() - 1) / (double) a.dim(a.rank() - 1);
                    radius += jump; // one input-level pixel for the interpolation's neighbours
                    jump /= factor;
                }
                default -> {
                }
            }
            maxJump = Math.max(maxJump, jump);
            for (String out : p.outputs()) {
                if (!out.isEmpty()) {
                    rf.put(out, new double[] {jump, radius});
                }
            }
        }
        double r = 0;
        for (String out : model.outputNames()) {
            double[] v = rf.get(out);
            if (v != null) {
                r = Math.max(r, v[1]);
            }
        }
        return new ReceptiveField((int) Math.ceil(r - 1e-9), (int) Math.round(maxJump));
    }

    /** {jump, radius} after a window op (its kernel k, null for 1) given those before it. */
    private static double[] window(NodeInfo info, int[] k, double jump, double radius) {
        int kk = k == null ? 1 : Math.max(k[0], k[k.length - 1]);
        int[] d = info.getInts("dilations", new int[] {1, 1});
        int[] s = info.getInts("strides", new int[] {1, 1});
        int dd = Math.max(d[0], d[d.length - 1]);
        int ss = Math.max(s[0], s[s.length - 1]);
        return new double[] {jump * ss, radius + (ss > 1 ? (kk - 1) * dd : (kk - 1) * dd / 2.0) * jump};
    }

    /** The halo for tiling: the radius rounded up to the stride. */
    public int halo() {
        return TilePlan.roundUp(radius, stride);
    }

    static List<String> globalOps() {
        return List.copyOf(GLOBAL);
    }
}
