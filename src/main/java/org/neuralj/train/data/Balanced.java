package org.neuralj.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Class-balanced sampling: each draw picks a class uniformly, then an item of that class, so a rare
 * class (platelets) is seen as often as a common one (red cells). Seeded by the caller's Random.
 */
public final class Balanced<T> {
    private final List<List<T>> byClass = new ArrayList<>();

    public Balanced(Map<String, List<T>> classes) {
        for (List<T> l : classes.values()) {
            if (!l.isEmpty()) {
                byClass.add(List.copyOf(l));
            }
        }
        if (byClass.isEmpty()) {
            throw new IllegalArgumentException("no items to sample");
        }
    }

    public T next(Random r) {
        List<T> l = byClass.get(r.nextInt(byClass.size()));
        return l.get(r.nextInt(l.size()));
    }
}
