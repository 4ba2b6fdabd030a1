package org.neuralj.train.task;

import java.util.Map;

/** Progress of a training run (the CLI prints it, Fiji shows a progress bar and a plot). */
public interface TrainingListener {
    /** After each optimiser step: {@code step} of {@code total} (over all epochs), the batch loss. */
    default void step(int step, int total, double loss) {
    }

    /** After each epoch: mean training loss and the validation metrics. */
    default void epoch(int epoch, int epochs, double loss, Map<String, Double> validation) {
    }

    /** A line for the log. */
    default void log(String line) {
    }

    /** Polled between steps: true stops the run (nothing is written). */
    default boolean cancelled() {
        return Thread.currentThread().isInterrupted();
    }
}
