package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.Undo;
import ij.measure.Calibration;
import ij.plugin.filter.ExtendedPlugInFilter;
import ij.plugin.filter.PlugInFilterRunner;
import ij.process.ImageProcessor;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.filter.EdgeMode;
import org.neuralj.filter.Filter;
import org.neuralj.filter.FilterException;
import org.neuralj.filter.GaussianKernels;
import org.neuralj.filter.Kernel2D;
import org.neuralj.image.FilterImages;

/**
 * Plugins › NeuralJ › Filters: every classic filter as one ImageJ 1 {@link ExtendedPlugInFilter}; the
 * argument from plugins.config picks it (gaussian, mean, unsharp, sharpen, edges, sobel-x, sobel-y,
 * laplacian, log, dog, emboss, custom). Every bit depth (RGB per channel), the current slice or the whole
 * stack ("stack", sent to the backend in batches), a rectangular or masked selection limits the output,
 * Edit › Undo for one slice and for whole stacks ({@link StackUndo}), edge mode, backend (remembered; macro
 * key {@code backend}). Recordable, e.g.
 * {@code run("NeuralJ Gaussian Blur", "sigma=2 edge=edge backend=auto stack");}
 */
public class FilterPlugin implements ExtendedPlugInFilter {
    private static final String PREFS = "neuralj.filter.";
    /** Backends stay open for the session: an OpenCL context and its compiled kernels are costly to make. */
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();

    private String kind;
    private ImagePlus imp;
    private Filter filter;
    private EdgeMode edge = EdgeMode.EDGE;
    private String backendSpec = "auto";
    private boolean wholeStack;
    /** The stack as it was before a whole-stack run, for Edit › Undo (null: none kept). */
    private ImageStack stackBefore;
    private boolean done;

    @Override
    public int setup(String arg, ImagePlus imp) {
        if ("final".equals(arg)) {                  // after a whole-stack run (FINAL_PROCESSING)
            if (stackBefore != null) {
                StackUndo.register(imp, stackBefore);
                stackBefore = null;
            }
            return DONE;
        }
        this.kind = arg == null || arg.isEmpty() ? "gaussian" : arg;
        this.imp = imp;
        if (imp == null) {
            IJ.noImage();
            return DONE;
        }
        return DOES_ALL;
    }

    @Override
    public int showDialog(ImagePlus imp, String command, PlugInFilterRunner pfr) {
        String title = command == null || command.isEmpty() ? "NeuralJ filter" : command;
        FilterForm gd = new FilterForm(title);
        Calibration cal = imp.getCalibration();
        boolean calibrated = cal != null && cal.scaled() && cal.pixelWidth > 0 && cal.pixelHeight > 0;
        String p = PREFS + kind + ".";
        switch (kind) {
            case "gaussian", "log" -> gd.number("Sigma", Prefs.get(p + "sigma", 2.0),
                    calibrated ? "(pixels, or " + cal.getUnits() + " if scaled)" : "pixels");
            case "unsharp" -> {
                gd.number("Sigma", Prefs.get(p + "sigma", 1.0), "pixels");
                gd.number("Weight", Prefs.get(p + "weight", 0.6), "(0 - 0.99)");
            }
            case "dog" -> {
                gd.number("Sigma1", Prefs.get(p + "sigma1", 1.0), "pixels");
                gd.number("Sigma2", Prefs.get(p + "sigma2", 2.0), "pixels");
            }
            case "mean" -> gd.number("Radius", Prefs.get(p + "radius", 2), "pixels (square of 2r+1)");
            case "laplacian" -> gd.checkbox("Eight neighbours", Prefs.get(p + "eight", false));
            case "custom" -> {
                gd.text(Prefs.get(p + "text", "-1 -1 -1\n-1 8 -1\n-1 -1 -1"));
                gd.string("Kernel file (optional)", "");
                gd.checkbox("Normalize kernel", Prefs.get(p + "normalize", true));
            }
            case "sharpen", "edges", "sobel-x", "sobel-y", "emboss" -> {
                // no parameters
            }
            default -> {
                IJ.error("NeuralJ filter", "unknown filter '" + kind + "' in plugins.config");
                return DONE;
            }
        }
        boolean sigmaKind = kind.equals("gaussian") || kind.equals("log") || kind.equals("unsharp") || kind.equals("dog");
        if (sigmaKind && calibrated) {
            gd.checkbox("Scaled units (" + cal.getUnits() + ")", Prefs.get(p + "scaled", false));
        }
        gd.choice("Edge", EdgeMode.words(), Prefs.get(PREFS + "edge", "edge"));
        List<String> available = Backends.available();
        String[] choices = new String[available.size() + 1];
        choices[0] = "auto";
        for (int i = 0; i < available.size(); i++) {
            choices[i + 1] = available.get(i);
        }
        gd.choice("Backend", choices, Prefs.get(PREFS + "backend", "auto"));
        int slices = imp.getStackSize();
        if (slices > 1) {
            gd.checkbox("Stack (all " + slices + " slices)", false);
        }
        try {
            if (!gd.show()) {
                return DONE;
            }
        } catch (IllegalStateException e) {
            IJ.error(title, e.getMessage());
            return DONE;
        }
        try {
            double sx = 1, sy = 1;   // pixels per sigma unit along x and y
            String kernelText = null;
            String kernelFile = null;
            boolean eight = false, normalize = false;
            double a = Double.NaN, b = Double.NaN;
            int radius = 0;
            switch (kind) {
                case "gaussian", "log" -> a = gd.nextNumber();
                case "unsharp", "dog" -> {
                    a = gd.nextNumber();
                    b = gd.nextNumber();
                }
                case "mean" -> radius = (int) Math.round(gd.nextNumber());
                case "laplacian" -> eight = gd.nextBoolean();
                case "custom" -> {
                    kernelText = gd.nextString();
                    kernelFile = gd.nextString().trim();
                    normalize = gd.nextBoolean();
                }
                default -> {
                }
            }
            boolean scaled = sigmaKind && calibrated && gd.nextBoolean();
            if (scaled) {
                sx = 1 / cal.pixelWidth;
                sy = 1 / cal.pixelHeight;
            }
            edge = EdgeMode.parse(gd.nextString());
            backendSpec = gd.nextString();
            wholeStack = slices > 1 && gd.nextBoolean();
            if (gd.invalidNumber()) {
                throw new FilterException("a number field holds something that is not a number");
            }
            double accuracy = GaussianKernels.accuracyFor(imp.getBitDepth());
            filter = switch (kind) {
                case "gaussian" -> new Filter.Gaussian(a * sx, a * sy, accuracy);
                case "log" -> new Filter.LaplacianOfGaussian(a * sx);
                case "unsharp" -> new Filter.UnsharpMask(a * sx, b);
                case "dog" -> new Filter.DifferenceOfGaussians(a * sx, b * sx, accuracy);
                case "mean" -> new Filter.Mean(radius);
                case "laplacian" -> Filter.Fixed.laplacian(eight);
                case "sharpen" -> Filter.Fixed.sharpen();
                case "emboss" -> Filter.Fixed.emboss();
                case "sobel-x" -> Filter.Fixed.sobelX();
                case "sobel-y" -> Filter.Fixed.sobelY();
                case "edges" -> new Filter.FindEdges();
                case "custom" -> new Filter.Custom(kernelFile.isEmpty() ? Kernel2D.parse(kernelText)
                        : Kernel2D.read(Path.of(kernelFile)), normalize);
                default -> throw new FilterException("unknown filter " + kind);
            };
            if (!IJ.isMacro()) {
                switch (kind) {
                    case "gaussian", "log" -> Prefs.set(p + "sigma", a);
                    case "unsharp" -> {
                        Prefs.set(p + "sigma", a);
                        Prefs.set(p + "weight", b);
                    }
                    case "dog" -> {
                        Prefs.set(p + "sigma1", a);
                        Prefs.set(p + "sigma2", b);
                    }
                    case "mean" -> Prefs.set(p + "radius", radius);
                    case "laplacian" -> Prefs.set(p + "eight", eight);
                    case "custom" -> {
                        Prefs.set(p + "text", kernelText);
                        Prefs.set(p + "normalize", normalize);
                    }
                    default -> {
                    }
                }
                if (sigmaKind && calibrated) {
                    Prefs.set(p + "scaled", scaled);
                }
                Prefs.set(PREFS + "edge", edge.word());
                Prefs.set(PREFS + "backend", backendSpec);
            }
        } catch (FilterException | IllegalArgumentException | IOException e) {
            IJ.error(title, e.getMessage());
            return DONE;
        }
        // One slice: ImageJ's runner snapshots it for Undo. A whole stack is filtered in one call (batched
        // uploads); its undo copy is made by run() and handed to ImageJ's Undo in setup("final").
        return wholeStack ? DOES_ALL | NO_UNDO | FINAL_PROCESSING : DOES_ALL;
    }

    @Override
    public void setNPasses(int nPasses) {
        // progress is reported per batch by run()
    }

    @Override
    public void run(ImageProcessor ip) {
        if (done || filter == null) {
            return;
        }
        done = true;
        String title = "NeuralJ " + kind;
        try {
            Backend backend = backend(backendSpec);
            List<ImageProcessor> ips = FilterImages.processors(imp, wholeStack);
            if (wholeStack) {
                Undo.reset();
                stackBefore = StackUndo.copyIfAffordable(imp);
            }
            Rectangle roi = ip.getRoi();
            ImageProcessor mask = ip.getMask();
            long t0 = System.nanoTime();
            FilterImages.filter(backend, filter, edge, ips, roi, mask, (planes, total) -> {
                IJ.showProgress(planes, total);
                if (IJ.escapePressed()) {
                    throw new FilterException("cancelled (Esc)");
                }
            });
            IJ.showStatus(String.format(Locale.ROOT, "NeuralJ %s: %d slice(s) on %s in %.0f ms", filter.name(), ips.size(),
                    backend.name(), (System.nanoTime() - t0) / 1e6));
        } catch (RuntimeException e) {
            IJ.error(title, e.getMessage() != null ? e.getMessage() : e.toString());
        } finally {
            IJ.showProgress(1.0);
        }
    }

    /** The shared backend for a spec ("auto", "cpu", "opencl:N"). */
    static Backend backend(String spec) {
        return BACKENDS.computeIfAbsent(spec == null ? "auto" : spec, Backends::select);
    }
}
