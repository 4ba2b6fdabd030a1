package org.neuralj.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A validation split that keeps groups together (all crops of one source image on one side: crops of
 * one image are correlated, so a split by crop would overstate accuracy). Seeded: the same seed and data
 * give the same split.
 */
public final class Split {
    private Split() {
    }

    /** @param train items whose group was drawn for training; @param validation the others */
    public record Parts<T>(List<T> train, List<T> validation) {
    }

    /** Puts about {@code fraction} of the groups (sorted, then shuffled with {@code seed}) into validation. */
    public static <T> Parts<T> byGroup(List<T> items, Function<T, String> group, double fraction, long seed) {
        if (fraction < 0 || fraction >= 1) {
            throw new IllegalArgumentException("validation fraction " + fraction + " must be in [0, 1)");
        }
        List<String> groups = new ArrayList<>(new TreeSet<>(items.stream().map(group).toList()));
        java.util.Collections.shuffle(groups, new Random(seed));
        int n = (int) Math.round(groups.size() * fraction);
        if (fraction > 0 && n == 0 && groups.size() > 1) {
            n = 1;
        }
        java.util.Set<String> val = new java.util.HashSet<>(groups.subList(0, n));
        List<T> train = new ArrayList<>();
        List<T> validation = new ArrayList<>();
        for (T t : items) {
            (val.contains(group.apply(t)) ? validation : train).add(t);
        }
        return new Parts<>(train, validation);
    }
}
