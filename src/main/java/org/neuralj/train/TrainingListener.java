package org.neuralj.train;

import java.util.Map;

/**
 * Told by a training loop after each epoch: the epoch number (from 1) and its metrics by name
 * ("loss", "val_loss", "accuracy", ...), in a fixed order. {@code org.neuralj.viz.TrainingLog} keeps
 * them (CSV) and the Fiji front end plots them live.
 */
@FunctionalInterface
public interface TrainingListener {
    void epochEnd(int epoch, Map<String, Double> metrics);
}
