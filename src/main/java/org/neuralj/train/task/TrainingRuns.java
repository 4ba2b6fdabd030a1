package org.neuralj.train.task;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;
import org.neuralj.train.Parameter;
import org.neuralj.train.Transfer;

/**
 * What both training tasks share: starting from a trained model, the epoch loop with early stopping, and
 * keeping the best epoch. The maps returned go into the card.
 */
final class TrainingRuns {
    private TrainingRuns() {
    }

    /** One optimiser step on a fresh batch; returns the batch's loss. */
    interface Step {
        float run(int step);
    }

    /**
     * {@code epochs} epochs of {@code steps} steps each, told to the listener (cancellation checked before every
     * step); after each epoch the validation metrics (empty without a validation set); with patience &gt; 0,
     * stops when the metric {@code metric} has not improved for that many epochs and puts the best epoch's
     * weights back ({@link #keepBest}, whose map is returned; else an empty map).
     */
    static Map<String, Object> epochs(int epochs, int steps, Step step, Supplier<Map<String, Double>> validate, String metric,
                                      int patience, List<Parameter> params, TrainingListener l) {
        EarlyStopping stopping = new EarlyStopping(patience);
        int total = epochs * steps, done = 0, epochsRun = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            epochsRun = epoch;
            double sum = 0;
            for (int k = 0; k < steps; k++, done++) {
                if (l.cancelled()) {
                    throw new CancellationException("training cancelled at step " + done + " of " + total + "; nothing written");
                }
                float loss = step.run(done);
                sum += loss;
                l.step(done + 1, total, loss);
            }
            Map<String, Double> metrics = validate.get();
            l.epoch(epoch, epochs, sum / steps, metrics);
            if (patience > 0 && metrics.containsKey(metric) && stopping.update(epoch, metrics.get(metric), params)) {
                l.log("early stop after epoch " + epoch + ": validation " + metric + " has not improved for " + patience + " epochs");
                break;
            }
        }
        return patience > 0 ? keepBest(stopping, params, patience, epochsRun, metric, l) : Map.of();
    }

    /** The layers to freeze (never null); freezing needs a model to start from. */
    static List<String> checkedFreeze(Path from, List<String> freeze) {
        List<String> f = freeze == null ? List.of() : List.copyOf(freeze);
        if (!f.isEmpty() && from == null) {
            throw new IllegalArgumentException("freezing layers needs a model to start from (--from)");
        }
        return f;
    }

    /** Loads matching weights from {@code from}, freezes the named layers, logs what happened. */
    static Map<String, Object> startFrom(List<Parameter> params, Path from, List<String> freeze, TrainingListener l) {
        Transfer.Report r = Transfer.loadMatching(params, from);
        l.log("starting from " + from + ": " + r.summary());
        List<String> frozen = Transfer.freeze(params, freeze);
        if (!freeze.isEmpty()) {
            l.log("frozen (not trained): " + freeze + ", " + frozen.size() + " parameters");
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("started_from", from.getFileName().toString());
        info.put("parameters_loaded", r.loaded().size());
        if (!r.reshaped().isEmpty() || !r.fresh().isEmpty()) {
            info.put("parameters_reinitialised", r.reshaped().size() + r.fresh().size());
        }
        if (!freeze.isEmpty()) {
            info.put("frozen_layers", freeze);
        }
        return info;
    }

    /** After early stopping: puts the best epoch's weights back and says so. */
    static Map<String, Object> keepBest(EarlyStopping s, List<Parameter> params, int patience, int epochsRun, String metric,
                                        TrainingListener l) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("patience", patience);
        info.put("epochs_run", epochsRun);
        if (s.restoreBest(params)) {
            l.log(String.format(java.util.Locale.ROOT, "keeping epoch %d, the best validation %s (%.4f)", s.bestEpoch(), metric, s.best()));
            info.put("best_epoch", s.bestEpoch());
        }
        return info;
    }
}
