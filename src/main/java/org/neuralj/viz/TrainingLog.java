package org.neuralj.viz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.neuralj.train.TrainingListener;

/**
 * The metrics of a training run, epoch by epoch: a {@link TrainingListener} that keeps every value,
 * passes each epoch on to further listeners (a live plot) and writes the history as CSV
 * ({@code epoch,loss,...}; a metric missing in an epoch is an empty field). Thread-safe: training may
 * run on a worker thread while a plot reads.
 */
public final class TrainingLog implements TrainingListener {
    private final List<String> names = new CopyOnWriteArrayList<>();
    private final List<Integer> epochs = new CopyOnWriteArrayList<>();
    private final List<Map<String, Double>> rows = new CopyOnWriteArrayList<>();
    private final List<TrainingListener> forward = new CopyOnWriteArrayList<>();

    /** Also tells {@code l} of every epoch from now on. */
    public TrainingLog then(TrainingListener l) {
        forward.add(l);
        return this;
    }

    @Override
    public void epochEnd(int epoch, Map<String, Double> metrics) {
        for (String k : metrics.keySet()) {
            if (!names.contains(k)) {
                names.add(k);
            }
        }
        epochs.add(epoch);
        rows.add(new LinkedHashMap<>(metrics));
        for (TrainingListener l : forward) {
            l.epochEnd(epoch, metrics);
        }
    }

    public List<String> metricNames() {
        return List.copyOf(names);
    }

    public int size() {
        return epochs.size();
    }

    public List<Integer> epochs() {
        return List.copyOf(epochs);
    }

    /** The values of one metric per logged epoch (NaN where missing). */
    public double[] series(String metric) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rows.get(i).getOrDefault(metric, Double.NaN);
        }
        return v;
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("epoch");
        List<String> cols = new ArrayList<>(names);
        cols.forEach(n -> sb.append(',').append(n));
        sb.append('\n');
        for (int i = 0; i < rows.size(); i++) {
            sb.append(epochs.get(i));
            for (String n : cols) {
                Double d = rows.get(i).get(n);
                sb.append(',').append(d == null ? "" : String.format(Locale.ROOT, "%.6g", d));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    public void writeCsv(Path file) throws IOException {
        org.neuralj.io.AtomicFiles.writeString(file, csv());
    }

    /** Reads a CSV written by {@link #writeCsv} (to plot a finished run again). */
    public static TrainingLog readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        TrainingLog log = new TrainingLog();
        if (lines.isEmpty()) {
            return log;
        }
        String[] head = lines.get(0).split(",", -1);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            Map<String, Double> m = new LinkedHashMap<>();
            for (int i = 1; i < head.length && i < f.length; i++) {
                if (!f[i].isEmpty()) {
                    m.put(head[i], Double.parseDouble(f[i]));
                }
            }
            log.epochEnd(Integer.parseInt(f[0]), m);
        }
        return log;
    }
}
