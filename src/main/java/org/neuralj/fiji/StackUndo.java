package org.neuralj.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.Undo;

/**
 * Edit › Undo after a filter ran on a whole stack. ImageJ 1.54's own stack filters keep nothing to undo
 * ({@code PlugInFilterRunner} calls {@code Undo.reset()}), and its {@code Undo.TRANSFORM}, which restores a
 * whole stack with {@code imp.setStack(copy)}, only takes a copy of single images and composite images, of at
 * most 200 MB, and none while a macro runs (unless Edit › Options › Misc supports macro undo). This class
 * keeps a copy of the stack before the run under the same rules plus free memory, and hands it to
 * {@code Undo.setup(TRANSFORM, ...)} through a stand-in image that carries the filtered image's ID and gives
 * the copy as its duplicate, so Edit › Undo (and {@code run("Undo")}) puts the stack back.
 */
final class StackUndo extends ImagePlus {
    /** ImageJ's limit for an undo copy of an image (Undo.setup(TRANSFORM)). */
    static final double MAX_BYTES = 200 * 1024 * 1024;

    private final int id;
    private final ImageStack before;
    private final double bytes;

    private StackUndo(ImagePlus imp, ImageStack before) {
        super(imp.getTitle(), before.getProcessor(1));
        this.id = imp.getID();
        this.before = before;
        this.bytes = imp.getSizeInBytes();
    }

    /**
     * A copy of imp's stack when ImageJ would keep it for Undo and it fits comfortably in memory (at most
     * {@link #MAX_BYTES} and half the free heap); null otherwise (the run is then not undoable, as ImageJ's).
     */
    static ImageStack copyIfAffordable(ImagePlus imp) {
        double bytes = imp.getSizeInBytes();
        long free = IJ.maxMemory() - IJ.currentMemory();
        boolean macro = IJ.macroRunning() && !Prefs.supportMacroUndo;
        if (Prefs.disableUndo || macro || imp.getStack().isVirtual() || bytes >= MAX_BYTES || bytes > free / 2.0) {
            return null;
        }
        return imp.getStack().duplicate();
    }

    /** Makes {@code before} what Edit › Undo restores into imp. */
    static void register(ImagePlus imp, ImageStack before) {
        Undo.setup(Undo.TRANSFORM, new StackUndo(imp, before));
    }

    @Override
    public int getID() {
        return id;                      // Undo remembers this ID and restores into the image that has it
    }

    @Override
    public int getStackSize() {
        return 1;                       // passes TRANSFORM's single-image rule; the size rule below still holds
    }

    @Override
    public double getSizeInBytes() {
        return bytes;
    }

    @Override
    public ImagePlus duplicate() {
        return new ImagePlus(getTitle(), before);   // what Undo keeps: the stack before the run
    }
}
