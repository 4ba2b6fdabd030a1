package org.neuralj.nn.ops;

import org.neuralj.nn.NodeInfo;
import org.neuralj.nn.UnsupportedOperatorException;

/**
 * The window attributes shared by Conv, ConvTranspose and the pools (kernel_shape, strides, pads,
 * dilations, auto_pad), normalised to two spatial axes: 1-D windows become H = 1.
 */
record Geometry(int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW,
                int[] pads /* top, left, bottom, right */, String autoPad) {

    /** Reads the attributes for {@code spatial} (1 or 2) spatial axes; kernel from the weights when absent. */
    static Geometry of(NodeInfo n, int spatial, int[] kernelFromWeights) {
        if (spatial < 1 || spatial > 2) {
            throw new UnsupportedOperatorException(n + ": only 1-D and 2-D " + n.opType()
                    + " are supported, this one has " + spatial + " spatial axes");
        }
        int[] kernel = n.getInts("kernel_shape", kernelFromWeights);
        if (kernel == null || kernel.length != spatial) {
            throw new UnsupportedOperatorException(n + ": kernel_shape missing or not " + spatial + "-D");
        }
        int[] strides = n.getInts("strides", ones(spatial));
        int[] dilations = n.getInts("dilations", ones(spatial));
        int[] pads = n.getInts("pads", new int[2 * spatial]);
        if (strides.length != spatial || dilations.length != spatial || pads.length != 2 * spatial) {
            throw new UnsupportedOperatorException(n + ": strides/dilations/pads do not match " + spatial + " spatial axes");
        }
        String autoPad = n.getString("auto_pad", "NOTSET");
        if (spatial == 1) {
            return new Geometry(1, kernel[0], 1, strides[0], 1, dilations[0], new int[] {0, pads[0], 0, pads[1]}, autoPad);
        }
        return new Geometry(kernel[0], kernel[1], strides[0], strides[1], dilations[0], dilations[1],
                new int[] {pads[0], pads[1], pads[2], pads[3]}, autoPad);
    }

    /**
     * Pads after auto_pad for an input of h x w: SAME_UPPER / SAME_LOWER give output ceil(in/stride)
     * with the odd pixel at the end / beginning; VALID gives none.
     */
    int[] resolvePads(int h, int w) {
        switch (autoPad) {
            case "NOTSET":
            case "":
                return pads.clone();
            case "VALID":
                return new int[4];
            case "SAME_UPPER":
            case "SAME_LOWER": {
                boolean upper = autoPad.equals("SAME_UPPER");
                int[] ph = same(h, kernelH, strideH, dilationH, upper);
                int[] pw = same(w, kernelW, strideW, dilationW, upper);
                return new int[] {ph[0], pw[0], ph[1], pw[1]};
            }
            default:
                throw new UnsupportedOperatorException("auto_pad '" + autoPad + "' is not an ONNX value");
        }
    }

    private static int[] same(int in, int kernel, int stride, int dilation, boolean upper) {
        int out = (in + stride - 1) / stride;
        int total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - in);
        int small = total / 2;
        return upper ? new int[] {small, total - small} : new int[] {total - small, small};
    }

    static int[] ones(int n) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }
}
