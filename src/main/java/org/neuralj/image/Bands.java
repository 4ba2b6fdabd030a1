package org.neuralj.image;

import java.util.ArrayList;
import java.util.List;

/**
 * Horizontal bands of rows for planes too large to label, measure or resize whole (a 16000 x 16000 plane
 * needs a gigabyte for every int or float map of it). Each band owns its core rows and is read with a
 * margin of rows above and below: an object (a nucleus, a cell) shorter than the margin lies wholly in
 * the window of the band that owns its top row, so work done per object band by band gives the
 * whole plane's result. A plane of at most {@link #wholePlanePixels()} pixels is one band: exactly the
 * whole-plane result.
 */
public final class Bands {
    /** Rows read above and below each band when labelling and measuring: objects taller than this may be cut. */
    public static final int OBJECT_MARGIN = 256;
    /** Planes up to this many pixels (8192 x 8192) are one band. */
    static final long WHOLE_PLANE_PIXELS = 1L << 26;
    /** Pixels a band's window aims at when a plane is split (32 M: a few hundred MB of maps per band). */
    static final long BAND_PIXELS = 1L << 25;

    private Bands() {
    }

    /**
     * One band: rows {@code y0..y1-1} are read (its window), rows {@code coreY0..coreY1-1} are its own
     * (the cores of a plane's bands tile it without overlap).
     */
    public record Band(int y0, int y1, int coreY0, int coreY1) {
        public int rows() {
            return y1 - y0;
        }

        /** Whether window row {@code r} (0 = y0) is one of the band's own rows. */
        public boolean owns(int r) {
            return r + y0 >= coreY0 && r + y0 < coreY1;
        }

        /** Whether window row {@code r} is a cut edge of the window (a row of the plane lies beyond it). */
        public boolean cutEdge(int r, int height) {
            return r == 0 && y0 > 0 || r == rows() - 1 && y1 < height;
        }
    }

    /**
     * The largest plane kept whole, in pixels ({@value #WHOLE_PLANE_PIXELS}; tests lower it with the
     * system property {@code neuralj.wholePlanePixels} to split small planes).
     */
    static long wholePlanePixels() {
        return Long.getLong("neuralj.wholePlanePixels", WHOLE_PLANE_PIXELS);
    }

    /** Bands for per-object work on a {@code width x height} plane (margin {@link #OBJECT_MARGIN}). */
    public static List<Band> forObjects(int width, int height) {
        return of(width, height, 1, OBJECT_MARGIN);
    }

    /**
     * Bands of a {@code width x height} plane that will be resized by {@code scale} (1: not), read with
     * {@code margin} rows of context: one band while neither the plane nor its resized copy has more than
     * {@link #wholePlanePixels()} pixels, else windows of about {@link #BAND_PIXELS} pixels (of the larger
     * of the two) and at least six margins high.
     */
    public static List<Band> of(int width, int height, double scale, int margin) {
        // the larger of the plane and its resized copy: shrinking with averaging reads the plane as 32-bit
        double pixelsPerRow = width * Math.max(1, scale * scale);
        long whole = wholePlanePixels();
        if (height * pixelsPerRow <= whole) {
            return List.of(new Band(0, height, 0, height));
        }
        // at least 6 margins high, so the rows read twice add at most half to the work
        int windowRows = (int) Math.max(6L * margin, Math.max(1, Math.min(BAND_PIXELS, whole) / pixelsPerRow));
        int core = Math.max(1, windowRows - 2 * margin);
        List<Band> bands = new ArrayList<>();
        for (int c0 = 0; c0 < height; c0 += core) {
            int c1 = Math.min(height, c0 + core);
            bands.add(new Band(Math.max(0, c0 - margin), Math.min(height, c1 + margin), c0, c1));
        }
        return bands;
    }

    /** Rows {@code band.y0()..y1()-1} of a row-major plane {@code width} wide (the plane itself when the band is all of it). */
    public static byte[] rows(byte[] plane, int width, Band band) {
        int from = band.y0() * width;
        int to = band.y1() * width;
        return from == 0 && to == plane.length ? plane : java.util.Arrays.copyOfRange(plane, from, to);
    }
}
