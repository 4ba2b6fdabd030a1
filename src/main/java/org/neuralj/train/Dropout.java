package org.neuralj.train;

import java.util.List;

/** Inverted dropout with probability p, active only on a training tape (seeded by {@link Tape#seed}). */
public final class Dropout implements Layer {
    private final float p;

    public Dropout(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), was " + p);
        }
        this.p = p;
    }

    @Override
    public Var forward(Tape t, Var x) {
        return t.dropout(x, p);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
