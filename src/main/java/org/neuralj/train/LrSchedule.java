package org.neuralj.train;

/**
 * The learning rate as a function of the optimiser step (0-based). Pure functions of the step, so a
 * resumed run gets the same rates.
 */
@FunctionalInterface
public interface LrSchedule {
    float lr(long step);

    static LrSchedule constant(float lr) {
        return step -> lr;
    }

    /** lr * gamma^(step / every) (PyTorch StepLR). */
    static LrSchedule step(float lr, long every, float gamma) {
        if (every < 1) {
            throw new IllegalArgumentException("step schedule: every must be >= 1, was " + every);
        }
        return step -> (float) (lr * Math.pow(gamma, step / every));
    }

    /** Cosine annealing from lr to minLr over {@code total} steps, then minLr. */
    static LrSchedule cosine(float lr, long total, float minLr) {
        return step -> step >= total ? minLr
                : (float) (minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * step / total)));
    }

    /** Linear warm-up from lr/warmup to the inner schedule's rate over the first {@code warmup} steps. */
    static LrSchedule warmup(long warmup, LrSchedule then) {
        return step -> step < warmup ? then.lr(step) * (step + 1) / (float) warmup : then.lr(step);
    }
}
