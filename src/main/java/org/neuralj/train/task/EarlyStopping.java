package org.neuralj.train.task;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.train.Parameter;

/**
 * Early stopping on a validation metric (higher is better): remembers the best epoch's parameter values
 * (host copies, buffers included) and says when {@code patience} epochs have passed without improvement;
 * {@link #restoreBest} puts the best values back, so the exported model is the best one seen, not the last.
 * Patience 0 never stops early but still keeps the best epoch.
 */
final class EarlyStopping {
    private final int patience;
    private double best = Double.NEGATIVE_INFINITY;
    private int bestEpoch;
    private List<float[]> bestValues;

    EarlyStopping(int patience) {
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0, not " + patience);
        }
        this.patience = patience;
    }

    /** Records the metric of {@code epoch}; returns true when training should stop now. */
    boolean update(int epoch, double metric, List<Parameter> params) {
        if (metric > best) {
            best = metric;
            bestEpoch = epoch;
            bestValues = new ArrayList<>(params.size());
            for (Parameter p : params) {
                bestValues.add(p.download());
            }
            return false;
        }
        return patience > 0 && epoch - bestEpoch >= patience;
    }

    int bestEpoch() {
        return bestEpoch;
    }

    double best() {
        return best;
    }

    /** Puts the best epoch's values back into {@code params} (the same list as given to update); false when none was recorded. */
    boolean restoreBest(List<Parameter> params) {
        if (bestValues == null) {
            return false;
        }
        for (int i = 0; i < params.size(); i++) {
            params.get(i).load(bestValues.get(i));
        }
        return true;
    }
}
