package org.neuralj.train;

import java.util.ArrayList;
import java.util.List;

/**
 * A residual block y = body(x) + shortcut(x) (shortcut null: identity), then an optional activation
 * (e.g. ReLU, as in ResNet). Exported with ONNX Add.
 */
public final class Residual implements Layer {
    private final Layer body;
    private final Layer shortcut;
    private final Layer after;

    public Residual(Layer body, Layer shortcut, Layer after) {
        this.body = body;
        this.shortcut = shortcut;
        this.after = after;
    }

    @Override
    public Var forward(Tape t, Var x) {
        Var y = t.add(body.forward(t, x), shortcut == null ? x : shortcut.forward(t, x));
        return after == null ? y : after.forward(t, y);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>(body.parameters());
        if (shortcut != null) {
            p.addAll(shortcut.parameters());
        }
        if (after != null) {
            p.addAll(after.parameters());
        }
        return p;
    }
}
