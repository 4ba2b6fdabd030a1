package org.neuralj.image;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.measure.ResultsTable;
import ij.plugin.filter.ThresholdToSelection;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;
import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.NeuralJException;

/**
 * The objects of an instance label image (0 = background, 1..N = objects, 16- or 32-bit, plane by
 * plane for stacks): per object its pixel count, bounding box, centroid and mean intensity of the
 * input image, as rows of a Results table (calibrated in the input's units) and as ROIs outlining
 * exactly its pixels, named by label. Behind Segment's "Add to ROI Manager" / "Display results" and
 * Classify's "each object".
 */
public final class ObjectMeasurements {
    private ObjectMeasurements() {
    }

    /** Above this label value a plane is refused (the per-label tables would not fit). */
    static final int MAX_LABEL = 1 << 24;

    /**
     * One object in pixel units.
     *
     * @param slice     the plane (1-based stack index)
     * @param label     its value in the label image
     * @param area      pixel count
     * @param bounds    bounding box of its pixels
     * @param xCentroid mean x of its pixel centres (x + 0.5), in pixels
     * @param yCentroid mean y of its pixel centres, in pixels
     * @param mean      mean of the input's values over its pixels (calibrated values; RGB as ImageJ's
     *                  luminance), NaN without an input
     */
    public record Obj(int slice, int label, long area, Rectangle bounds, double xCentroid, double yCentroid, double mean) {
    }

    /** Every object of every plane of {@code labels}; {@code input} (same size and planes, or null) gives the means. */
    public static List<Obj> of(ImagePlus labels, ImagePlus input) {
        if (labels.getBitDepth() == 24) {
            throw new NeuralJException(labels.getTitle() + " is an RGB image, not a label image (labels are 8-, 16- or 32-bit)");
        }
        if (input != null && (input.getWidth() != labels.getWidth() || input.getHeight() != labels.getHeight()
                || input.getStackSize() != labels.getStackSize())) {
            throw new NeuralJException("label image " + labels.getTitle() + " (" + labels.getWidth() + "x" + labels.getHeight() + "x"
                    + labels.getStackSize() + ") does not match " + input.getTitle() + " (" + input.getWidth() + "x" + input.getHeight()
                    + "x" + input.getStackSize() + ")");
        }
        List<Obj> all = new ArrayList<>();
        for (int z = 1; z <= labels.getStackSize(); z++) {
            ImageProcessor values = null;
            if (input != null) {
                values = input.getStack().getProcessor(z);
                values.setCalibrationTable(input.getCalibration().getCTable()); // the stack's processors have none
            }
            all.addAll(ofPlane(labels.getStack().getProcessor(z), values, z, labels.getTitle()));
        }
        return all;
    }

    /** The objects of one label plane, in label order. */
    public static List<Obj> ofPlane(ImageProcessor labels, ImageProcessor values, int slice, String title) {
        int w = labels.getWidth(), h = labels.getHeight();
        int max = 0;
        for (int i = 0; i < w * h; i++) {
            max = Math.max(max, (int) labels.getf(i));
        }
        if (max >= MAX_LABEL) {
            throw new NeuralJException(title + ": label " + max + " in plane " + slice + " is too large (at most " + (MAX_LABEL - 1) + ")");
        }
        long[] area = new long[max + 1];
        double[] sx = new double[max + 1], sy = new double[max + 1], sv = new double[max + 1];
        int[] x0 = new int[max + 1], y0 = new int[max + 1], x1 = new int[max + 1], y1 = new int[max + 1];
        java.util.Arrays.fill(x0, Integer.MAX_VALUE);
        java.util.Arrays.fill(y0, Integer.MAX_VALUE);
        java.util.Arrays.fill(x1, -1);
        java.util.Arrays.fill(y1, -1);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int l = (int) labels.getf(y * w + x);
                if (l <= 0) {
                    continue;
                }
                area[l]++;
                sx[l] += x;
                sy[l] += y;
                if (values != null) {
                    sv[l] += values.getPixelValue(x, y);
                }
                x0[l] = Math.min(x0[l], x);
                y0[l] = Math.min(y0[l], y);
                x1[l] = Math.max(x1[l], x);
                y1[l] = Math.max(y1[l], y);
            }
        }
        List<Obj> objs = new ArrayList<>();
        for (int l = 1; l <= max; l++) {
            if (area[l] > 0) {
                objs.add(new Obj(slice, l, area[l], new Rectangle(x0[l], y0[l], x1[l] - x0[l] + 1, y1[l] - y0[l] + 1),
                        sx[l] / area[l] + 0.5, sy[l] / area[l] + 0.5, values == null ? Double.NaN : sv[l] / area[l]));
            }
        }
        return objs;
    }

    /**
     * The outline of exactly the object's pixels (holes and 8-connected pieces included: a composite
     * ROI then), traced inside its bounding box so the cost is its size, not the image's.
     */
    public static Roi roi(ImageProcessor labels, Obj o) {
        Rectangle b = o.bounds();
        ByteProcessor mask = new ByteProcessor(b.width, b.height);
        for (int y = 0; y < b.height; y++) {
            for (int x = 0; x < b.width; x++) {
                if ((int) labels.getf(b.x + x, b.y + y) == o.label()) {
                    mask.set(x, y, 255);
                }
            }
        }
        mask.setThreshold(255, 255, ImageProcessor.NO_LUT_UPDATE);
        Roi roi = ThresholdToSelection.run(new ImagePlus("", mask));
        roi.setLocation(b.x + roi.getXBase(), b.y + roi.getYBase());
        return roi;
    }

    /**
     * One ROI per object, named by its label (stacks: {@code SLICE-LABEL}) and placed on its plane
     * (channel, slice, frame for hyperstacks), in the order of {@code objs}.
     */
    public static List<Roi> rois(ImagePlus labels, List<Obj> objs) {
        List<Roi> rois = new ArrayList<>(objs.size());
        boolean stack = labels.getStackSize() > 1;
        ImageProcessor plane = null;
        int planeIndex = 0;
        for (Obj o : objs) {
            if (o.slice() != planeIndex) {
                plane = labels.getStack().getProcessor(o.slice());
                planeIndex = o.slice();
            }
            Roi roi = roi(plane, o);
            roi.setName(name(o, stack));
            if (stack) {
                place(roi, labels, o.slice());
            }
            rois.add(roi);
        }
        return rois;
    }

    /** The ROI name of an object: its label, or {@code SLICE-LABEL} in a stack. */
    public static String name(Obj o, boolean stack) {
        return stack ? o.slice() + "-" + o.label() : Integer.toString(o.label());
    }

    /** Puts {@code roi} on stack plane {@code slice} (as channel, slice, frame of a hyperstack). */
    public static void place(Roi roi, ImagePlus imp, int slice) {
        if (imp.isHyperStack()) {
            int[] czt = imp.convertIndexToPosition(slice);
            roi.setPosition(czt[0], czt[1], czt[2]);
        } else {
            roi.setPosition(slice);
        }
    }

    /**
     * Appends a row per object: {@code Image}, {@code Slice} (stacks), {@code Label}, {@code Area},
     * {@code X}, {@code Y} (centroid) in the calibration's units (ImageJ's Measure convention: X, Y from
     * the calibration's origin, Y inverted where the calibration says so) and {@code Mean}.
     */
    public static void addTo(ResultsTable rt, ImagePlus input, List<Obj> objs) {
        Calibration cal = input.getCalibration();
        boolean stack = input.getStackSize() > 1;
        for (Obj o : objs) {
            rt.incrementCounter();
            rt.addValue("Image", input.getTitle());
            if (stack) {
                rt.addValue("Slice", o.slice());
            }
            rt.addValue("Label", o.label());
            rt.addValue("Area", o.area() * cal.pixelWidth * cal.pixelHeight);
            rt.addValue("X", cal.getX(o.xCentroid()));
            rt.addValue("Y", cal.getY(o.yCentroid(), input.getHeight()));
            rt.addValue("Mean", o.mean());
        }
    }
}
