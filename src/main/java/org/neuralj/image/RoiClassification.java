package org.neuralj.image;

import ij.ImagePlus;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.measure.ResultsTable;
import ij.process.ImageProcessor;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleConsumer;
import org.neuralj.backend.NeuralJException;

/**
 * What Classify classifies, one item each: the current plane, every slice of a stack, every ROI, or
 * every object of a label image. An item's pixels are the bounding box of its ROI on its plane (as the
 * classifier's training crops are boxes around a cell), resized by the {@link Classifier}. Results go to
 * a table (a row per item: class and per-class probabilities) and, optionally, to a coloured overlay.
 */
public final class RoiClassification {
    private RoiClassification() {
    }

    /** What to classify: the current plane, each slice, each ROI, each object of a label image. */
    public enum Each {
        IMAGE, SLICE, ROI, OBJECT;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Each parse(String s) {
            for (Each e : values()) {
                if (e.key().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return e;
                }
            }
            throw new IllegalArgumentException("classify each '" + s + "'? Use image, slice, roi or object");
        }

        public static String[] keys() {
            return java.util.Arrays.stream(values()).map(Each::key).toArray(String[]::new);
        }
    }

    /** One thing to classify: a name for the table, its plane (1-based), its ROI (null: the whole plane). */
    public record Item(String name, int slice, Roi roi) {
    }

    /** An item and the classifier's answer. */
    public record Classified(Item item, Classifier.Prediction prediction) {
    }

    /** Overlay elements NeuralJ drew carry this property, so they are never read back as ROIs to classify. */
    public static final String MARK = "neuralj";

    /** The current plane of {@code imp}. */
    public static List<Item> image(ImagePlus imp) {
        return List.of(new Item(imp.getTitle(), imp.getCurrentSlice(), null));
    }

    /** Every plane of {@code imp}, named by slice label or number. */
    public static List<Item> slices(ImagePlus imp) {
        List<Item> items = new ArrayList<>();
        for (int z = 1; z <= imp.getStackSize(); z++) {
            String label = imp.getStack().getShortSliceLabel(z);
            items.add(new Item(label == null || label.isEmpty() ? Integer.toString(z) : label, z, null));
        }
        return items;
    }

    /**
     * One item per ROI, on the ROI's plane (its position; the current plane when it has none), named
     * by the ROI's name (else its index from 1). Line and point selections are refused by name.
     */
    public static List<Item> rois(ImagePlus imp, Roi[] rois) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < rois.length; i++) {
            Roi r = rois[i];
            String name = r.getName() != null ? r.getName() : Integer.toString(i + 1);
            if (!r.isArea()) {
                throw new NeuralJException("ROI " + name + " is a " + r.getTypeAsString() + " selection: classifying needs an area");
            }
            Item item = new Item(name, sliceOf(imp, r), r);
            if (bounds(imp, item).isEmpty()) {
                throw new NeuralJException("ROI " + name + " lies outside " + imp.getTitle());
            }
            items.add(item);
        }
        return items;
    }

    /** One item per object of {@code labels} (same size and planes as {@code imp}, else an error naming both), named by label. */
    public static List<Item> objects(ImagePlus labels, ImagePlus imp) {
        List<ObjectMeasurements.Obj> objs = ObjectMeasurements.of(labels, imp);
        List<Roi> rois = ObjectMeasurements.rois(labels, objs);
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < objs.size(); i++) {
            items.add(new Item(rois.get(i).getName(), objs.get(i).slice(), rois.get(i)));
        }
        return items;
    }

    /** The stack index a ROI belongs to: its position (hyperstacks: channel, slice, frame), else the current one. */
    static int sliceOf(ImagePlus imp, Roi r) {
        if (imp.getStackSize() == 1) {
            return 1;
        }
        if (r.hasHyperStackPosition()) {
            return imp.getStackIndex(Math.max(1, r.getCPosition()), Math.max(1, r.getZPosition()), Math.max(1, r.getTPosition()));
        }
        return r.getPosition() > 0 ? r.getPosition() : imp.getCurrentSlice();
    }

    /** Where an item's pixels are: its ROI's bounding box clipped to the image, or the whole plane. */
    public static Rectangle bounds(ImagePlus imp, Item item) {
        Rectangle all = new Rectangle(imp.getWidth(), imp.getHeight());
        return item.roi() == null ? all : item.roi().getBounds().intersection(all);
    }

    /** The pixels of an item: {@link #bounds} on its plane. */
    public static ImageProcessor crop(ImagePlus imp, Item item) {
        ImageProcessor ip = imp.getStack().getProcessor(item.slice());
        if (item.roi() == null) {
            return ip;
        }
        ip.setRoi(bounds(imp, item));
        return ip.crop();
    }

    /** Classifies every item; {@code progress} (may be null) gets the fraction done. */
    public static List<Classified> classify(Classifier classifier, ImagePlus imp, List<Item> items, DoubleConsumer progress) {
        List<Classified> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            out.add(new Classified(items.get(i), classifier.classify(crop(imp, items.get(i)))));
            if (progress != null) {
                progress.accept((i + 1) / (double) items.size());
            }
        }
        return out;
    }

    /**
     * Appends a row per item: {@code image}, {@code slice}, {@code roi} (ROI or object items: the
     * name), {@code class} and {@code p_CLASS} for each class.
     */
    public static void addTo(ResultsTable rt, ImagePlus imp, List<String> classes, List<Classified> results) {
        for (Classified c : results) {
            rt.incrementCounter();
            rt.addValue("image", imp.getTitle());
            rt.addValue("slice", c.item().slice());
            if (c.item().roi() != null) {
                rt.addValue("roi", c.item().name());
            }
            rt.addValue("class", c.prediction().label());
            float[] p = c.prediction().probabilities();
            for (int k = 0; k < p.length; k++) {
                rt.addValue("p_" + classes.get(k), p[k]);
            }
        }
    }

    /** The colour of class {@code k} in overlays (a fixed palette, repeating after 8 classes). */
    public static Color colour(int k) {
        Color[] palette = {new Color(230, 25, 75), new Color(60, 180, 75), new Color(0, 130, 200), new Color(245, 130, 48),
                new Color(145, 30, 180), new Color(70, 240, 240), new Color(240, 50, 230), new Color(210, 245, 60)};
        return palette[Math.floorMod(k, palette.length)];
    }

    /**
     * {@code imp}'s overlay without earlier NeuralJ marks, plus for each item its ROI outlined (and, with
     * {@code fill}, filled translucent) in its class colour, and the class name and probability written
     * at its top left (whole-plane items: the text only). Every element sits on its item's plane in a stack.
     */
    public static Overlay overlay(ImagePlus imp, List<Classified> results, boolean fill) {
        Overlay overlay = withoutMarks(imp.getOverlay());
        boolean stack = imp.getStackSize() > 1;
        int fontSize = Math.max(10, Math.min(imp.getWidth(), imp.getHeight()) / 40);
        for (Classified c : results) {
            Color colour = colour(c.prediction().index());
            Roi shape = c.item().roi();
            Rectangle at = shape != null ? shape.getBounds() : new Rectangle(0, 0, imp.getWidth(), imp.getHeight());
            List<Roi> marks = new ArrayList<>();
            if (shape != null) {
                if (fill) {
                    Roi filled = (Roi) shape.clone();
                    filled.setFillColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 60));
                    marks.add(filled);
                }
                Roi outline = (Roi) shape.clone();
                outline.setStrokeColor(colour);
                outline.setStrokeWidth(2);
                marks.add(outline);
            }
            float p = c.prediction().probabilities()[c.prediction().index()];
            TextRoi text = new TextRoi(at.x + 2, at.y + 1, String.format(Locale.ROOT, "%s %.2f", c.prediction().label(), p),
                    new Font("SansSerif", Font.BOLD, fontSize));
            text.setStrokeColor(colour);
            marks.add(text);
            for (Roi m : marks) {
                m.setName(c.item().name());
                m.setProperty(MARK, "class");
                if (stack) {
                    ObjectMeasurements.place(m, imp, c.item().slice());
                }
                overlay.add(m);
            }
        }
        return overlay;
    }

    /** A copy of {@code overlay} (may be null) without the elements NeuralJ drew. */
    public static Overlay withoutMarks(Overlay overlay) {
        Overlay out = new Overlay();
        if (overlay != null) {
            for (Roi r : overlay.toArray()) {
                if (r.getProperty(MARK) == null) {
                    out.add(r);
                }
            }
        }
        return out;
    }
}
