package org.neuralj.fiji;

import ij.IJ;
import ij.ImageJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.measure.ResultsTable;
import ij.plugin.frame.Recorder;
import ij.text.TextWindow;
import java.awt.Button;
import java.awt.Checkbox;
import java.awt.Choice;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dialog;
import java.awt.EventQueue;
import java.awt.Label;
import java.awt.TextArea;
import java.awt.TextField;
import java.awt.Window;
import java.awt.event.ActionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A user at the ImageJ 1 desktop with the macro recorder on, run as the main class of a child JVM under
 * xvfb-run by {@link RecordReplayTest}: ImageJ's main window (menus from the plugins folder's
 * plugins.config), Plugins › Macros › Record... open, and for each scenario of the plan: open the
 * image, choose the menu command (as a click does: {@link IJ#doCommand}, on its own thread), wait for
 * its dialog, type the values into the dialog's fields, press OK, wait for the command to finish, and
 * keep what the Recorder wrote and what the command produced.
 *
 * <p>Only {@code ij.*} and AWT are used here: NeuralJ's classes come from the plugin jar, loaded by
 * ImageJ's plugin class loader exactly as in Fiji.
 *
 * <p>Plan file, one scenario a line, tab-separated: {@code NAME  MENU-COMMAND  IMAGE-or-"-"  FIELDS  RESULT}
 * where FIELDS is {@code key=value} pairs separated by {@code ;} (the key is the field's macro key; a
 * {@code \n} in a value is a newline; "-" for a command without a dialog) and RESULT is {@code image}, {@code table:TITLE}, {@code log} or
 * {@code model:FILE} (nothing kept: the command wrote the file). Writes {@code NAME.recorded} (the Recorder's new text) and {@code NAME-interactive.tif},
 * {@code .csv} or {@code .log} into the output folder.
 */
public final class RecordingSession {
    private static final long TIMEOUT_MS = 120_000;

    private RecordingSession() {
    }

    public static void main(String[] args) throws Exception {
        Path plan = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        new ImageJ();
        Recorder recorder = new Recorder();   // what Plugins › Macros › Record... opens
        waitFor("the Recorder to start", () -> Recorder.record && Recorder.getInstance() != null);
        for (String line : Files.readAllLines(plan, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            scenario(recorder, f[0], f[1], f[2], f[3], f[4], out);
        }
        System.out.println("RecordingSession: done");
        System.exit(0);
    }

    private static void scenario(Recorder recorder, String name, String command, String image, String fieldSpec,
            String result, Path out) throws Exception {
        closeEverything();
        IJ.log("\\Clear");
        if (!image.equals("-")) {
            ImagePlus imp = IJ.openImage(image);
            if (imp == null) {
                throw new IllegalStateException(name + ": cannot open " + image);
            }
            imp.show();
            waitFor(name + ": the image window", () -> WindowManager.getCurrentImage() == imp);
        }
        int before = recorder.getText().length();
        long t0 = System.nanoTime();
        IJ.doCommand(command);
        if (!fieldSpec.equals("-")) {
            fillAndPressOk(name, fields(fieldSpec));
        }
        // the Recorder writes the run(...) line when the command returns, so its line means "finished"
        String key = "run(\"" + command + "\"";
        waitFor(name + ": the Recorder line " + key, () -> recorder.getText().substring(before).contains(key));
        String recorded = recorder.getText().substring(before);
        Files.writeString(out.resolve(name + ".recorded"), recorded);
        if (result.equals("image")) {
            ImagePlus r = WindowManager.getCurrentImage();
            if (r == null) {
                throw new IllegalStateException(name + ": no image after " + command);
            }
            IJ.saveAsTiff(r, out.resolve(name + "-interactive.tif").toString());
        } else if (result.startsWith("table:")) {
            String title = result.substring("table:".length());
            waitFor(name + ": the table " + title, () -> ResultsTable.getResultsTable(title) != null);
            ResultsTable.getResultsTable(title).save(out.resolve(name + "-interactive.csv").toString());
        } else if (result.equals("log")) {
            Files.writeString(out.resolve(name + "-interactive.log"), IJ.getLog());
        }
        System.out.printf(Locale.ROOT, "RecordingSession: %s in %.1f s recorded %s%n", name, (System.nanoTime() - t0) / 1e9, recorded.trim());
    }

    /** Waits for the command's dialog, sets the fields named by their macro keys, and presses OK. */
    private static void fillAndPressOk(String name, Map<String, String> values) throws Exception {
        GenericDialog[] found = new GenericDialog[1];
        waitFor(name + ": its dialog", () -> {
            for (Window w : Window.getWindows()) {
                if (w instanceof GenericDialog gd && gd.isShowing()) {
                    found[0] = gd;
                    return true;
                }
            }
            return false;
        });
        GenericDialog gd = found[0];
        EventQueue.invokeAndWait(() -> {
            Map<String, Component> fields = fieldsByKey(gd);
            for (Map.Entry<String, String> v : values.entrySet()) {
                Component c = fields.get(v.getKey());
                if (c == null) {
                    throw new IllegalStateException(name + ": dialog '" + gd.getTitle() + "' has no field '" + v.getKey()
                            + "'; it has " + fields.keySet());
                }
                String value = v.getValue();
                if (c instanceof TextField t) {
                    t.setText(value);
                } else if (c instanceof TextArea t) {
                    t.setText(value);
                } else if (c instanceof Choice ch) {
                    ch.select(value);
                    if (!ch.getSelectedItem().equals(value)) {
                        throw new IllegalStateException(name + ": choice '" + v.getKey() + "' has no item '" + value + "'");
                    }
                } else if (c instanceof Checkbox cb) {
                    cb.setState(Boolean.parseBoolean(value));
                }
            }
        });
        Button ok = gd.getButtons()[0];
        if (!ok.getLabel().trim().equals("OK")) {
            throw new IllegalStateException(name + ": the dialog's first button is '" + ok.getLabel() + "', not OK");
        }
        // what a click on the button delivers to its listeners (the dialog)
        EventQueue.invokeLater(() -> ok.dispatchEvent(new ActionEvent(ok, ActionEvent.ACTION_PERFORMED, ok.getActionCommand())));
    }

    /**
     * The dialog's input components under their macro keys: a field's key is the first word of the label
     * before it (lower case, no colon), a checkbox's that of its own label, the first text area's "text1".
     */
    private static Map<String, Component> fieldsByKey(Container dialog) {
        Map<String, Component> byKey = new LinkedHashMap<>();
        String[] label = {null};
        walk(dialog, c -> {
            if (c instanceof Label l) {
                if (label[0] == null || !l.getText().isBlank()) {
                    label[0] = l.getText();
                }
            } else if (c instanceof Checkbox cb) {
                byKey.putIfAbsent(key(cb.getLabel()), cb);
            } else if (c instanceof TextArea t) {
                byKey.putIfAbsent("text" + (byKey.keySet().stream().filter(k -> k.startsWith("text")).count() + 1), t);
            } else if ((c instanceof TextField || c instanceof Choice) && label[0] != null) {
                byKey.putIfAbsent(key(label[0]), c);
                label[0] = null;
            }
        });
        return byKey;
    }

    private static void walk(Container parent, java.util.function.Consumer<Component> visit) {
        for (Component c : parent.getComponents()) {
            visit.accept(c);
            if (c instanceof Container inner && !(c instanceof Choice)) {
                walk(inner, visit);
            }
        }
    }

    private static String key(String label) {
        String k = label.trim();
        int sp = k.indexOf(' ');
        k = sp > 0 ? k.substring(0, sp) : k;
        return (k.endsWith(":") ? k.substring(0, k.length() - 1) : k).toLowerCase(Locale.ROOT);
    }

    private static Map<String, String> fields(String spec) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : spec.split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).replace("\\n", "\n"));
            }
        }
        return m;
    }

    /** Closes images, tables and any message left open, so each scenario starts alike. */
    private static void closeEverything() throws Exception {
        for (int id : WindowManager.getIDList() == null ? new int[0] : WindowManager.getIDList()) {
            ImagePlus imp = WindowManager.getImage(id);
            if (imp != null) {
                imp.changes = false;
                imp.close();
            }
        }
        List<Window> others = new ArrayList<>();
        for (Window w : Window.getWindows()) {
            if (w.isShowing() && (w instanceof TextWindow tw && !tw.getTitle().equals("Log") || w instanceof Dialog)) {
                others.add(w);
            }
        }
        for (Window w : others) {
            if (w instanceof Dialog d && !(w instanceof GenericDialog)) {
                throw new IllegalStateException("a message is open: '" + d.getTitle() + "': " + text(d));
            }
            EventQueue.invokeAndWait(w::dispose);
        }
    }

    private static String text(Container c) {
        StringBuilder s = new StringBuilder();
        walk(c, x -> {
            if (x instanceof Label l) {
                s.append(l.getText()).append(' ');
            } else if (x instanceof TextArea t) {
                s.append(t.getText()).append(' ');
            }
        });
        return s.toString().trim();
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls until the condition holds; fails naming what it waited for, and any message ImageJ showed. */
    private static void waitFor(String what, Condition c) throws Exception {
        long end = System.currentTimeMillis() + TIMEOUT_MS;
        while (!c.holds()) {
            for (Window w : Window.getWindows()) {
                if (w.isShowing() && w instanceof Dialog d && !(w instanceof GenericDialog) && d.isModal()) {
                    throw new IllegalStateException("while waiting for " + what + ", ImageJ showed '" + d.getTitle() + "': " + text(d));
                }
            }
            if (System.currentTimeMillis() > end) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
