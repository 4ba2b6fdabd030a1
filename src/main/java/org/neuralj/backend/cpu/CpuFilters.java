package org.neuralj.backend.cpu;

import java.util.Arrays;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.PadMode;

/**
 * The image-filter ops of {@link CpuBackend}: separable filtering ({@link LineFilter} along rows, then along
 * columns) and the Sobel gradient magnitude, over planes x [planes][h][w].
 *
 * <p>Every inner loop is {@link DepthwiseRows#accumulate} (vectorised, a block of outputs in registers across
 * all taps) or {@link SobelRows}. The row pass extends each row by the edge mode into a small line buffer,
 * so the taps never branch; a pyramid step splits the extended row into its {@code factor} phases, which
 * turns the strided decimation and the interpolation into unit-stride correlations. The column pass
 * combines whole rows (a column filter is a weighted sum of rows), which is unit-stride by nature. Planes
 * go in groups of about {@link #GROUP_PIXELS}, so the row pass's output is still in the cache when the column
 * pass reads it; rows are spread over all threads.
 */
final class CpuFilters {
    private static final DepthwiseRows ROWS = DepthwiseRows.best();
    private static final SobelRows SOBEL = SobelRows.best();
    /** Planes are filtered in groups of about this many pixels (4 MiB of floats: in, between and out fit the L3). */
    static final int GROUP_PIXELS = 1 << 20;
    /** Rows per task at least (a task must outweigh its scheduling). */
    private static final int GRAIN_ROWS = 4;
    private static final ThreadLocal<Lines> LINES = ThreadLocal.withInitial(Lines::new);

    private CpuFilters() {
    }

    /** Which form of the inner loops runs (for logs and benchmark tables). */
    static String describe() {
        return ROWS.describe() + (SOBEL instanceof SobelRows.Plain ? ", plain Java Sobel" : ", Vector API Sobel");
    }

    // ---- separable ----------------------------------------------------------------------------

    /** y[p][h][w] = alongY(alongX(x[p])) (either may be null); y must not be x. */
    static void separable(CpuThreads threads, float[] x, float[] y, int planes, int h, int w,
                          LineFilter fx, LineFilter fy, PadMode edge) {
        if (fx != null && fy != null) {
            if (fy.resamples()) {
                fusedPyramid(threads, x, y, planes, h, w, fx, fy, edge);
            } else {
                fused(threads, x, y, planes, h, w, fx, fy, edge);
            }
            return;
        }
        int plane = h * w;
        int group = Math.max(1, Math.min(planes, GROUP_PIXELS / Math.max(1, plane)));
        float[] between = fx != null && fy != null ? threads.borrow(group * plane) : null;
        try {
            for (int p0 = 0; p0 < planes; p0 += group) {
                int np = Math.min(group, planes - p0);
                int off = p0 * plane;
                if (fx == null && fy == null) {
                    System.arraycopy(x, off, y, off, np * plane);
                } else if (fy == null) {
                    rows(threads, x, off, y, off, np * h, w, fx, edge);
                } else if (fx == null) {
                    columns(threads, x, off, y, off, np, h, w, fy, edge);
                } else {
                    rows(threads, x, off, between, 0, np * h, w, fx, edge);
                    columns(threads, between, 0, y, off, np, h, w, fy, edge);
                }
            }
        } finally {
            if (between != null) {
                threads.giveBack(between);
            }
        }
    }

    /** Output rows per group and floats per strip of the fused column pass (a group's strip of input rows stays in L1). */
    private static final int GROUP_ROWS = 8, STRIP = 256;

    /**
     * Both passes of a plain column filter fused: a task takes a band of output rows of one plane and
     * row-filters the input rows it needs on demand into a small cache (L2); the column pass then goes
     * through the output rows in groups of {@link #GROUP_ROWS} and each group in strips of {@link #STRIP}
     * columns, so the input rows' strips are loaded into L1 once per group rather than once per output
     * row. The row-filtered plane is never written out; each band's first rows cost the column window's
     * rows again (a few per cent).
     */
    private static void fused(CpuThreads threads, float[] x, float[] y, int planes, int h, int w, LineFilter fx,
                              LineFilter fy, PadMode edge) {
        RowPlan plan = new RowPlan(fx, w);
        float[] k = fy.kernel();
        int kRad = k.length / 2;
        int bands = Math.max(1, Math.min(Math.max(1, h / k.length), (threads.threads() * 4 + planes - 1) / planes));
        threads.forEach(planes * bands, task -> {
            int p = task / bands, band = task % bands;
            int y0 = (int) ((long) h * band / bands), y1 = (int) ((long) h * (band + 1) / bands);
            int plane = p * h * w;
            Lines s = LINES.get();
            RowCache rows = new RowCache(GROUP_ROWS + k.length, w, (row, buf, off) -> plan.run(x, plane + row * w, buf, off, edge, s));
            int[][] offs = new int[GROUP_ROWS][k.length];
            float[][] wts = new float[GROUP_ROWS][k.length];
            int[] taps = new int[GROUP_ROWS];
            int[] shifted = new int[k.length];
            for (int g0 = y0; g0 < y1; g0 += GROUP_ROWS) {
                int g = Math.min(GROUP_ROWS, y1 - g0);
                for (int j = 0; j < g; j++) {           // every row of the group in the cache before any is read
                    taps[j] = 0;
                    for (int t = 0; t < k.length; t++) {
                        int row = CpuMovement.sourceIndex(g0 + j + t - kRad, h, edge);
                        if (row >= 0 && k[t] != 0f) {
                            offs[j][taps[j]] = rows.get(row);
                            wts[j][taps[j]++] = k[t];
                        }
                    }
                }
                for (int x0 = 0; x0 < w; x0 += STRIP) {
                    int n = Math.min(STRIP, w - x0);
                    for (int j = 0; j < g; j++) {
                        int d = plane + (g0 + j) * w + x0;
                        Arrays.fill(y, d, d + n, 0f);
                        for (int t = 0; t < taps[j]; t++) {
                            shifted[t] = offs[j][t] + x0;
                        }
                        if (taps[j] > 0) {
                            ROWS.accumulate(y, d, rows.buffer(), shifted, wts[j], taps[j], n);
                        }
                    }
                }
            }
        });
    }

    /**
     * Both passes fused when the column filter is a pyramid step: the same idea as {@link #fused} with a
     * cascade of row caches, each row made on demand from the level below: row-filtered input rows, then
     * decimated rows, then blurred decimated rows, from which each output row is interpolated. Nothing
     * plane-sized is written but the output; a band's first output row makes the decimated window (about
     * the kernel's length) again, so bands are few and tall.
     */
    private static void fusedPyramid(CpuThreads threads, float[] x, float[] y, int planes, int h, int w, LineFilter fx,
                                     LineFilter fy, PadMode edge) {
        RowPlan plan = new RowPlan(fx, w);
        float[] k = fy.kernel(), d = fy.down(), u = fy.up();
        int r = fy.factor(), m = fy.margin(), n = fy.smallLength(h);
        int kRad = k.length / 2, dc = d.length / 2, uc = u.length / 2;
        int bands = Math.max(1, Math.min(Math.max(1, h / (4 * k.length * r)), (threads.threads() * 2 + planes - 1) / planes));
        threads.forEach(planes * bands, task -> {
            int p = task / bands, band = task % bands;
            int y0 = (int) ((long) h * band / bands), y1 = (int) ((long) h * (band + 1) / bands);
            int plane = p * h * w;
            Lines s = LINES.get();
            RowCache in = new RowCache(d.length + r + 1, w, (row, buf, off) -> plan.run(x, plane + row * w, buf, off, edge, s));
            RowCache small = new RowCache(k.length + 2, w, new Combine(in, d.length, (i, rows, wts) -> {
                int taps = mappedTaps(d, (i - m) * r - dc, h, edge, rows, wts);
                return taps;
            }));
            RowCache blurred = new RowCache(u.length / r + 3, w, new Combine(small, k.length,
                    (i, rows, wts) -> mappedTaps(k, i - kRad, n, edge, rows, wts)));
            Combine out = new Combine(blurred, u.length / r + 2, (yy, rows, wts) -> {
                int iLo = Math.max(0, Math.floorDiv(yy + uc - u.length + m * r, r) + 1);
                int iHi = Math.min(n - 1, Math.floorDiv(yy + uc + m * r, r));
                int taps = 0;
                for (int i = iLo; i <= iHi; i++) {
                    float wt = u[yy - (i - m) * r + uc];
                    if (wt != 0f) {
                        rows[taps] = i;
                        wts[taps++] = wt;
                    }
                }
                return taps;
            });
            for (int yy = y0; yy < y1; yy++) {
                out.make(yy, y, plane + yy * w);
            }
        });
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

    /** The row pass: each of {@code lines} rows of length w from src to dst. */
    private static void rows(CpuThreads threads, float[] src, int srcOff, float[] dst, int dstOff, int lines, int w,
                             LineFilter f, PadMode edge) {
        RowPlan plan = new RowPlan(f, w);
        threads.forRange(lines, GRAIN_ROWS, (from, to) -> {
            Lines s = LINES.get();
            for (int r = from; r < to; r++) {
                plan.run(src, srcOff + r * w, dst, dstOff + r * w, edge, s);
            }
        });
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

    /** The column pass over np planes of h rows: rows of the output are weighted sums of input rows. */
    private static void columns(CpuThreads threads, float[] src, int srcOff, float[] dst, int dstOff, int np, int h, int w,
                                LineFilter f, PadMode edge) {
        float[] k = f.kernel();
        int kRad = k.length / 2;
        if (f.factor() == 1) {
            combineRows(threads, src, srcOff, h, dst, dstOff, h, np, w, k.length,
                    (y, rows, wts) -> mappedTaps(k, y - kRad, h, edge, rows, wts));
            return;
        }
        int r = f.factor(), m = f.margin(), n = f.smallLength(h);
        float[] d = f.down();
        float[] u = f.up();
        int dc = d.length / 2, uc = u.length / 2;
        float[] small = threads.borrow(np * n * w);
        float[] blurred = threads.borrow(np * n * w);
        try {
            combineRows(threads, src, srcOff, h, small, 0, n, np, w, d.length,
                    (i, rows, wts) -> mappedTaps(d, (i - m) * r - dc, h, edge, rows, wts));
            combineRows(threads, small, 0, n, blurred, 0, n, np, w, k.length,
                    (i, rows, wts) -> mappedTaps(k, i - kRad, n, edge, rows, wts));
            combineRows(threads, blurred, 0, n, dst, dstOff, h, np, w, u.length / r + 2, (y, rows, wts) -> {
                // small rows i with 0 <= y - (i - m) * r + uc < u.length
                int iLo = Math.max(0, Math.floorDiv(y + uc - u.length + m * r, r) + 1);
                int iHi = Math.min(n - 1, Math.floorDiv(y + uc + m * r, r));
                int taps = 0;
                for (int i = iLo; i <= iHi; i++) {
                    float wt = u[y - (i - m) * r + uc];
                    if (wt != 0f) {
                        rows[taps] = i;
                        wts[taps++] = wt;
                    }
                }
                return taps;
            });
        } finally {
            threads.giveBack(small);
            threads.giveBack(blurred);
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
            int row = CpuMovement.sourceIndex(first + t, n, edge);
            if (row >= 0 && k[t] != 0f) {
                rows[taps] = row;
                wts[taps++] = k[t];
            }
        }
        return taps;
    }

    /**
     * dst[p][o][:] = sum_taps weight * src[p][row][:] for every plane p &lt; np and output row o &lt; dstRows,
     * rows of w floats; {@code taps} gives at most {@code maxTaps} (row, weight) pairs per output row.
     */
    private static void combineRows(CpuThreads threads, float[] src, int srcOff, int srcRows, float[] dst, int dstOff,
                                    int dstRows, int np, int w, int maxTaps, RowTaps taps) {
        threads.forRange(np * dstRows, GRAIN_ROWS, (from, to) -> {
            Lines s = LINES.get();
            for (int row = from; row < to; row++) {
                int p = row / dstRows, o = row % dstRows;
                int[] rows = s.rows(maxTaps);
                float[] wts = s.weights(maxTaps);
                int n = taps.taps(o, rows, wts);
                int base = srcOff + p * srcRows * w;
                for (int t = 0; t < n; t++) {
                    rows[t] = base + rows[t] * w;
                }
                int d = dstOff + row * w;
                Arrays.fill(dst, d, d + w, 0f);
                if (n > 0) {
                    ROWS.accumulate(dst, d, src, rows, wts, n, w);
                }
            }
        });
    }

    // ---- dense 2-D kernels ----------------------------------------------------------------------

    /**
     * y[p][h][w] = correlation of x[p] with kernel [kh][kw] (odd sizes, centred); y must not be x. Each
     * output row is one {@link DepthwiseRows#accumulate} over the kh input rows it reads, each extended by
     * the edge mode once and kept in a small per-task cache while the next output rows still need it.
     */
    static void filter2d(CpuThreads threads, float[] x, float[] y, int planes, int h, int w, float[] k, int kh, int kw,
                         PadMode edge) {
        int ry = kh / 2, rx = kw / 2;
        int bands = Math.max(1, Math.min(h, threads.threads() * 4 / Math.max(1, planes)));
        threads.forEach(planes * bands, task -> {
            int p = task / bands, band = task % bands;
            int y0 = (int) ((long) h * band / bands), y1 = (int) ((long) h * (band + 1) / bands);
            int plane = p * h * w;
            RowCache rows = new RowCache(kh + 1, w + 2 * rx, (row, buf, off) -> extendInto(x, plane + row * w, w, rx, edge, buf, off));
            int[] offs = new int[kh * kw];
            float[] wts = new float[kh * kw];
            for (int yy = y0; yy < y1; yy++) {
                int taps = 0;
                for (int ky = 0; ky < kh; ky++) {
                    int row = CpuMovement.sourceIndex(yy + ky - ry, h, edge);
                    if (row < 0) {
                        continue;                                   // a zero row (CONSTANT)
                    }
                    int at = rows.get(row);
                    for (int kx = 0; kx < kw; kx++) {
                        float wt = k[ky * kw + kx];
                        if (wt != 0f) {
                            offs[taps] = at + kx;
                            wts[taps++] = wt;
                        }
                    }
                }
                int d = plane + yy * w;
                Arrays.fill(y, d, d + w, 0f);
                if (taps > 0) {
                    ROWS.accumulate(y, d, rows.buffer(), offs, wts, taps, w);
                }
            }
        });
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

    /** y[p][h][w] = Sobel gradient magnitude of x[p]; y must not be x. */
    static void sobelMagnitude(CpuThreads threads, float[] x, float[] y, int planes, int h, int w, PadMode edge) {
        float[] zeros = new float[w];                   // the rows beyond the plane in CONSTANT mode
        threads.forRange(planes * h, GRAIN_ROWS * 4, (from, to) -> {
            for (int row = from; row < to; row++) {
                int p = row / h, yy = row % h;
                int plane = p * h * w;
                int above = CpuMovement.sourceIndex(yy - 1, h, edge), below = CpuMovement.sourceIndex(yy + 1, h, edge);
                float[] a = above < 0 ? zeros : x, c = below < 0 ? zeros : x;
                int aOff = above < 0 ? 0 : plane + above * w, bOff = plane + yy * w, cOff = below < 0 ? 0 : plane + below * w;
                int d = plane + yy * w;
                if (w >= 3) {
                    SOBEL.magnitude(y, d + 1, a, aOff, x, bOff, c, cOff, w - 2);
                }
                y[d] = sobelAt(0, w, edge, a, aOff, x, bOff, c, cOff);
                if (w > 1) {
                    y[d + w - 1] = sobelAt(w - 1, w, edge, a, aOff, x, bOff, c, cOff);
                }
            }
        });
    }

    /** The magnitude at column xx, its neighbours mapped by the edge mode (for the two border columns). */
    private static float sobelAt(int xx, int w, PadMode edge, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        int l = CpuMovement.sourceIndex(xx - 1, w, edge), rr = CpuMovement.sourceIndex(xx + 1, w, edge);
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
        int s = CpuMovement.sourceIndex(i, n, edge);
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
    }
}
