package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;
import java.awt.GraphicsEnvironment;
import java.util.List;
import org.neuralj.image.RoiClassification;

/**
 * Where the Fiji commands read ROIs from and put them: the ROI Manager as ImageJ's own commands use
 * it (the open one, or a running batch-mode macro's hidden one), falling back to the image's overlay
 * and selection, so nothing needs a window.
 */
final class Rois {
    private Rois() {
    }

    /**
     * The ROI Manager to add to: the open one, a batch-mode macro's hidden one (what its
     * {@code roiManager(...)} calls see), else a new window when there is a display; null headless.
     */
    static RoiManager manager() {
        if (GraphicsEnvironment.isHeadless()) {
            return null; // even the hidden one is an AWT frame
        }
        RoiManager rm = RoiManager.getInstance();
        return rm != null ? rm : RoiManager.getRoiManager();
    }

    /**
     * The ROIs to work on for {@code imp}: the ROI Manager's when it holds any, else the overlay's
     * (without NeuralJ's own marks), else the selection; {@code what} names them in the log line.
     */
    static Roi[] of(ImagePlus imp, String what) {
        RoiManager rm = GraphicsEnvironment.isHeadless() ? null : RoiManager.getInstance();
        if (rm != null && rm.getCount() > 0) {
            IJ.log(what + ": the " + rm.getCount() + " ROI(s) of the ROI Manager");
            return rm.getRoisAsArray();
        }
        Overlay overlay = RoiClassification.withoutMarks(imp.getOverlay());
        if (overlay.size() > 0) {
            IJ.log(what + ": the " + overlay.size() + " ROI(s) of the overlay of " + imp.getTitle());
            return overlay.toArray();
        }
        if (imp.getRoi() != null) {
            return new Roi[] {imp.getRoi()};
        }
        return new Roi[0];
    }

    /**
     * Adds {@code rois} to the ROI Manager, or headless, where there is none, to {@code fallback}'s
     * overlay (said in the log). Returns where they went.
     */
    static String add(List<Roi> rois, ImagePlus fallback) {
        RoiManager rm = manager();
        if (rm != null) {
            for (Roi r : rois) {
                rm.addRoi(r);
            }
            return "the ROI Manager";
        }
        Overlay overlay = fallback.getOverlay() != null ? fallback.getOverlay() : new Overlay();
        rois.forEach(overlay::add);
        fallback.setOverlay(overlay);
        return "the overlay of " + fallback.getTitle() + " (no ROI Manager without a display)";
    }
}
