package org.neuralj.image;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Plot;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.awt.Color;
import java.awt.Font;
import java.util.List;
import java.util.Map;
import org.neuralj.viz.ConfusionMatrix;
import org.neuralj.viz.FeatureMaps;
import org.neuralj.viz.Heatmap;
import org.neuralj.viz.Montage;
import org.neuralj.viz.TrainingLog;

/**
 * The ImageJ pictures of {@code org.neuralj.viz} results (the bridge: the viz engine has no ImageJ
 * types): labelled feature-map stacks, montages, heat maps laid over the input with a colour bar,
 * training plots and confusion matrices. Used by the Fiji commands and the CLI alike.
 */
public final class VizImages {
    private VizImages() {
    }

    /** One 32-bit slice per channel, labelled {@code layer/channel}. */
    public static ImagePlus stack(FeatureMaps fm, String title, ImagePlus like) {
        ImageStack stack = new ImageStack(fm.width(), fm.height());
        for (int c = 0; c < fm.channels(); c++) {
            stack.addSlice(fm.label(c), new FloatProcessor(fm.width(), fm.height(), fm.channel(c)));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        if (like != null && like.getWidth() == fm.width() && like.getHeight() == fm.height()) {
            imp.setCalibration(like.getCalibration().copy());
        }
        imp.resetDisplayRange();
        return imp;
    }

    /** A grey montage as 32-bit, an RGB one as RGB. */
    public static ImagePlus montage(Montage m, String title) {
        int n = m.width() * m.height();
        if (m.channels() == 3) {
            ColorProcessor cp = new ColorProcessor(m.width(), m.height());
            for (int i = 0; i < n; i++) {
                cp.set(i, rgb(m.data()[i], m.data()[n + i], m.data()[2 * n + i]));
            }
            return new ImagePlus(title, cp);
        }
        float[] p = new float[n];
        System.arraycopy(m.data(), 0, p, 0, n);
        ImagePlus imp = new ImagePlus(title, new FloatProcessor(m.width(), m.height(), p));
        imp.setDisplayRange(0, 1);
        return imp;
    }

    /** The map as a 32-bit image. */
    public static ImagePlus map(Heatmap h, String title) {
        ImagePlus imp = new ImagePlus(title, new FloatProcessor(h.width(), h.height(), h.values().clone()));
        imp.resetDisplayRange();
        return imp;
    }

    /**
     * The input plane in grey with the heat map (resized to it) blended on top in a jet colour map
     * ({@code alpha} of the heat), and a colour bar on the right labelled with the map's min and max.
     */
    public static ImagePlus overlay(ImageProcessor input, Heatmap heat, String title, double alpha) {
        int w = input.getWidth(), h = input.getHeight();
        Heatmap hm = heat.resized(w, h);
        float lo = hm.min(), hi = hm.max();
        Heatmap n = hm.normalized();
        FloatProcessor fp = input.convertToFloatProcessor();
        fp.resetMinAndMax();
        double gmin = fp.getMin(), gmax = fp.getMax();
        int bar = Math.max(12, w / 16), gap = 4, labels = 60;
        int bw = w + gap + bar + labels;
        int bh = Math.max(h, 80);
        ColorProcessor out = new ColorProcessor(bw, bh);
        out.setColor(Color.WHITE);
        out.fill();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double g = gmax > gmin ? (fp.getf(x, y) - gmin) / (gmax - gmin) : 0;
                int c = jet(n.at(x, y));
                double a = alpha * Math.min(1, 0.25 + n.at(x, y));
                int r = (int) ((1 - a) * 255 * g + a * ((c >> 16) & 255));
                int gg = (int) ((1 - a) * 255 * g + a * ((c >> 8) & 255));
                int b = (int) ((1 - a) * 255 * g + a * (c & 255));
                out.set(x, y, (r << 16) | (gg << 8) | b);
            }
        }
        for (int y = 0; y < bh; y++) {                       // colour bar: max at the top
            int c = jet(1f - y / (float) (bh - 1));
            for (int x = w + gap; x < w + gap + bar; x++) {
                out.set(x, y, c);
            }
        }
        out.setColor(Color.BLACK);
        out.setFont(new Font("SansSerif", Font.PLAIN, 10));
        out.setAntialiasedText(false);
        out.drawString(fmt(hi), w + gap + bar + 2, 12);
        out.drawString(fmt(lo), w + gap + bar + 2, bh - 2);
        ImagePlus imp = new ImagePlus(title, out);
        imp.setProperty("Info", "heat map min " + lo + ", max " + hi);
        return imp;
    }

    private static String fmt(float v) {
        return Math.abs(v) >= 100 || v == 0 ? String.format(java.util.Locale.ROOT, "%.0f", v)
                : String.format(java.util.Locale.ROOT, "%.3g", v);
    }

    /** A map (values in [0, 1]) as jet colours, pixel for pixel. */
    public static ColorProcessor jetImage(Heatmap h) {
        ColorProcessor cp = new ColorProcessor(h.width(), h.height());
        for (int i = 0; i < h.values().length; i++) {
            cp.set(i, jet(h.values()[i]));
        }
        return cp;
    }

    /** The jet colour map at t in [0, 1] (blue, cyan, yellow, red). */
    public static int jet(float t) {
        float v = Math.max(0f, Math.min(1f, t));
        float r = clamp(1.5f - Math.abs(4 * v - 3)), g = clamp(1.5f - Math.abs(4 * v - 2)), b = clamp(1.5f - Math.abs(4 * v - 1));
        return rgb(r, g, b);
    }

    private static float clamp(float v) {
        return Math.max(0f, Math.min(1f, v));
    }

    private static int rgb(float r, float g, float b) {
        return ((int) (clamp(r) * 255 + 0.5f) << 16) | ((int) (clamp(g) * 255 + 0.5f) << 8) | (int) (clamp(b) * 255 + 0.5f);
    }

    /** Every metric of the log against the epoch, one line each (loss-like and accuracy-like alike). */
    public static Plot plot(TrainingLog log, String title) {
        Plot plot = new Plot(title, "epoch", "value");
        Color[] colours = {Color.BLUE, Color.RED, new Color(0, 140, 0), Color.MAGENTA, Color.ORANGE, Color.CYAN.darker(), Color.BLACK};
        double[] x = log.epochs().stream().mapToDouble(Integer::doubleValue).toArray();
        List<String> names = log.metricNames();
        StringBuilder legend = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            plot.setColor(colours[i % colours.length]);
            plot.setLineWidth(2);
            plot.add(x.length > 1 ? "line" : "circle", x, log.series(names.get(i)));
            legend.append(i == 0 ? "" : "\n").append(names.get(i));
        }
        if (!names.isEmpty()) {
            plot.setLegend(legend.toString(), Plot.AUTO_POSITION);
        }
        plot.setLimitsToFit(false);
        return plot;
    }

    /** The plot as an image (for PNG). */
    public static ImagePlus plotImage(TrainingLog log, String title) {
        return plot(log, title).getImagePlus();
    }

    /**
     * Cells shaded by the row-normalised rate (white 0, dark blue 1) with the counts written in;
     * rows are the true classes, columns the predicted ones.
     */
    public static ImagePlus confusion(ConfusionMatrix m, String title) {
        int k = m.classes().size(), cell = 48, margin = 80;
        ColorProcessor cp = new ColorProcessor(margin + k * cell + 4, margin + k * cell + 4);
        cp.setColor(Color.WHITE);
        cp.fill();
        cp.setFont(new Font("SansSerif", Font.PLAIN, 11));
        cp.setAntialiasedText(false);
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                double r = m.rate(t, p);
                int v = (int) (255 * (1 - r));
                cp.setColor(new Color(v, v, 128 + v / 2));
                cp.fillRect(margin + p * cell, margin + t * cell, cell - 1, cell - 1);
                cp.setColor(r > 0.5 ? Color.WHITE : Color.BLACK);
                cp.drawString(Long.toString(m.counts()[t][p]), margin + p * cell + 6, margin + t * cell + cell / 2 + 6);
            }
            cp.setColor(Color.BLACK);
            cp.drawString(shorten(m.classes().get(t)), 2, margin + t * cell + cell / 2 + 6);
            cp.drawString(shorten(m.classes().get(t)), margin + t * cell + 2, margin - 4);
        }
        cp.drawString("truth \\ predicted", 2, 14);
        cp.drawString(String.format(java.util.Locale.ROOT, "accuracy %.3f", m.accuracy()), 2, 30);
        return new ImagePlus(title, cp);
    }

    private static String shorten(String s) {
        return s.length() > 8 ? s.substring(0, 8) : s;
    }

    /** Metrics for a quick one-line status. */
    public static String describe(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ')
                .append(String.format(java.util.Locale.ROOT, "%.4g", v)));
        return sb.toString();
    }
}
