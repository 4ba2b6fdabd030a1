package org.neuralj.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;

/**
 * Updates the trainable parameters from their gradients, on the backend (element-wise backend ops; no
 * host round trip). Weight decay applies to {@link Parameter.Kind#WEIGHT}s only. Optional gradient
 * clipping by global L2 norm (computed on the device). The state (step count and per-parameter slots
 * such as momentum or Adam's moments) is saved and restored by {@link Checkpoint}.
 */
public abstract class Optimizer implements AutoCloseable {
    protected final List<Parameter> parameters;
    protected final Backend b;
    private LrSchedule schedule;
    private float clipNorm;
    private long step;
    /** parameter name to slot name to tensor */
    protected final Map<String, Map<String, Tensor>> state = new LinkedHashMap<>();

    protected Optimizer(List<Parameter> parameters, LrSchedule schedule) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("an optimiser needs parameters");
        }
        this.parameters = List.copyOf(parameters);
        this.b = parameters.get(0).backend();
        this.schedule = schedule;
    }

    /** Plain or momentum SGD (PyTorch semantics: v = mu v + g; update v, or g + mu v with Nesterov). */
    public static Optimizer sgd(List<Parameter> ps, LrSchedule lr, float momentum, boolean nesterov, float weightDecay) {
        return new Sgd(ps, lr, momentum, nesterov, weightDecay);
    }

    /** Adam with L2 weight decay added to the gradient. */
    public static Optimizer adam(List<Parameter> ps, LrSchedule lr, float weightDecay) {
        return new Adam(ps, lr, 0.9f, 0.999f, 1e-8f, weightDecay, false);
    }

    /** AdamW: decoupled weight decay p -= lr * wd * p. */
    public static Optimizer adamW(List<Parameter> ps, LrSchedule lr, float weightDecay) {
        return new Adam(ps, lr, 0.9f, 0.999f, 1e-8f, weightDecay, true);
    }

    /** Scales all gradients so that their global L2 norm is at most {@code maxNorm} (0: off). */
    public Optimizer clipGradNorm(float maxNorm) {
        this.clipNorm = maxNorm;
        return this;
    }

    public Optimizer schedule(LrSchedule s) {
        this.schedule = s;
        return this;
    }

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** The learning rate of the next step. */
    public float lr() {
        return schedule.lr(step);
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /** One update of every trainable parameter that has a gradient; then the gradients are cleared. */
    public void step() {
        float lr = schedule.lr(step);
        step++;
        if (clipNorm > 0) {
            clip();
        }
        for (Parameter p : parameters) {
            if (p.trainable() && p.grad() != null) {
                update(p, p.grad(), lr, step);
            }
        }
        zeroGrad();
    }

    public void zeroGrad() {
        parameters.forEach(Parameter::zeroGrad);
    }

    /** Applies one update to p (value replaced via {@link Parameter#set}); t is the 1-based step. */
    protected abstract void update(Parameter p, Tensor grad, float lr, long t);

    /** The slot tensor of p (zeros on first use). */
    protected Tensor slot(Parameter p, String name) {
        Map<String, Tensor> s = state.computeIfAbsent(p.name(), k -> new LinkedHashMap<>());
        Tensor t = s.get(name);
        if (t == null) {
            t = b.unary(p.value(), new Activation(UnaryOp.AFFINE, 0f, 0f));
            s.put(name, t);
        }
        return t;
    }

    protected void setSlot(Parameter p, String name, Tensor t) {
        Tensor old = state.get(p.name()).put(name, t);
        if (old != null && old != t) {
            old.close();
        }
    }

    /** v * a + c. */
    protected Tensor affine(Tensor v, float a, float c) {
        return b.unary(v, new Activation(UnaryOp.AFFINE, a, c));
    }

    /** a * x + c * y. */
    protected Tensor axpby(float a, Tensor x, float c, Tensor y) {
        try (Tensor ax = affine(x, a, 0f); Tensor cy = affine(y, c, 0f)) {
            return b.binary(ax, cy, BinaryOp.ADD);
        }
    }

    private void clip() {
        List<Parameter> ps = new ArrayList<>();
        for (Parameter p : parameters) {
            if (p.trainable() && p.grad() != null) {
                ps.add(p);
            }
        }
        if (ps.isEmpty()) {
            return;
        }
        Tensor total = null;
        for (Parameter p : ps) {
            boolean[] all = new boolean[p.grad().rank()];
            java.util.Arrays.fill(all, true);
            try (Tensor s = b.reduce(p.grad(), ReduceOp.SUM_SQUARE, all); Tensor s1 = s.reshape(1)) {
                if (total == null) {
                    total = s1.reshape(1);
                } else {
                    Tensor t = b.binary(total, s1, BinaryOp.ADD);
                    total.close();
                    total = t;
                }
            }
        }
        // factor = min(1, maxNorm / (sqrt(total) + 1e-6))
        try (Tensor sum = total;
             Tensor norm = b.unary(sum, Activation.of(UnaryOp.SQRT));
             Tensor shifted = affine(norm, 1f, 1e-6f);
             Tensor inv = b.unary(shifted, Activation.of(UnaryOp.RECIPROCAL));
             Tensor ratio = affine(inv, clipNorm, 0f);
             Tensor factor = b.unary(ratio, new Activation(UnaryOp.CLIP, -Float.MAX_VALUE, 1f))) {
            for (Parameter p : ps) {
                int[] ones = new int[p.grad().rank()];
                java.util.Arrays.fill(ones, 1);
                try (Tensor f = factor.reshape(ones)) {
                    p.setGrad(b.binary(p.grad(), f, BinaryOp.MUL));
                }
            }
        }
    }

    /** The state for a checkpoint: "param/slot" to tensor (not copies; do not close). */
    Map<String, Tensor> stateTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        state.forEach((p, slots) -> slots.forEach((s, t) -> m.put(p + "/" + s, t)));
        return m;
    }

    /** Restores the step count and the slots (uploaded from a checkpoint). */
    void restore(long steps, Map<String, float[]> slots) {
        close();
        this.step = steps;
        for (Parameter p : parameters) {
            for (Map.Entry<String, float[]> e : slots.entrySet()) {
                String key = e.getKey();
                if (key.startsWith(p.name() + "/") && key.indexOf('/', p.name().length() + 1) < 0) {
                    String slot = key.substring(p.name().length() + 1);
                    state.computeIfAbsent(p.name(), k -> new LinkedHashMap<>()).put(slot, b.upload(e.getValue(), p.shape()));
                }
            }
        }
    }

    /** Frees the state tensors. */
    @Override
    public void close() {
        state.values().forEach(m -> m.values().forEach(Tensor::close));
        state.clear();
    }

    private static final class Sgd extends Optimizer {
        private final float momentum;
        private final boolean nesterov;
        private final float weightDecay;

        Sgd(List<Parameter> ps, LrSchedule lr, float momentum, boolean nesterov, float weightDecay) {
            super(ps, lr);
            this.momentum = momentum;
            this.nesterov = nesterov;
            this.weightDecay = weightDecay;
        }

        @Override
        protected void update(Parameter p, Tensor grad, float lr, long t) {
            Tensor g = weightDecay != 0 && p.kind() == Parameter.Kind.WEIGHT
                    ? axpby(1f, grad, weightDecay, p.value()) : grad.reshape(grad.shape());
            try {
                Tensor u;
                if (momentum != 0) {
                    Tensor v = axpby(momentum, slot(p, "momentum"), 1f, g);
                    setSlot(p, "momentum", v);
                    u = nesterov ? axpby(1f, g, momentum, v) : v.reshape(v.shape());
                } else {
                    u = g.reshape(g.shape());
                }
                try (u) {
                    p.set(axpby(1f, p.value(), -lr, u));
                }
            } finally {
                g.close();
            }
        }
    }

    private static final class Adam extends Optimizer {
        private final float beta1;
        private final float beta2;
        private final float eps;
        private final float weightDecay;
        private final boolean decoupled;

        Adam(List<Parameter> ps, LrSchedule lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
            super(ps, lr);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
        }

        @Override
        protected void update(Parameter p, Tensor grad, float lr, long t) {
            boolean decay = weightDecay != 0 && p.kind() == Parameter.Kind.WEIGHT;
            Tensor g = decay && !decoupled ? axpby(1f, grad, weightDecay, p.value()) : grad.reshape(grad.shape());
            try {
                Tensor m = axpby(beta1, slot(p, "m"), 1f - beta1, g);
                setSlot(p, "m", m);
                Tensor v;
                try (Tensor g2 = b.binary(g, g, BinaryOp.MUL)) {
                    v = axpby(beta2, slot(p, "v"), 1f - beta2, g2);
                }
                setSlot(p, "v", v);
                double bc1 = 1 - Math.pow(beta1, t);
                double bc2 = 1 - Math.pow(beta2, t);
                // p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
                try (Tensor sq = b.unary(v, Activation.of(UnaryOp.SQRT));
                     Tensor den = affine(sq, (float) (1 / Math.sqrt(bc2)), eps);
                     Tensor ratio = b.binary(m, den, BinaryOp.DIV)) {
                    float base = decay && decoupled ? 1f - lr * weightDecay : 1f;
                    p.set(axpby(base, p.value(), (float) (-lr / bc1), ratio));
                }
            } finally {
                g.close();
            }
        }
    }
}
