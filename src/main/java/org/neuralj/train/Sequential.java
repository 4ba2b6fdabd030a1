package org.neuralj.train;

import java.util.ArrayList;
import java.util.List;

/** Layers applied one after the other. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        this.layers = List.of(layers);
    }

    public Sequential(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Var forward(Tape t, Var x) {
        Var v = x;
        for (Layer l : layers) {
            v = l.forward(t, v);
        }
        return v;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>();
        for (Layer l : layers) {
            p.addAll(l.parameters());
        }
        return p;
    }
}
