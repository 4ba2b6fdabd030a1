package org.neuralj.train.task;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neuralj.train.Parameter;
import org.neuralj.train.Transfer;

/** Steps both training tasks share: starting from a trained model, and keeping the best epoch. The maps returned go into the card. */
final class TrainingRuns {
    private TrainingRuns() {
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
