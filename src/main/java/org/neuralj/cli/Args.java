package org.neuralj.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Command-line words: {@code --name value} options (repeatable), {@code --flag}s, and positional words. */
final class Args {
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final List<String> afterDashDash = new ArrayList<>();
    /** For each option word taking the following word as its value: where that word sits among the positionals. */
    private final List<Object[]> valued = new ArrayList<>();

    Args(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--")) {
                // everything after a bare "--" is passed on untouched (e.g. the command a SLURM task runs)
                afterDashDash.addAll(words.subList(i + 1, words.size()));
                break;
            }
            if (w.startsWith("--")) {
                String name = w.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq > 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < words.size() && !words.get(i + 1).startsWith("--")) {
                    value = words.get(++i);
                    valued.add(new Object[] {name, positional.size(), options.getOrDefault(name, List.of()).size()});
                }
                options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                positional.add(w);
            }
        }
    }

    String option(String name, String defaultValue) {
        List<String> v = options.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v.get(v.size() - 1) == null) {
            throw new Main.UsageException("--" + name + " needs a value");
        }
        return v.get(v.size() - 1);
    }

    List<String> options(String name) {
        List<String> v = options.getOrDefault(name, List.of());
        for (String s : v) {
            if (s == null) {
                throw new Main.UsageException("--" + name + " needs a value");
            }
        }
        return v;
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    /**
     * Declares options that take no value: a word that followed one of them ({@code --overwrite IMAGE})
     * goes back to the positional words, where it was typed.
     */
    void flags(String... names) {
        java.util.Set<String> flagNames = java.util.Set.of(names);
        for (int k = valued.size() - 1; k >= 0; k--) {
            Object[] v = valued.get(k);
            String name = (String) v[0];
            if (flagNames.contains(name)) {
                List<String> values = options.get(name);
                int occurrence = (Integer) v[2];
                positional.add((Integer) v[1], values.get(occurrence));
                values.set(occurrence, null);
            }
        }
    }

    /** The words after a bare {@code --}, untouched. */
    List<String> afterDashDash() {
        return afterDashDash;
    }

    List<String> positional() {
        return positional;
    }

    String positional(int i, String what) {
        if (i >= positional.size()) {
            throw new Main.UsageException("missing " + what);
        }
        return positional.get(i);
    }

    /** Fails on options the command does not know (a typo must not be silently ignored). */
    void allowOnly(String... names) {
        java.util.Set<String> allowed = java.util.Set.of(names);
        for (String name : options.keySet()) {
            if (!allowed.contains(name)) {
                throw new Main.UsageException("unknown option --" + name);
            }
        }
    }
}
