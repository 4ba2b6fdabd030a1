package org.neuralj.train;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.ConvSpec;

/**
 * 2-D transposed convolution (learned upsampling): weights [in, out/groups, k, k], output size
 * (H - 1) * stride - 2 * pad + dilation * (k - 1) + 1 + outputPadding. Exported as ONNX ConvTranspose.
 */
public final class ConvTranspose2d implements Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int pad;
    private final int dilation;
    private final int groups;
    private final int outputPadding;

    /** A k x k transposed convolution with stride k (exact k-fold upsampling), no padding, bias. */
    public ConvTranspose2d(Init init, String name, int in, int out, int k) {
        this(init, name, in, out, k, k, 0, 1, 1, 0, true);
    }

    public ConvTranspose2d(Init init, String name, int in, int out, int k, int stride, int pad, int dilation,
                           int groups, int outputPadding, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(name + ": channels " + in + " -> " + out + " do not divide by groups " + groups);
        }
        this.weight = init.he(name + ".weight", in / groups * k * k, in, out / groups, k, k);
        this.bias = bias ? init.constant(name + ".bias", Parameter.Kind.BIAS, 0f, out) : null;
        this.stride = stride;
        this.pad = pad;
        this.dilation = dilation;
        this.groups = groups;
        this.outputPadding = outputPadding;
    }

    @Override
    public Var forward(Tape t, Var x) {
        int[] ws = weight.shape();
        int oh = (x.dim(2) - 1) * stride - 2 * pad + dilation * (ws[2] - 1) + 1 + outputPadding;
        int ow = (x.dim(3) - 1) * stride - 2 * pad + dilation * (ws[3] - 1) + 1 + outputPadding;
        ConvSpec spec = new ConvSpec(stride, stride, pad, pad, pad, pad, dilation, dilation, groups, oh, ow, Activation.NONE);
        return t.convTranspose2d(x, t.param(weight), bias == null ? null : t.param(bias), spec);
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
