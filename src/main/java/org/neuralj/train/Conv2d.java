package org.neuralj.train;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;

/**
 * 2-D convolution with stride, symmetric padding, dilation, groups and an optional bias; weights
 * [out, in/groups, k, k], He-initialised. Exported as ONNX Conv.
 */
public final class Conv2d implements Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int pad;
    private final int dilation;
    private final int groups;

    /** A k x k convolution, stride 1, "same" padding k/2, bias. */
    public Conv2d(Init init, String name, int in, int out, int k) {
        this(init, name, in, out, k, 1, k / 2, 1, 1, true);
    }

    public Conv2d(Init init, String name, int in, int out, int k, int stride, int pad, int dilation, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(name + ": channels " + in + " -> " + out + " do not divide by groups " + groups);
        }
        this.weight = init.he(name + ".weight", in / groups * k * k, out, in / groups, k, k);
        this.bias = bias ? init.constant(name + ".bias", Parameter.Kind.BIAS, 0f, out) : null;
        this.stride = stride;
        this.pad = pad;
        this.dilation = dilation;
        this.groups = groups;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Tape t, Var x) {
        int[] ws = weight.shape();
        int oh = ConvSpec.convOut(x.dim(2), ws[2], stride, pad, pad, dilation);
        int ow = ConvSpec.convOut(x.dim(3), ws[3], stride, pad, pad, dilation);
        ConvSpec spec = new ConvSpec(stride, stride, pad, pad, pad, pad, dilation, dilation, groups, oh, ow, Activation.NONE);
        return t.conv2d(x, t.param(weight), bias == null ? null : t.param(bias), spec);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>();
        p.add(weight);
        if (bias != null) {
            p.add(bias);
        }
        return p;
    }
}
