package org.neuralj.image;

import ij.IJ;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Warnings a user must see once, not once per image or tile (e.g. "ran out of device memory, running
 * on the CPU"): each distinct message is shown the first time it is raised in this JVM (the ImageJ Log
 * window when ImageJ's GUI is up, else stderr), and every raise is recorded so the CLI can list the
 * warnings of a run again in its summary.
 */
public final class Warnings {
    private static final Map<String, Integer> lastRaised = new LinkedHashMap<>(); // message -> number of its latest raise
    private static int count;

    private Warnings() {
    }

    public static void warn(String message) {
        boolean first;
        synchronized (Warnings.class) {
            first = lastRaised.put(message, count++) == null;
        }
        if (first) {
            if (IJ.getInstance() != null) {
                IJ.log("NeuralJ warning: " + message);
            } else {
                System.err.println("warning: " + message);
            }
        }
    }

    /** A mark for {@link #since}: the number of warnings raised so far. */
    public static synchronized int mark() {
        return count;
    }

    /** The distinct warnings raised since {@code mark}, in the order they were first raised. */
    public static synchronized List<String> since(int mark) {
        List<String> out = new ArrayList<>();
        lastRaised.forEach((m, n) -> {
            if (n >= mark) {
                out.add(m);
            }
        });
        return out;
    }
}
