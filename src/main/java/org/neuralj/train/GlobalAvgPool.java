package org.neuralj.train;

import java.util.List;

/** Mean over H and W: [N, C, H, W] to [N, C, 1, 1]; exported as ONNX GlobalAveragePool. */
public final class GlobalAvgPool implements Layer {
    @Override
    public Var forward(Tape t, Var x) {
        return t.globalAvgPool(x);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
