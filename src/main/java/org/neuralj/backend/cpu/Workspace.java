package org.neuralj.backend.cpu;

/**
 * Per-thread scratch for {@link Sgemm} and im2col, grown on demand and reused across calls, so the hot
 * path allocates nothing once warm. Rows are separate arrays indexed from 0 on purpose: HotSpot 17
 * auto-vectorises {@code acc[j] += a * row[j]} but not the same loop with a loop-invariant offset
 * ({@code c[off + j]}), which measured 4x slower. Pool threads die when their backend closes, taking
 * their workspace with them; a calling thread keeps one (its largest piece is an implicit-GEMM band: channels x
 * (rows per task + kernel height - 1) x padded width, about 0.4 MiB for 32 channels of 512-wide rows).
 */
final class Workspace {
    private static final ThreadLocal<Workspace> LOCAL = ThreadLocal.withInitial(Workspace::new);

    private float[][] col = new float[0][];
    private float[][] panel = new float[0][];
    private float[] acc = new float[0];
    private float[] packA = new float[0];
    private float[] packB = new float[0];
    private float[] row = new float[0];
    private float[] tile = new float[0];
    private float[] rows = new float[0];
    private float[] band = new float[0];
    private float[] convRows = new float[0];
    private float[][] rowPair = new float[0][];

    static Workspace get() {
        return LOCAL.get();
    }

    /** im2col rows: at least {@code rows} arrays of at least {@code length} floats. */
    float[][] col(int rows, int length) {
        col = ensure(col, rows, length);
        return col;
    }

    /** Packed B panel rows of the GEMM. */
    float[][] panel(int rows, int length) {
        panel = ensure(panel, rows, length);
        return panel;
    }

    /** One accumulator row of C. */
    float[] acc(int length) {
        if (acc.length < length) {
            acc = new float[length];
        }
        return acc;
    }

    /** Packed A strips of the vector GEMM. */
    float[] packA(int length) {
        return packA = grow(packA, length);
    }

    /** Packed B strips of the vector GEMM. */
    float[] packB(int length) {
        return packB = grow(packB, length);
    }

    /** One row of B on its way into the packed strips. */
    float[] row(int length) {
        return row = grow(row, length);
    }

    /**
     * Rows of an intermediate result (linear resize: source rows interpolated across; a convolution's output block
     * on its way into y, from the implicit GEMM or a batch folded into one run of columns).
     */
    float[] rows(int length) {
        return rows = grow(rows, length);
    }

    /** The zero-padded input rows one task of the implicit-GEMM convolution reads. */
    float[] band(int length) {
        return band = grow(band, length);
    }

    /** Rows of a convolution's output waiting for the max-pool fused after it ({@link CpuConv#lanesThenMaxPool}). */
    float[] convRows(int length) {
        return convRows = grow(convRows, length);
    }

    /** Two rows, each at offset 0 (a 2 x 2 max-pool's two input rows; a linear resize's two interpolated rows). */
    float[][] rowPair(int length) {
        rowPair = ensure(rowPair, 2, length);
        return rowPair;
    }

    /** One register tile of C, for edge tiles. */
    float[] tile(int length) {
        return tile = grow(tile, length);
    }

    private static float[] grow(float[] a, int length) {
        return a.length >= length ? a : new float[length];
    }

    private static float[][] ensure(float[][] rows, int n, int length) {
        if (rows.length < n) {
            rows = java.util.Arrays.copyOf(rows, n);
        }
        for (int i = 0; i < n; i++) {
            if (rows[i] == null || rows[i].length < length) {
                rows[i] = new float[length];
            }
        }
        return rows;
    }
}
