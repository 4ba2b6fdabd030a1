package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import java.awt.Color;
import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;

/**
 * A blood-smear-like test scene: the three shipped synthetic crops (a platelet, a red and a white cell,
 * drawn by SampleData) pasted side by side on a plasma-coloured background, with a rectangle ROI on each
 * crop (named by the class its file states: platelet, rbc, wbc), a label image with each crop's box as
 * one object, and the class each crop truly is.
 */
record CellScene(ImagePlus image, List<Roi> rois, ImagePlus labels, List<String> classes) {
    static final String[][] CELLS = {
        {"synthetic-platelet-1.png", "Platelets"},
        {"synthetic-rbc-1.png", "RBC"},
        {"synthetic-wbc-1.png", "WBC"},
    };

    static CellScene make() {
        ColorProcessor canvas = new ColorProcessor(440, 220);
        canvas.setColor(new Color(232, 214, 220));
        canvas.fill();
        ShortProcessor labels = new ShortProcessor(440, 220);
        List<Roi> rois = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        int x = 20;
        for (int i = 0; i < CELLS.length; i++) {
            ImagePlus crop = IJ.openImage("sample-data/images/blood-cells/" + CELLS[i][0]);
            ImageProcessor ip = crop.getProcessor();
            Rectangle r = new Rectangle(x, 200 - ip.getHeight(), ip.getWidth(), ip.getHeight());
            canvas.insert(ip, r.x, r.y);
            labels.setValue(i + 1);
            labels.setRoi(r);
            labels.fill();
            Roi roi = new Roi(r);
            roi.setName(CELLS[i][0].split("-")[1]);
            rois.add(roi);
            classes.add(CELLS[i][1]);
            x += ip.getWidth() + 30;
        }
        labels.resetRoi();
        return new CellScene(new ImagePlus("smear", canvas), rois, new ImagePlus("smear-labels", labels), classes);
    }
}
