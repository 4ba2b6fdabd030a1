package org.neuralj.train;

import java.util.List;

/** [N, ...] to [N, rest]; exported as ONNX Flatten (axis 1). */
public final class Flatten implements Layer {
    @Override
    public Var forward(Tape t, Var x) {
        return t.flatten(x);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
