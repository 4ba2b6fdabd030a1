package org.neuralj.viz;

import java.util.List;

/** Counts of (true class, predicted class) pairs: {@code counts[truth][predicted]}. */
public record ConfusionMatrix(List<String> classes, long[][] counts) {

    public static ConfusionMatrix of(List<String> classes, int[] truth, int[] predicted) {
        int k = classes.size();
        long[][] c = new long[k][k];
        for (int i = 0; i < truth.length; i++) {
            c[truth[i]][predicted[i]]++;
        }
        return new ConfusionMatrix(List.copyOf(classes), c);
    }

    public long total() {
        long n = 0;
        for (long[] row : counts) {
            for (long v : row) {
                n += v;
            }
        }
        return n;
    }

    public double accuracy() {
        long right = 0;
        for (int i = 0; i < counts.length; i++) {
            right += counts[i][i];
        }
        return total() == 0 ? 0 : right / (double) total();
    }

    /** Fraction of class {@code truth} predicted as {@code predicted} (row-normalised). */
    public double rate(int truth, int predicted) {
        long n = 0;
        for (long v : counts[truth]) {
            n += v;
        }
        return n == 0 ? 0 : counts[truth][predicted] / (double) n;
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("truth\\predicted");
        classes.forEach(c -> sb.append(',').append(c));
        sb.append('\n');
        for (int i = 0; i < counts.length; i++) {
            sb.append(classes.get(i));
            for (long v : counts[i]) {
                sb.append(',').append(v);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
