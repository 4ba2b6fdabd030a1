package org.neuralj.filter;

import java.util.Locale;
import org.neuralj.backend.PadMode;

/** What a filter sees beyond the image border. */
public enum EdgeMode {
    /** the nearest edge pixel is repeated (ImageJ's behaviour, the default) */
    EDGE(PadMode.EDGE),
    /** zeros outside the image */
    ZERO(PadMode.CONSTANT),
    /** mirrored without repeating the edge pixel: ... 2 1 | 0 1 2 ... */
    REFLECT(PadMode.REFLECT);

    private final PadMode pad;

    EdgeMode(PadMode pad) {
        this.pad = pad;
    }

    /** The {@link org.neuralj.backend.Backend#pad} mode that gives this border. */
    public PadMode padMode() {
        return pad;
    }

    /** The lower-case word used in dialogs, macros and the CLI. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "edge", "zero" or "reflect" (case-insensitive). */
    public static EdgeMode parse(String word) {
        if (word != null) {
            for (EdgeMode m : values()) {
                if (m.word().equalsIgnoreCase(word.trim())) {
                    return m;
                }
            }
        }
        throw new FilterException("unknown edge mode '" + word + "': use edge, zero or reflect");
    }

    /** The words of all modes, for a dialog's choice. */
    public static String[] words() {
        EdgeMode[] v = values();
        String[] w = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            w[i] = v[i].word();
        }
        return w;
    }
}
