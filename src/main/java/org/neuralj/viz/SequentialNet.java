package org.neuralj.viz;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.train.Layer;
import org.neuralj.train.Parameter;
import org.neuralj.train.Sequential;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * A {@link Sequential} network of {@code org.neuralj.train} as a {@link TapNet}: the points are the
 * outputs of its top-level layers, named {@code "index:Class"} (e.g. {@code "3:Act"}); a point can also be
 * asked for by its index alone.
 */
public final class SequentialNet implements TapNet {
    private final Sequential net;
    private final Backend backend;
    private final List<String> points = new ArrayList<>();

    public SequentialNet(Sequential net, Backend backend) {
        this.net = net;
        this.backend = backend;
        List<Layer> layers = net.layers();
        for (int i = 0; i < layers.size(); i++) {
            points.add(i + ":" + layers.get(i).getClass().getSimpleName());
        }
    }

    @Override
    public List<String> points() {
        return List.copyOf(points);
    }

    @Override
    public Var forward(Tape t, Var x, Tap tap) {
        Var v = x;
        List<Layer> layers = net.layers();
        for (int i = 0; i < layers.size(); i++) {
            v = tap.at(points.get(i), layers.get(i).forward(t, v));
        }
        return v;
    }

    @Override
    public List<Parameter> parameters() {
        return net.parameters();
    }

    @Override
    public Backend backend() {
        return backend;
    }
}
