package org.neuralj.train;

import java.util.List;

/**
 * Batch normalisation per channel of [N, C, H, W] (or [N, C]) with a learned scale (1) and shift (0),
 * running mean (0) and variance (1) as buffers; batch statistics in training, running ones in
 * evaluation (see {@link Tape#batchNorm}). Exported as ONNX BatchNormalization.
 */
public final class BatchNorm2d implements Layer {
    private final Parameter gamma;
    private final Parameter beta;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final float momentum;
    private final float eps;

    public BatchNorm2d(Init init, String name, int channels) {
        this(init, name, channels, 0.1f, 1e-5f);
    }

    public BatchNorm2d(Init init, String name, int channels, float momentum, float eps) {
        this.gamma = init.constant(name + ".weight", Parameter.Kind.BIAS, 1f, channels);
        this.beta = init.constant(name + ".bias", Parameter.Kind.BIAS, 0f, channels);
        this.runningMean = init.constant(name + ".running_mean", Parameter.Kind.BUFFER, 0f, channels);
        this.runningVar = init.constant(name + ".running_var", Parameter.Kind.BUFFER, 1f, channels);
        this.momentum = momentum;
        this.eps = eps;
    }

    public Parameter runningMean() {
        return runningMean;
    }

    public Parameter runningVar() {
        return runningVar;
    }

    @Override
    public Var forward(Tape t, Var x) {
        return t.batchNorm(x, t.param(gamma), t.param(beta), runningMean, runningVar, momentum, eps);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma, beta, runningMean, runningVar);
    }
}
