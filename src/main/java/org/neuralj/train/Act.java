package org.neuralj.train;

import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.UnaryOp;

/** An element-wise activation layer (ReLU, LeakyReLU, Sigmoid, Tanh, ...). */
public final class Act implements Layer {
    private final Activation f;

    public Act(Activation f) {
        this.f = f;
    }

    public static Act relu() {
        return new Act(Activation.of(UnaryOp.RELU));
    }

    public static Act leakyRelu(float slope) {
        return new Act(new Activation(UnaryOp.LEAKY_RELU, slope, 0));
    }

    public static Act sigmoid() {
        return new Act(Activation.of(UnaryOp.SIGMOID));
    }

    public static Act tanh() {
        return new Act(Activation.of(UnaryOp.TANH));
    }

    @Override
    public Var forward(Tape t, Var x) {
        return t.activation(x, f);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
