package org.neuralj.train;

import java.util.ArrayList;
import java.util.List;

/** A fully connected layer y = x W + b with W [in, out] (Xavier-initialised); exported as ONNX Gemm. */
public final class Dense implements Layer {
    private final Parameter weight;
    private final Parameter bias;

    public Dense(Init init, String name, int in, int out) {
        this(init, name, in, out, true);
    }

    public Dense(Init init, String name, int in, int out, boolean bias) {
        this.weight = init.xavier(name + ".weight", in, out, in, out);
        this.bias = bias ? init.constant(name + ".bias", Parameter.Kind.BIAS, 0f, out) : null;
    }

    @Override
    public Var forward(Tape t, Var x) {
        return t.dense(x, t.param(weight), bias == null ? null : t.param(bias));
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
