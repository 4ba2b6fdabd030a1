package org.neuralj.backend.cpu;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.PlaneOp;
import org.neuralj.backend.PlaneRows;

/**
 * The image-filter ops of {@link CpuBackend} ({@link PlaneOp}: separable filtering with {@link LineFilter}s,
 * dense 2-D kernels, the Sobel gradient magnitude), streamed over {@link PlaneRows}: host pixels converted as
 * the first pass reads a row and as the last pass writes one, or the planes of a float tensor.
 *
 * <p>A plane is split into bands of rows, one task each, over all cores. A task makes the rows it reads on
 * demand into small per-task caches ({@link RowCache}: the rows of one column window stay in L2) and writes
 * each output row as soon as it is complete, so nothing plane-sized is written in between: a separable
 * filter row-filters input rows into a cache and the column pass combines them (output rows in groups of
 * {@link #GROUP_ROWS}, each group in strips of {@link #STRIP} columns, so input strips are loaded into L1
 * once per group); a pyramid step along y is a cascade of caches (row-filtered rows, decimated rows,
 * blurred decimated rows). Every inner loop is {@link DepthwiseRows#accumulate} (vectorised, a block of
 * outputs in registers across all taps) or {@link SobelRows}. Reads beyond a line follow the edge mode,
 * by index mapping, so the taps never branch. A band's first rows cost the column window's rows again (a
 * few per cent). Planes go in groups of up to {@link #GROUP_PIXELS} pixels, all bands of a group in one
 * parallel step: a stack of 1024x1024 planes becomes one task per plane, 16 planes a step (measured 30 %
 * faster for 16-bit Find Edges than bands of one plane at a time, which pay a parallel step per plane).
 */
final class CpuFilters {
    private static final DepthwiseRows ROWS = DepthwiseRows.best();
    private static final SobelRows SOBEL = SobelRows.best();
    /** Planes are processed in groups of about this many pixels (nothing plane-sized is held, only pixels are touched). */
    static final int GROUP_PIXELS = 1 << 24;
    /** Output rows per group and floats per strip of the column pass (a group's strip of input rows stays in L1). */
    private static final int GROUP_ROWS = 8, STRIP = 256;
    private static final ThreadLocal<Lines> LINES = ThreadLocal.withInitial(Lines::new);

    private CpuFilters() {
    }

    /** Which form of the inner loops runs (for logs and benchmark tables). */
    static String describe() {
        return ROWS.describe() + (SOBEL instanceof SobelRows.Plain ? ", plain Java Sobel" : ", Vector API Sobel");
    }

    /** {@link PlaneRows} over float planes: rows of x read, rows of y written (x and y distinct). */
    static PlaneRows floats(float[] x, float[] y, int planes, int h, int w) {
        return new FloatRows(x, y, planes, h, w);
    }

    /** Float planes x [planes][h][w] read, y written; the Sobel reads x and writes y directly (no row copies). */
    private record FloatRows(float[] x, float[] y, int planes, int h, int w) implements PlaneRows {
        @Override
        public int height() {
            return h;
        }

        @Override
        public int width() {
            return w;
        }

        @Override
        public void read(int p, int yy, float[] dst, int offset) {
            System.arraycopy(x, (p * h + yy) * w, dst, offset, w);
        }

        @Override
        public void write(int p, int yy, float[] src, int offset) {
            System.arraycopy(src, offset, y, (p * h + yy) * w, w);
        }

    }

    /** Runs op on every plane of rows; planesDone (may be null) is told the planes written so far after each group. */
    static void stream(CpuThreads threads, PlaneRows rows, PlaneOp op, PadMode edge, IntConsumer planesDone) {
        int planes = rows.planes(), h = rows.height(), w = rows.width();
        if (planes == 0 || h == 0 || w == 0) {
            return;
        }
        Band band = band(op, h, w, edge);
        int group = Math.max(1, Math.min(planes, GROUP_PIXELS / (h * w)));
        int bands = Math.max(1, Math.min(band.maxBands(h), (threads.threads() * 4 + group - 1) / group));
        SavedRows[] saved = new SavedRows[group * bands];
        for (int p0 = 0; p0 < planes; p0 += group) {
            int first = p0, np = Math.min(group, planes - p0);
            // rows may be written in place: every band first keeps the rows of other bands it will read
            threads.forEach(np * bands, task -> {
                int b = task % bands;
                saved[task] = new SavedRows(rows, first + task / bands, (int) ((long) h * b / bands),
                        (int) ((long) h * (b + 1) / bands), band.halo(), edge);
            });
            threads.forEach(np * bands, task -> {
                SavedRows sr = saved[task];
                band.run(sr, sr.p, sr.y0, sr.y1, LINES.get());
            });
            if (planesDone != null) {
                planesDone.accept(first + np);
            }
        }
    }

    /**
     * The rows of a band's plane as the band reads them when rows are written in place: rows of other bands
     * within {@code halo} of the band (as the edge mode maps them) and, for WRAP, the {@code halo} rows at
     * each end of the plane are copied before any band writes; the band's own rows are read before it writes
     * them (an output row reads every row it needs first, and a row is read again only while it is still in
     * the band's row cache, which holds a column window).
     */
    private static final class SavedRows implements PlaneRows {
        private final PlaneRows rows;
        final int p, y0, y1;
        /**
         * Where plane p's pixels are as floats when they can be read and written directly (a float tensor, or
         * a whole 32-bit image filtered in place): source, target (the same array in place) and the offset
         * of the plane in them; null when rows must go through read and write.
         */
        final float[] source, target;
        final int base;
        private final java.util.Map<Integer, float[]> kept = new java.util.HashMap<>();

        SavedRows(PlaneRows rows, int p, int y0, int y1, int halo, PadMode edge) {
            this.rows = rows;
            this.p = p;
            this.y0 = y0;
            this.y1 = y1;
            int h = rows.height();
            if (rows instanceof FloatRows f) {
                source = f.x();
                target = f.y();
                base = p * h * f.w();
            } else {
                source = target = rows.floats(p);
                base = 0;
            }
            for (int d = 1; d <= halo; d++) {
                keep(edge.sourceIndex(y0 - d, h), false);
                keep(edge.sourceIndex(y1 - 1 + d, h), false);
            }
            if (edge == PadMode.WRAP) {
                for (int d = 0; d < Math.min(halo, h); d++) {
                    keep(d, true);
                    keep(h - 1 - d, true);
                }
            }
        }

        private void keep(int row, boolean evenOwn) {
            if (row >= 0 && (evenOwn || row < y0 || row >= y1) && !kept.containsKey(row)) {
                float[] r = new float[rows.width()];
                rows.read(p, row, r, 0);
                kept.put(row, r);
            }
        }

        /** Row {@code row} as it was before any band wrote, when it was kept (a row of another band), else null. */
        float[] kept(int row) {
            return kept.get(row);
        }

        @Override
        public int planes() {
            return rows.planes();
        }

        @Override
        public int height() {
            return rows.height();
        }

        @Override
        public int width() {
            return rows.width();
        }

        @Override
        public void read(int plane, int y, float[] dst, int offset) {
            float[] r = kept.get(y);
            if (r != null) {
                System.arraycopy(r, 0, dst, offset, r.length);
            } else {
                rows.read(plane, y, dst, offset);
            }
        }

        @Override
        public void write(int plane, int y, float[] src, int offset) {
            rows.write(plane, y, src, offset);
        }
    }

    /** The work of one task: output rows [y0, y1) of plane p. */
    private interface Band {
        void run(PlaneRows rows, int p, int y0, int y1, Lines s);

        /** At most this many bands for a plane of h rows (a band should outweigh its window's extra rows). */
        int maxBands(int h);

        /** Rows beyond the band (on each side, before the edge mode maps them) that its output rows may read. */
        int halo();
    }

    private static Band band(PlaneOp op, int h, int w, PadMode edge) {
        if (op instanceof PlaneOp.Separable sep) {
            LineFilter fx = sep.alongX(), fy = sep.alongY();
            if (fy == null) {
                return rowsOnly(fx, w, edge);
            }
            return fy.resamples() ? pyramidColumns(fx, fy, h, w, edge) : columns(fx, fy, h, w, edge);
        }
        if (op instanceof PlaneOp.Dense d) {
            return dense(d.kernel(), d.kh(), d.kw(), h, w, edge);
        }
        return sobel(h, w, edge);
    }

    // ---- separable ----------------------------------------------------------------------------

    /** Row i of the plane, row-filtered with plan (or as read when plan is null), into buf at off. */
    private static void rowFiltered(PlaneRows rows, int p, int row, RowPlan plan, PadMode edge, float[] buf, int off, Lines s) {
        if (plan == null) {
            rows.read(p, row, buf, off);
            return;
        }
        float[] in = s.in(rows.width());
        rows.read(p, row, in, 0);
        plan.run(in, 0, buf, off, edge, s);
    }

    /** Only a row filter: each row read, filtered, written. */
    private static Band rowsOnly(LineFilter fx, int w, PadMode edge) {
        RowPlan plan = fx == null ? null : new RowPlan(fx, w);
        return new Band() {
            @Override
            public void run(PlaneRows rows, int p, int y0, int y1, Lines s) {
                float[] out = s.out(w);
                for (int yy = y0; yy < y1; yy++) {
                    rowFiltered(rows, p, yy, plan, edge, out, 0, s);
                    rows.write(p, yy, out, 0);
                }
            }

            @Override
            public int maxBands(int h) {
                return h;
            }

            @Override
            public int halo() {
                return 0;
            }
        };
    }

    /** A plain column filter (after an optional row filter), in groups of output rows and strips of columns. */
    private static Band columns(LineFilter fx, LineFilter fy, int h, int w, PadMode edge) {
        RowPlan plan = fx == null ? null : new RowPlan(fx, w);
        float[] k = fy.kernel();
        int kRad = k.length / 2;
        return new Band() {
            @Override
            public void run(PlaneRows rows, int p, int y0, int y1, Lines s) {
                RowCache cache = new RowCache(GROUP_ROWS + k.length, w, (row, buf, off) -> rowFiltered(rows, p, row, plan, edge, buf, off, s));
                float[] out = s.out(GROUP_ROWS * w);
                int[][] offs = new int[GROUP_ROWS][k.length];
                float[][] wts = new float[GROUP_ROWS][k.length];
                int[] taps = new int[GROUP_ROWS];
                int[] shifted = new int[k.length];
                for (int g0 = y0; g0 < y1; g0 += GROUP_ROWS) {
                    int g = Math.min(GROUP_ROWS, y1 - g0);
                    for (int j = 0; j < g; j++) {           // every row of the group in the cache before any is read
                        taps[j] = 0;
                        for (int t = 0; t < k.length; t++) {
                            int row = edge.sourceIndex(g0 + j + t - kRad, h);
                            if (row >= 0 && k[t] != 0f) {
                                offs[j][taps[j]] = cache.get(row);
                                wts[j][taps[j]++] = k[t];
                            }
                        }
                    }
                    Arrays.fill(out, 0, g * w, 0f);
                    for (int x0 = 0; x0 < w; x0 += STRIP) {
                        int n = Math.min(STRIP, w - x0);
                        for (int j = 0; j < g; j++) {
                            for (int t = 0; t < taps[j]; t++) {
                                shifted[t] = offs[j][t] + x0;
                            }
                            if (taps[j] > 0) {
                                ROWS.accumulate(out, j * w + x0, cache.buffer(), shifted, wts[j], taps[j], n);
                            }
                        }
                    }
                    for (int j = 0; j < g; j++) {
                        rows.write(p, g0 + j, out, j * w);
                    }
                }
            }

            @Override
            public int maxBands(int h) {
                return Math.max(1, h / k.length);
            }

            @Override
            public int halo() {
                return kRad;
            }
        };
    }

    /**
     * A pyramid step along y (after an optional row filter): a cascade of caches, each row made on demand
     * from the level below (row-filtered rows, decimated rows, blurred decimated rows), from which each
     * output row is interpolated. A band's first output row makes the decimated window (about the kernel's
     * length) again, so bands are few and tall.
     */
    private static Band pyramidColumns(LineFilter fx, LineFilter fy, int h, int w, PadMode edge) {
        RowPlan plan = fx == null ? null : new RowPlan(fx, w);
        float[] k = fy.kernel(), d = fy.down(), u = fy.up();
        int r = fy.factor(), m = fy.margin(), n = fy.smallLength(h);
        int kRad = k.length / 2, dc = d.length / 2, uc = u.length / 2;
        return new Band() {
            @Override
            public void run(PlaneRows rows, int p, int y0, int y1, Lines s) {
                RowCache in = new RowCache(d.length + r + 1, w, (row, buf, off) -> rowFiltered(rows, p, row, plan, edge, buf, off, s));
                RowCache small = new RowCache(k.length + 2, w, new Combine(in, d.length,
                        (i, rws, wts) -> mappedTaps(d, (i - m) * r - dc, h, edge, rws, wts)));
                RowCache blurred = new RowCache(u.length / r + 3, w, new Combine(small, k.length,
                        (i, rws, wts) -> mappedTaps(k, i - kRad, n, edge, rws, wts)));
                Combine out = new Combine(blurred, u.length / r + 2, (yy, rws, wts) -> {
                    // decimated rows i with 0 <= yy - (i - m) * r + uc < u.length
                    int iLo = Math.max(0, Math.floorDiv(yy + uc - u.length + m * r, r) + 1);
                    int iHi = Math.min(n - 1, Math.floorDiv(yy + uc + m * r, r));
                    int taps = 0;
                    for (int i = iLo; i <= iHi; i++) {
                        float wt = u[yy - (i - m) * r + uc];
                        if (wt != 0f) {
                            rws[taps] = i;
                            wts[taps++] = wt;
                        }
                    }
                    return taps;
                });
                float[] row = s.out(w);
                for (int yy = y0; yy < y1; yy++) {
                    out.make(yy, row, 0);
                    rows.write(p, yy, row, 0);
                }
            }

            @Override
            public int maxBands(int h) {
                return Math.max(1, h / (4 * k.length * r));
            }

            @Override
            public int halo() {
                return (kRad + u.length / r + 2 + m) * r + d.length;
            }
        };
    }

    /** Makes a row as a weighted sum of rows of a cache (the taps say which), for a {@link RowCache} or the output. */
    private static final class Combine implements RowCache.Maker {
        private final RowCache from;
        private final RowTaps taps;
        private final int[] rows;
        private final float[] wts;

        Combine(RowCache from, int maxTaps, RowTaps taps) {
            this.from = from;
            this.taps = taps;
            this.rows = new int[maxTaps];
            this.wts = new float[maxTaps];
        }

        @Override
        public void make(int row, float[] buf, int offset) {
            int n = taps.taps(row, rows, wts);
            for (int t = 0; t < n; t++) {
                rows[t] = from.get(rows[t]);        // all fetched before any is read (the cache keeps them)
            }
            int w = from.rowLength();
            Arrays.fill(buf, offset, offset + w, 0f);
            if (n > 0) {
                ROWS.accumulate(buf, offset, from.buffer(), rows, wts, n, w);
            }
        }
    }

    /**
     * Precomputed taps of a {@link LineFilter} over rows of length w (shared by all threads, read only). A
     * pyramid step runs at full resolution where that keeps the loops unit-stride: the decimation is a
     * correlation with {@code down} of which every r-th output is kept, and the interpolation a correlation
     * of the zero-stuffed blurred line (blurred[i] at position p_i) with {@code up} reversed; the only
     * strided loops pick n = w / r values and put them back.
     */
    private static final class RowPlan {
        final int w, r, m, n;
        final Taps kernel;            // over an extended line: tap t reads ext[i + t]
        final int kRad;
        // pyramid only
        final int sLo, extLen;        // the input positions [sLo, sLo + extLen) the decimation reads
        final Taps down;              // over those: tap t reads ext[j + t] for full-resolution output j
        final int zo, zLen;           // the zero-stuffed line: blurred[i] at zo + (i - m) * r
        final Taps up;                // over it: tap reads z[y + offset]

        RowPlan(LineFilter f, int w) {
            this.w = w;
            float[] k = f.kernel();
            kRad = k.length / 2;
            kernel = Taps.of(k, t -> t);
            r = f.factor();
            m = f.margin();
            n = f.smallLength(w);
            if (r == 1) {
                sLo = extLen = zo = zLen = 0;
                down = null;
                up = null;
                return;
            }
            float[] d = f.down();
            sLo = -m * r - d.length / 2;                 // input position read by tap 0 of small pixel 0
            extLen = (n - 1) * r + d.length;
            down = Taps.of(d, t -> t);
            float[] u = f.up();
            int uc = u.length / 2, ul = u.length;
            // out[y] = sum_t u[t] * z[zo + y + uc - t]: tap t' = U - 1 - t reads z[y + zo + uc - (U - 1) + t']
            zo = Math.max(m * r, ul - 1 - uc);
            zLen = zo + Math.max(w + uc, (n - 1 - m) * r + 1);
            int base = zo + uc - (ul - 1);
            float[] rev = new float[ul];
            for (int t = 0; t < ul; t++) {
                rev[t] = u[ul - 1 - t];
            }
            up = Taps.of(rev, t -> base + t);
        }

        void run(float[] src, int so, float[] dst, int d0, PadMode edge, Lines s) {
            if (r == 1) {
                float[] ext = s.a(w + 2 * kRad);
                extend(src, so, w, kRad, edge, ext);
                Arrays.fill(dst, d0, d0 + w, 0f);
                kernel.accumulate(dst, d0, ext, w);
                return;
            }
            // the input over [sLo, sLo + extLen), then the decimation at full resolution
            float[] ext = s.a(extLen);
            int inLo = Math.max(0, -sLo), inHi = Math.min(extLen, w - sLo);      // ext indices inside the row
            for (int j = 0; j < Math.min(inLo, extLen); j++) {
                ext[j] = read(src, so, w, sLo + j, edge);
            }
            if (inHi > inLo) {
                System.arraycopy(src, so + sLo + inLo, ext, inLo, inHi - inLo);
            }
            for (int j = Math.max(inHi, inLo); j < extLen; j++) {
                ext[j] = read(src, so, w, sLo + j, edge);
            }
            int full = (n - 1) * r + 1;
            float[] dec = s.b(full);
            Arrays.fill(dec, 0, full, 0f);
            down.accumulate(dec, 0, ext, full);
            // every r-th value into the middle of the extended small line, then extend it by the edge mode
            float[] sm = s.c(n + 2 * kRad);
            for (int i = 0; i < n; i++) {
                sm[kRad + i] = dec[i * r];
            }
            for (int j = 0; j < kRad; j++) {
                sm[j] = read(sm, kRad, n, j - kRad, edge);
                sm[kRad + n + j] = read(sm, kRad, n, n + j, edge);
            }
            // blur, put the values into a zero line at their positions, interpolate at full resolution
            float[] bl = s.b(n);                         // (the decimation buffer is used up)
            Arrays.fill(bl, 0, n, 0f);
            kernel.accumulate(bl, 0, sm, n);
            float[] z = s.d(zLen);
            Arrays.fill(z, 0, zLen, 0f);
            for (int i = 0, at = zo - m * r; i < n; i++, at += r) {
                if (at >= 0 && at < zLen) {
                    z[at] = bl[i];
                }
            }
            Arrays.fill(dst, d0, d0 + w, 0f);
            up.accumulate(dst, d0, z, w);
        }
    }

    /** The rows (and weights) that output row o combines; returns how many. */
    private interface RowTaps {
        int taps(int o, int[] rows, float[] weights);
    }

    /** Taps of kernel k read at rows first + t of a line of n rows, mapped by the edge mode (CONSTANT's zeros and zero weights dropped). */
    private static int mappedTaps(float[] k, int first, int n, PadMode edge, int[] rows, float[] wts) {
        int taps = 0;
        for (int t = 0; t < k.length; t++) {
            int row = edge.sourceIndex(first + t, n);
            if (row >= 0 && k[t] != 0f) {
                rows[taps] = row;
                wts[taps++] = k[t];
            }
        }
        return taps;
    }


    // ---- dense 2-D kernels ----------------------------------------------------------------------

    /** Correlation with kernel [kh][kw]: each output row one accumulate over the kh extended input rows it reads. */
    private static Band dense(float[] k, int kh, int kw, int h, int w, PadMode edge) {
        int ry = kh / 2, rx = kw / 2;
        return new Band() {
            @Override
            public void run(PlaneRows rows, int p, int y0, int y1, Lines s) {
                RowCache cache = new RowCache(kh + 1, w + 2 * rx, (row, buf, off) -> {
                    rows.read(p, row, buf, off + rx);
                    extendInPlace(buf, off, w, rx, edge);
                });
                int[] offs = new int[kh * kw];
                float[] wts = new float[kh * kw];
                float[] out = s.out(w);
                for (int yy = y0; yy < y1; yy++) {
                    int taps = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int row = edge.sourceIndex(yy + ky - ry, h);
                        if (row < 0) {
                            continue;                                   // a zero row (CONSTANT)
                        }
                        int at = cache.get(row);
                        for (int kx = 0; kx < kw; kx++) {
                            float wt = k[ky * kw + kx];
                            if (wt != 0f) {
                                offs[taps] = at + kx;
                                wts[taps++] = wt;
                            }
                        }
                    }
                    Arrays.fill(out, 0, w, 0f);
                    if (taps > 0) {
                        ROWS.accumulate(out, 0, cache.buffer(), offs, wts, taps, w);
                    }
                    rows.write(p, yy, out, 0);
                }
            }

            @Override
            public int maxBands(int h) {
                return Math.max(1, h / kh);
            }

            @Override
            public int halo() {
                return ry;
            }
        };
    }

    /**
     * Rows of one plane made on demand (row-filtered, or extended by the edge mode) and kept, the least
     * recently used one replaced: an output row fetches all the rows it reads before reading them, so a
     * capacity above that count is enough whatever rows the edge mode maps to.
     */
    private static final class RowCache {
        interface Maker {
            void make(int row, float[] buf, int offset);
        }

        private final float[] buf;
        private final int[] tag;
        private final long[] used;
        private final int len;
        private final Maker maker;
        private long clock;

        RowCache(int capacity, int len, Maker maker) {
            this.buf = new float[capacity * len];
            this.tag = new int[capacity];
            this.used = new long[capacity];
            this.len = len;
            this.maker = maker;
            Arrays.fill(tag, -1);
        }

        float[] buffer() {
            return buf;
        }

        int rowLength() {
            return len;
        }

        /** The offset in {@link #buffer} of row {@code row}, made now if it is not kept. */
        int get(int row) {
            int slot = 0;
            for (int i = 0; i < tag.length; i++) {
                if (tag[i] == row) {
                    used[i] = ++clock;
                    return i * len;
                }
                if (used[i] < used[slot]) {
                    slot = i;
                }
            }
            maker.make(row, buf, slot * len);
            tag[slot] = row;
            used[slot] = ++clock;
            return slot * len;
        }
    }

    // ---- Sobel --------------------------------------------------------------------------------

    /**
     * The Sobel gradient magnitude, interior columns vectorised. Float planes are read and written where
     * they are ({@link #sobelDirect}); other rows go through a cache of the three rows an output row reads.
     */
    private static Band sobel(int h, int w, PadMode edge) {
        float[] zeros = new float[w];                   // the rows beyond the plane in CONSTANT mode
        return new Band() {
            @Override
            public void run(PlaneRows rows, int p, int y0, int y1, Lines s) {
                if (rows instanceof SavedRows sr && sr.source != null) {
                    sobelDirect(sr, y0, y1, h, w, edge, zeros, s);
                    return;
                }
                RowCache cache = new RowCache(4, w, (row, buf, off) -> rows.read(p, row, buf, off));
                float[] x = cache.buffer(), out = s.out(w);
                for (int yy = y0; yy < y1; yy++) {
                    int above = edge.sourceIndex(yy - 1, h), below = edge.sourceIndex(yy + 1, h);
                    int aOff = above < 0 ? 0 : cache.get(above), bOff = cache.get(yy), cOff = below < 0 ? 0 : cache.get(below);
                    sobelRow(out, 0, above < 0 ? zeros : x, aOff, x, bOff, below < 0 ? zeros : x, cOff, w, edge);
                    rows.write(p, yy, out, 0);
                }
            }

            @Override
            public int maxBands(int h) {
                return Math.max(1, h / 4);
            }

            @Override
            public int halo() {
                return 1;
            }
        };
    }

    /**
     * Output rows [y0, y1) of a float plane read from {@code sr.source} and written to {@code sr.target}.
     * In place (the same array) the row being written is first copied aside, as the next row reads it as
     * its row above; rows of other bands come from the copies {@link SavedRows} made before any band wrote.
     * Each pixel is read from memory once and written once, with no conversion passes.
     */
    private static void sobelDirect(SavedRows sr, int y0, int y1, int h, int w, PadMode edge, float[] zeros, Lines s) {
        float[] x = sr.source, out = sr.target;
        boolean inPlace = x == out;
        float[] prev = s.a(w), cur = s.b(w);
        for (int yy = y0; yy < y1; yy++) {
            int rowStart = sr.base + yy * w;
            float[] b = x;
            int bOff = rowStart;
            if (inPlace) {
                System.arraycopy(x, rowStart, cur, 0, w);
                b = cur;
                bOff = 0;
            }
            int above = edge.sourceIndex(yy - 1, h), below = edge.sourceIndex(yy + 1, h);
            float[] a = original(sr, above, yy, b, prev, zeros, edge), c = original(sr, below, yy, b, prev, zeros, edge);
            int aOff = a == x ? sr.base + above * w : 0, cOff = c == x ? sr.base + below * w : 0;
            sobelRow(out, rowStart, a, aOff, b, bOff, c, cOff, w, edge);
            if (inPlace) {
                float[] t = prev;
                prev = cur;
                cur = t;
            }
        }
    }

    /**
     * The array that holds row r of the plane as it was before this band wrote (output row yy being made;
     * b holds row yy, prev row yy - 1): zeros beyond the plane, a kept copy for another band's row, b for yy
     * itself, prev for the row just written in place, else the source array (where the row starts at
     * {@code base + r * w}; in every other array at 0).
     */
    private static float[] original(SavedRows sr, int r, int yy, float[] b, float[] prev, float[] zeros, PadMode edge) {
        if (r < 0) {
            return zeros;
        }
        if (r == yy) {
            return b;
        }
        if (r < sr.y0 || r >= sr.y1 || edge == PadMode.WRAP) {  // the only rows that can have been kept
            float[] kept = sr.kept(r);
            if (kept != null) {
                return kept;
            }
        }
        return r < yy && sr.source == sr.target ? prev : sr.source;
    }

    /** One output row: the interior columns vectorised, the two border columns with the edge mode. */
    private static void sobelRow(float[] out, int d, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int w, PadMode edge) {
        if (w >= 3) {
            SOBEL.magnitude(out, d + 1, a, aOff, b, bOff, c, cOff, w - 2);
        }
        out[d] = sobelAt(0, w, edge, a, aOff, b, bOff, c, cOff);
        if (w > 1) {
            out[d + w - 1] = sobelAt(w - 1, w, edge, a, aOff, b, bOff, c, cOff);
        }
    }

    /** The magnitude at column xx, its neighbours mapped by the edge mode (for the two border columns). */
    private static float sobelAt(int xx, int w, PadMode edge, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        int l = edge.sourceIndex(xx - 1, w), rr = edge.sourceIndex(xx + 1, w);
        return SobelRows.pixel(at(a, aOff, l), a[aOff + xx], at(a, aOff, rr), at(b, bOff, l), at(b, bOff, rr),
                at(c, cOff, l), c[cOff + xx], at(c, cOff, rr));
    }

    private static float at(float[] v, int off, int i) {
        return i < 0 ? 0f : v[off + i];
    }

    // ---- lines --------------------------------------------------------------------------------

    /** Writes line[off .. off + n) extended by rad on each side (edge mode) into ext[0 .. n + 2 rad). */
    private static void extend(float[] line, int off, int n, int rad, PadMode edge, float[] ext) {
        extendInto(line, off, n, rad, edge, ext, 0);
    }

    /** Fills the rad values on each side of buf[off + rad .. off + rad + n) by the edge mode. */
    private static void extendInPlace(float[] buf, int off, int n, int rad, PadMode edge) {
        for (int j = 0; j < rad; j++) {
            buf[off + j] = read(buf, off + rad, n, j - rad, edge);
            buf[off + rad + n + j] = read(buf, off + rad, n, n + j, edge);
        }
    }

    /** As {@link #extend}, into ext[e0 ..]. */
    private static void extendInto(float[] line, int off, int n, int rad, PadMode edge, float[] ext, int e0) {
        for (int j = 0; j < rad; j++) {
            ext[e0 + j] = read(line, off, n, j - rad, edge);
            ext[e0 + rad + n + j] = read(line, off, n, n + j, edge);
        }
        System.arraycopy(line, off, ext, e0 + rad, n);
    }

    /** The value at position i of the line line[off .. off + n), read beyond its ends by the edge mode. */
    private static float read(float[] line, int off, int n, int i, PadMode edge) {
        int s = edge.sourceIndex(i, n);
        return s < 0 ? 0f : line[off + s];
    }

    /** Taps of a 1-D kernel as offsets into a source line (zero weights dropped). */
    private record Taps(int[] offsets, float[] weights) {
        interface Offset {
            int of(int t);
        }

        static Taps of(float[] k, Offset offset) {
            int[] offs = new int[k.length];
            float[] wts = new float[k.length];
            int n = 0;
            for (int t = 0; t < k.length; t++) {
                if (k[t] != 0f) {
                    offs[n] = offset.of(t);
                    wts[n++] = k[t];
                }
            }
            return new Taps(Arrays.copyOf(offs, n), Arrays.copyOf(wts, n));
        }

        /** dst[d + i] += sum_t weights[t] * src[offsets[t] + i] for i &lt; count. */
        void accumulate(float[] dst, int d, float[] src, int count) {
            if (offsets.length > 0 && count > 0) {
                ROWS.accumulate(dst, d, src, offsets, weights, offsets.length, count);
            }
        }
    }

    /** Per-thread line buffers, grown on demand and kept (a few lines of floats each). */
    private static final class Lines {
        private float[] a = new float[0], b = new float[0], c = new float[0], d = new float[0], weights = new float[0];
        private float[] in = new float[0], out = new float[0];
        private int[] rows = new int[0];

        float[] a(int n) {
            return a.length >= n ? a : (a = new float[n]);
        }

        float[] b(int n) {
            return b.length >= n ? b : (b = new float[n]);
        }

        float[] c(int n) {
            return c.length >= n ? c : (c = new float[n]);
        }

        float[] d(int n) {
            return d.length >= n ? d : (d = new float[n]);
        }

        float[] weights(int n) {
            return weights.length >= n ? weights : (weights = new float[n]);
        }

        int[] rows(int n) {
            return rows.length >= n ? rows : (rows = new int[n]);
        }

        /** A row as read, before the row filter. */
        float[] in(int n) {
            return in.length >= n ? in : (in = new float[n]);
        }

        /** Output rows before they are written. */
        float[] out(int n) {
            return out.length >= n ? out : (out = new float[n]);
        }
    }
}
