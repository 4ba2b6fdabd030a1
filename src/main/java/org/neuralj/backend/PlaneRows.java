package org.neuralj.backend;

/**
 * Equally sized planes of host pixels in their own type (an image stack: 8 or 16-bit, one channel of RGB,
 * float), read and written a row at a time as floats; how pixels convert (clamping, rounding) is the
 * implementation's. {@link Backend#filterRows} runs a filter on them with the conversions inside its first
 * and last pass, so no float copy of the planes is made. Rows may be written in place: after write(p, y),
 * read(p, y) may give the new values, and a backend keeps what it still needs. Different rows, and rows of
 * different planes, may be read and written from several threads at once.
 */
public interface PlaneRows {
    int planes();

    int height();

    int width();

    /** Row y of plane p as {@link #width} floats into dst from offset on. */
    void read(int p, int y, float[] dst, int offset);

    /** The filtered row y of plane p, {@link #width} floats from src at offset. */
    void write(int p, int y, float[] src, int offset);

    /**
     * Plane p's own float array when reading and writing it are plain copies of the whole array (a 32-bit
     * image filtered whole), so a backend that works on whole planes can use it in place; else null.
     */
    default float[] floats(int p) {
        return null;
    }
}
