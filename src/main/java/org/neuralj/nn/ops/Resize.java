package org.neuralj.nn.ops;

import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Meta;
import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.Op;
import org.neuralj.nn.Step;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * ONNX Resize (opset 10 to 19) and Upsample: nearest, linear and cubic over the last two axes (every
 * leading axis must keep its size). Scales or sizes must be known when the model loads.
 */
public final class Resize implements Op {
    private final NodeInfo node;

    public Resize(NodeInfo node) {
        this.node = node;
        if (node.getInt("antialias", 0) != 0) {
            throw new UnsupportedOperatorException(node + ": antialias=1 is not supported");
        }
        if (node.getString("coordinate_transformation_mode", "").equals("tf_crop_and_resize")) {
            throw new UnsupportedOperatorException(node + ": coordinate_transformation_mode tf_crop_and_resize is not supported");
        }
    }

    @Override
    public Step prepare(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        ResizeSpec spec = spec(in);
        int h = rank >= 2 ? x.dim(rank - 2) : 1;
        int w = x.dim(rank - 1);
        int lead = Axes.product(x.shape(), 0, Math.max(0, rank - 2));
        int[] out = x.shape();
        if (rank >= 2) {
            out[rank - 2] = spec.outH();
        }
        out[rank - 1] = spec.outW();
        return Step.of(Meta.of(out, x.type()), (b, t) -> {
            try (Tensor x4 = t.get(0).reshape(1, lead, h, w); Tensor y = b.resize(x4, spec)) {
                return List.of(y.reshape(out));
            }
        });
    }

    /**
     * The resize of the last two axes for these inputs (x and the constant scales or sizes), with
     * the attributes checked; the planner and the tape ops of {@code org.neuralj.viz} share it.
     */
    public ResizeSpec spec(List<Meta> in) {
        Meta x = in.get(0);
        int rank = x.rank();
        boolean legacy = node.opType().equals("Upsample") || node.opset() < 11;
        Meta scalesIn = null;
        Meta sizesIn = null;
        float[] scales = null;
        if (node.opType().equals("Upsample") && node.has("scales")) {
            scales = node.getFloats("scales");
        } else if (legacy) {
            scalesIn = in.get(1);
        } else {
            scalesIn = in.size() > 2 ? in.get(2) : null;
            sizesIn = in.size() > 3 ? in.get(3) : null;
        }
        if (scalesIn != null && scalesIn.isConstant() && scalesIn.constant().length > 0) {
            scales = scalesIn.constant();
        } else if (scalesIn != null && !scalesIn.isConstant() && Tensor.elementCount(scalesIn.shape()) > 0) {
            throw new UnsupportedOperatorException(node + ": scales must be known when the model loads");
        }
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) {
            axes[i] = i;
        }
        if (node.has("axes")) {
            long[] a = node.getLongs("axes");
            axes = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                axes[i] = Axes.normalize(a[i], rank, node);
            }
        }
        int[] outShape = x.shape();
        float[] fullScales = new float[rank];
        Arrays.fill(fullScales, 1f);
        if (scales != null) {
            for (int i = 0; i < axes.length; i++) {
                fullScales[axes[i]] = scales[i];
                outShape[axes[i]] = (int) Math.floor(x.dim(axes[i]) * (double) scales[i]);
            }
        } else if (sizesIn != null && sizesIn.isConstant()) {
            long[] sizes = sizesIn.longs();
            String policy = node.getString("keep_aspect_ratio_policy", "stretch");
            if (policy.equals("stretch")) {
                for (int i = 0; i < axes.length; i++) {
                    outShape[axes[i]] = (int) sizes[i];
                    fullScales[axes[i]] = (float) sizes[i] / x.dim(axes[i]);
                }
            } else {
                double s = policy.equals("not_larger") ? Double.MAX_VALUE : 0;
                for (int i = 0; i < axes.length; i++) {
                    double r = (double) sizes[i] / x.dim(axes[i]);
                    s = policy.equals("not_larger") ? Math.min(s, r) : Math.max(s, r);
                }
                for (int i = 0; i < axes.length; i++) {
                    outShape[axes[i]] = (int) Math.round(s * x.dim(axes[i]));
                    fullScales[axes[i]] = (float) s;
                }
            }
        } else {
            throw new UnsupportedOperatorException(node + ": Resize needs constant scales or sizes");
        }
        for (int i = 0; i < rank - 2; i++) {
            if (outShape[i] != x.dim(i)) {
                throw new UnsupportedOperatorException(node + ": resizing axis " + i + " (" + x.dim(i) + " to "
                        + outShape[i] + ") is not supported; only the last two axes may change size");
            }
        }
        int outH = rank >= 2 ? outShape[rank - 2] : 1;
        int outW = outShape[rank - 1];
        float scaleH = rank >= 2 ? fullScales[rank - 2] : 1f;
        float scaleW = fullScales[rank - 1];
        String modeName = node.getString("mode", "nearest");
        ResizeSpec.Mode mode = modeName.equals("nearest") ? ResizeSpec.Mode.NEAREST
                : modeName.equals("cubic") ? ResizeSpec.Mode.CUBIC : ResizeSpec.Mode.LINEAR;
        ResizeSpec.CoordinateMode coords = legacy ? ResizeSpec.CoordinateMode.ASYMMETRIC
                : coordinateMode(node.getString("coordinate_transformation_mode", "half_pixel"));
        ResizeSpec.NearestMode nearest = legacy ? ResizeSpec.NearestMode.FLOOR
                : nearestMode(node.getString("nearest_mode", "round_prefer_floor"));
        return new ResizeSpec(outH, outW, scaleH, scaleW, mode, coords, nearest,
                node.getFloat("cubic_coeff_a", -0.75f), node.getInt("exclude_outside", 0) != 0);
    }

    private ResizeSpec.CoordinateMode coordinateMode(String s) {
        switch (s) {
            case "half_pixel": return ResizeSpec.CoordinateMode.HALF_PIXEL;
            case "pytorch_half_pixel": return ResizeSpec.CoordinateMode.PYTORCH_HALF_PIXEL;
            case "asymmetric": return ResizeSpec.CoordinateMode.ASYMMETRIC;
            case "align_corners": return ResizeSpec.CoordinateMode.ALIGN_CORNERS;
            case "half_pixel_symmetric": return ResizeSpec.CoordinateMode.HALF_PIXEL_SYMMETRIC;
            default: throw new UnsupportedOperatorException(node + ": coordinate_transformation_mode '" + s + "' is not supported");
        }
    }

    private ResizeSpec.NearestMode nearestMode(String s) {
        switch (s) {
            case "round_prefer_floor": return ResizeSpec.NearestMode.ROUND_PREFER_FLOOR;
            case "round_prefer_ceil": return ResizeSpec.NearestMode.ROUND_PREFER_CEIL;
            case "floor": return ResizeSpec.NearestMode.FLOOR;
            case "ceil": return ResizeSpec.NearestMode.CEIL;
            default: throw new UnsupportedOperatorException(node + ": nearest_mode '" + s + "' is not supported");
        }
    }
}
