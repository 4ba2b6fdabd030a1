package org.neuralj.backend;

/** How {@link Backend#pad} fills the border (ONNX Pad modes). */
public enum PadMode {
    /** a constant value */
    CONSTANT,
    /** mirror without repeating the edge: ... 2 1 | 0 1 2 ... */
    REFLECT,
    /** repeat the edge value: 0 0 | 0 1 2 (ImageJ's behaviour) */
    EDGE,
    /** periodic: ... n-2 n-1 | 0 1 2 ... */
    WRAP;

    /**
     * The index inside [0, n) that position {@code i} of an axis of length n reads in this mode (i itself
     * when inside), or -1 for CONSTANT outside. The one place every border mapping comes from: padding,
     * filters, tiling and augmentation.
     */
    public int sourceIndex(int i, int n) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (this) {
            case CONSTANT:
                return -1;
            case EDGE:
                return i < 0 ? 0 : n - 1;
            case WRAP:
                return Math.floorMod(i, n);
            case REFLECT: {
                if (n == 1) {
                    return 0;
                }
                int period = 2 * (n - 1);          // ... 2 1 | 0 1 2 .. n-1 | n-2 ...
                int m = Math.floorMod(i, period);
                return m < n ? m : period - m;
            }
            default:
                throw new IllegalArgumentException("pad mode " + this);
        }
    }
}
