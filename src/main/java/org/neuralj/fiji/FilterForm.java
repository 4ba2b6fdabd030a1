package org.neuralj.fiji;

import ij.Macro;
import ij.gui.GenericDialog;
import java.awt.GraphicsEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fields of a filter dialog, declared once and then either shown as a {@link GenericDialog} (which
 * also reads macro options and records) or, in a headless JVM where no dialog can exist, read straight
 * from the macro options with ImageJ's key rule (the label's first word, lower case; text areas are
 * {@code text1}). Values are read back in the order the fields were added.
 */
final class FilterForm {
    private enum Kind { NUMBER, CHECKBOX, CHOICE, STRING, TEXT }

    private record Field(Kind kind, String label, Object dflt, String[] items, String units) {
    }

    private final String title;
    private final List<Field> fields = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();
    private int next;
    private boolean invalid;

    FilterForm(String title) {
        this.title = title;
    }

    void number(String label, double dflt, String units) {
        fields.add(new Field(Kind.NUMBER, label, dflt, null, units));
    }

    void checkbox(String label, boolean dflt) {
        fields.add(new Field(Kind.CHECKBOX, label, dflt, null, null));
    }

    void choice(String label, String[] items, String dflt) {
        fields.add(new Field(Kind.CHOICE, label, dflt, items, null));
    }

    void string(String label, String dflt) {
        fields.add(new Field(Kind.STRING, label, dflt, null, null));
    }

    void text(String dflt) {
        fields.add(new Field(Kind.TEXT, "text1", dflt, null, null));
    }

    /** Shows the dialog (or reads the macro options headless); false when cancelled. */
    boolean show() {
        String options = Macro.getOptions();
        if (GraphicsEnvironment.isHeadless()) {
            if (options == null) {
                throw new IllegalStateException(title + ": no display and no macro options to read the parameters from");
            }
            for (Field f : fields) {
                String key = key(f.label());
                String v = Macro.getValue(options, key, null);
                switch (f.kind()) {
                    case NUMBER -> {
                        double d = (Double) f.dflt();
                        if (v != null) {
                            try {
                                d = Double.parseDouble(v);
                            } catch (NumberFormatException e) {
                                invalid = true;
                            }
                        }
                        values.add(d);
                    }
                    case CHECKBOX -> values.add((" " + options + " ").contains(" " + key + " ")
                            || (v != null && !v.equalsIgnoreCase("false")));
                    default -> values.add(v != null ? v : f.dflt());
                }
            }
            return true;
        }
        GenericDialog gd = new GenericDialog(title);
        for (Field f : fields) {
            switch (f.kind()) {
                case NUMBER -> gd.addNumericField(f.label(), (Double) f.dflt(), 2, 6, f.units());
                case CHECKBOX -> gd.addCheckbox(f.label(), (Boolean) f.dflt());
                case CHOICE -> gd.addChoice(f.label(), f.items(), (String) f.dflt());
                case STRING -> gd.addStringField(f.label(), (String) f.dflt(), 30);
                case TEXT -> gd.addTextAreas((String) f.dflt(), null, 8, 30);
                default -> throw new IllegalStateException();
            }
        }
        gd.showDialog();
        if (gd.wasCanceled()) {
            return false;
        }
        for (Field f : fields) {
            switch (f.kind()) {
                case NUMBER -> values.add(gd.getNextNumber());
                case CHECKBOX -> values.add(gd.getNextBoolean());
                case CHOICE -> values.add(gd.getNextChoice());
                case STRING -> values.add(gd.getNextString());
                case TEXT -> values.add(gd.getNextText());
                default -> throw new IllegalStateException();
            }
        }
        invalid = gd.invalidNumber();
        return true;
    }

    double nextNumber() {
        return (Double) values.get(next++);
    }

    boolean nextBoolean() {
        return (Boolean) values.get(next++);
    }

    String nextString() {
        return String.valueOf(values.get(next++));
    }

    boolean invalidNumber() {
        return invalid;
    }

    /** ImageJ's macro key of a label: its first word, lower case, without a trailing colon. */
    static String key(String label) {
        String k = label.trim();
        int sp = k.indexOf(' ');
        if (sp > 0) {
            k = k.substring(0, sp);
        }
        if (k.endsWith(":")) {
            k = k.substring(0, k.length() - 1);
        }
        return k.toLowerCase(Locale.ROOT);
    }
}
