package org.neuralj.viz;

import java.util.List;
import org.neuralj.backend.Backend;
import org.neuralj.train.Parameter;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * A network whose forward pass runs on a {@link Tape} (so gradients reach its input) and can be
 * tapped at named points: the value made at each point goes through {@link Tap#at}, which may read
 * it, replace it (Grad-CAM cuts the graph there to get the gradient of that value) or stop the pass
 * (activation maximisation needs nothing after its layer). Two kinds exist: {@link SequentialNet}
 * (a network built with {@code org.neuralj.train}) and {@link OnnxTapeNet} (an ONNX model read back as
 * tape ops).
 */
public interface TapNet {

    /** Sees (and may replace) the value made at a named point. */
    @FunctionalInterface
    interface Tap {
        Tap NONE = (point, value) -> value;

        Var at(String point, Var value);
    }

    /** The tappable points, in forward order (layer names or ONNX value names). */
    List<String> points();

    /** The forward pass from {@code x} ([N, C, H, W]); each point's value goes through {@code tap}. */
    Var forward(Tape t, Var x, Tap tap);

    /** The weights (frozen while an explanation runs, so no weight gradient is computed). */
    List<Parameter> parameters();

    Backend backend();

    /** The point named {@code name}, or the point at index {@code name} (as text), or an exception listing the points. */
    default String point(String name) {
        List<String> points = points();
        if (points.contains(name)) {
            return name;
        }
        for (String p : points) {
            if (p.startsWith(name + ":")) {
                return p;
            }
        }
        throw new IllegalArgumentException("no layer '" + name + "' in this network; layers: " + points);
    }

    /**
     * Grad-CAM's default layer for input {@code shape}: the last point among the 4-D values with the
     * smallest spatial size above 1x1 — a classifier's last convolutional stage, a U-Net's bottleneck
     * (Seg-Grad-CAM, Vinogradova et al. 2020), rather than a dense model's output itself.
     */
    default String lastSpatialPoint(int[] shape) {
        String[] found = {null};
        long[] smallest = {Long.MAX_VALUE};
        try (Tape t = new Tape(backend(), Tape.EVAL); org.neuralj.backend.Tensor x = backend().allocate(shape)) {
            forward(t, t.input(x), (point, v) -> {
                int[] s = v.shape();
                long area = s.length == 4 ? (long) s[2] * s[3] : 0;
                if (area > 1 && area <= smallest[0]) {
                    found[0] = point;
                    smallest[0] = area;
                }
                return v;
            });
        }
        if (found[0] == null) {
            throw new IllegalArgumentException("the network has no layer with a spatial output (needed for Grad-CAM)");
        }
        return found[0];
    }
}
