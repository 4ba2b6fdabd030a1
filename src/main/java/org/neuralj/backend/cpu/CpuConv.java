package org.neuralj.backend.cpu;

import java.util.Arrays;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;

/**
 * Convolution and transposed convolution as im2col + {@link Sgemm}; most convolutions on the vector
 * GEMM read a zero-padded copy of the input in place instead ({@link #implicitGemm}).
 *
 * <p>Convolution, per image n and group g: Y_g [Mg, P] = W_g [Mg, K] x col [K, P] with
 * K = Cg*kH*kW, P = outH*outW and col[(c*kH + ky)*kW + kx][oy*outW + ox] = x[n][g*Cg + c][iy][ix]
 * (0 outside x). The P columns are cut into tiles so each task builds only a K x tile slice of col
 * (one reused row array per k, see {@link Workspace}) that stays in cache while the GEMM consumes it; bias and activation run in the
 * GEMM epilogue. A 1x1, stride-1, unpadded convolution reads x directly as col (no copy).
 *
 * <p>Transposed convolution, per image n and group g: col [Mg*kH*kW, H*W] = W_g^T x X_g, then
 * col2im scatter-adds every col entry into y; tasks own blocks of output channels so none race.
 */
final class CpuConv {
    /** Target size of one im2col tile in floats (256 KiB): fits L2 next to the weight panel. */
    private static final int TILE_FLOATS = 1 << 16;
    /**
     * Weights per group (output channels x K) up to which a stride-1 convolution takes the implicit GEMM: the packed
     * panel, streamed once per output row, must stay in L2 (1 MiB here). 128 -> 128 channels 3x3 (147k) measured 1.15x faster than im2col, 256 -> 128
     * (295k) 0.7x.
     */
    static final int IMPLICIT_MAX_PANEL = 160 * 1024;
    /** Output pixels per task on the vector GEMM path. */
    private static final int VECTOR_TILE = 512;

    private CpuConv() {
    }

    /**
     * Whether {@link #channelLanes} adds a residual to the convolution before its activation as it writes each tile
     * out (no pass of its own over y): where it takes the convolution and the activation is none or a ReLU.
     */
    static boolean addsResidual(int[] xs, int[] ws, ConvSpec s) {
        org.neuralj.backend.Activation act = s.activation();
        return usesLanes(xs, ws, s) && (act.isIdentity() || act.op() == org.neuralj.backend.UnaryOp.RELU);
    }

    /**
     * The convolution into y [N, M, oH, oW] (every element written; y may hold anything before), x and y as planes, for
     * one that {@link #usesLanes} does not take. {@code packs} (w's storage, or null) keeps the weights packed for the
     * GEMM between calls.
     */
    static float[] conv2d(CpuThreads threads, float[] x, int[] xs, float[] w, CpuStorage packs, int[] ws, float[] bias, ConvSpec s,
                          float[] y) {
        if (CpuDepthwiseConv.handles(xs, ws, s)) { // one input channel per output channel: direct, no GEMM
            return CpuDepthwiseConv.conv2d(threads, x, xs, w, ws, bias, s, y);
        }
        if (s.groups() == 1 && ws[0] < POINTWISE_FEW_CHANNELS && readsInputAsIs(xs, ws, s)) {
            return pointwiseFewChannels(threads, x, xs, w, ws, bias, s, y);
        }
        // The implicit GEMM saves im2col's packing and writes y directly, one output row at a time. Measured against
        // im2col (3x3, stride 1): 16 -> 16 channels at 512^2 1.25x faster, 64 -> 64 at 128^2 1.5x, 128 -> 128 at
        // 64^2 1.15x (one thread), first layers 1 -> 16 at 512^2 1.25x and 3 -> 16 at 256^2 1.7x (two threads);
        // a weight panel too big for L2 would be streamed from memory for every row.
        // A strided convolution reads its input split into stride phases (PhasePlanes), where it is again stride 1:
        // alone, ResNet-18's 7x7 / 2 stem, 64 -> 128 3x3 / 2 at 56^2 and 1x1 / 2 shortcuts ran 20-40 % faster than through
        // im2col (the whole network at batch 1 about 1.5 %). A batch of small strided outputs stays with im2col's one run
        // of columns across the images (foldedIm2col): image by image, the blood-cell classifier at 64^2 x 32 ran 9 % slower.
        // Output images up to 56 x 56 with many channels put the channels in vector lanes instead: CpuBackend sends
        // those (usesLanes) to channelLanes with its tensors' layouts, not here. ResNet-18 (the same process switching
        // run by run, against lanes for batches and outputs up to 8 x 8 only): batch 1 0.80-1.00x the time in three
        // processes, batch 32 0.93-0.97x; against no lanes at all, batch 1 0.956x and batch 32 0.855x. The implicit
        // GEMM's 8 x 32 tiles, alone on one thread: 136-146 GFLOP/s at 56^2 .. 14^2.
        int mg = ws[0] / s.groups();
        boolean strided = s.strideH() > 1 || s.strideW() > 1;
        if (Sgemm.vector() != null && !readsInputAsIs(xs, ws, s) && (!strided || xs[0] == 1 || s.outH() * s.outW() >= VECTOR_TILE)) {
            PhasePlanes ph = new PhasePlanes(ws, s);
            if ((long) mg * ws[1] * ws[2] * ws[3] <= IMPLICIT_MAX_PANEL || smallImage(xs, ws, s, ph)) {
                return implicitGemm(threads, x, xs, w, packs, ws, bias, s, ph, y);
            }
        }
        return im2colGemm(threads, x, xs, w, packs, ws, bias, s, y);
    }

    /** Output pixels per image up to which a convolution puts its output channels in vector lanes ({@link #channelLanes}). */
    static final int LANES_MAX_PIXELS = 56 * 56;

    /**
     * Padded input floats (64 MiB) that {@link #channelLanes} makes at a time: a large batch goes in chunks of images.
     * Not final so a test can make the chunks small.
     */
    static long lanesMaxPadded = 16L << 20;

    /** K (input channels x taps) from which {@link #channelLanes} pays: below, writing each tile out costs too much. */
    static final int LANES_MIN_K = 128;

    /**
     * K from which {@link #channelLanes} pays where its output goes into whole channel blocks, its tiles stored as they
     * are: ResNet-18's 1x1 / 2 shortcut at 56² (K = 64) then reads and writes channel blocks like the convolutions
     * around it, and its 28² layers took 0.87x the time (batch 1, in one process, the property switched every 10 runs).
     */
    static final int LANES_MIN_K_BLOCKED = 64;

    /**
     * Whether {@link #channelLanes} can take the convolution: one group, small output images, at least one lane strip of
     * output channels and enough K; not a 1x1 stride-1 unpadded one (the GEMM reads its input as it is).
     */
    static boolean usesLanes(int[] xs, int[] ws, ConvSpec s) {
        boolean blocks = ws[0] % ChannelBlocks.BLOCK == 0;
        // A strided convolution into whole channel blocks takes the lanes up to LANES_MAX_PIXELS times its stride
        // phases: ResNet-18's 7x7 / 2 stem at 112², its max-pool then over channel blocks (CpuPool.maxOfBlocks) and
        // the first block's convolutions reading those as they are. The stem alone 1.10x the time, the network at
        // batch 1 0.974x (in one process, switched run by run, 150 rounds), at batch 32 1.016x (q1 0.986, q3 1.043).
        int maxPixels = blocks ? LANES_MAX_PIXELS * s.strideH() * s.strideW() : LANES_MAX_PIXELS;
        return Sgemm.vector() != null && s.groups() == 1 && ws[0] >= Sgemm.vector().laneChannels()
                && s.outH() * s.outW() <= maxPixels && ws[1] * ws[2] * ws[3] >= (blocks ? LANES_MIN_K_BLOCKED : LANES_MIN_K)
                && !readsInputAsIs(xs, ws, s);
    }

    /** How weights were packed for {@link #channelLanes}. */
    private record LaneKey(int m, int k) {
    }

    /**
     * The convolution with output channels in vector lanes and pixels broadcast, for small output images (a ResNet's
     * 56 x 56 .. 7 x 7 maps): the GEMM's column tiles hold pixels, and 7 x 7 = 49 of them fill two 32-wide tiles 77 %
     * (63 computed with the wrap columns), while 512 channels fill 16 lane strips whole. Each tile is 7 consecutive
     * pixels of one output row (7 divides 112, 56, 28, 14 and 7) against one strip of packed weights over all of K, read
     * from the zero-padded input (its {@link PhasePlanes}, all images, in blocks of {@link GemmKernel#LANE_BLOCK}
     * channels) at one offset per tap; the tile is then written into the output. Tasks take one weight strip (it
     * stays in L2 while all their pixels pass) for a block of images and rows, the input padded for all of them first;
     * or, where all the strips fit L2 together, every strip for a block of images and rows whose input rows the task
     * pads itself. Same sums in the same order as the other paths.
     *
     * <p>x is held as planes (xb null) or in channel blocks ({@link ChannelBlocks}): with stride 1 and padding equal to
     * its border the tiles read it as it is, no padded copy; else whole pixels are copied into the phase planes. y is
     * written as planes (yb null) or in channel blocks, its border zeroed; {@code residual} (or null, held as rb says:
     * planes, or y's blocks) is added before the activation (then none or a ReLU, see {@link #addsResidual}).
     */
    static float[] channelLanes(CpuThreads threads, float[] x, ChannelBlocks xb, int[] xs, float[] w, CpuStorage packs, int[] ws,
                                float[] bias, ConvSpec s, float[] residual, ChannelBlocks rb, float[] y, ChannelBlocks yb) {
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int m = ws[0], kh = ws[2], kw = ws[3];
        final int oh = s.outH(), ow = s.outW();
        final int k = cIn * kh * kw;
        final GemmKernel gemm = Sgemm.vector();
        final int lc = gemm.laneChannels(), lp = gemm.lanePixels();
        final PhasePlanes ph = new PhasePlanes(ws, s);
        if (rb != null && !rb.equals(yb)) {
            throw new IllegalArgumentException("the residual's channel blocks " + rb + " are not the output's " + yb);
        }
        // The padded input in blocks of LANE_BLOCK channels, each block's phase planes pixel by pixel with its channels
        // side by side: a tile's taps over one block read kh x (lp + kw - 1) cache lines, which the next tile reads
        // again; in planes of single channels each channel's taps read their own lines. ResNet-18, separate processes
        // in turns: batch 1 0.945x and 0.958x the time (5 and 6 pairs), batch 32 0.90x (3 pairs); the same logits.
        final int block = GemmKernel.LANE_BLOCK, blocks = (cIn + block - 1) / block;
        final int wp = ph.width, rowsPerPlane = ph.rows(oh), plane = rowsPerPlane * wp, blockPlanes = ph.count * plane * block;
        final int image = blocks * blockPlanes;
        final float[] packed = lanePacking(gemm, w, packs, m, k);
        final int strips = (m + lc - 1) / lc;
        final LaneRows tiles = new LaneRows(gemm, packed, k, m, bias, s.activation(), residual, rb != null, wp, oh, ow, y, yb);
        if (yb != null) {
            yb.zeroTail(y);
        }
        // the input as it is: its border is the padding, its planes the one phase plane of a stride-1 convolution
        final boolean inPlace = xb != null && xb.border() == s.padTop() && xb.border() == s.padLeft()
                && xb.border() == s.padBottom() && xb.border() == s.padRight() && ph.count == 1
                && s.strideH() == 1 && s.strideW() == 1 && s.dilationH() == 1 && s.dilationW() == 1;
        // Where all the strips' weights stay in L2 together (a ResNet's 56² and 28² layers), each task pads the input
        // rows it reads itself, into a band of its own, and runs every strip over them: the band is written and read
        // in that core's caches. ResNet-18 against one padding pass over the whole input first: batch 1 0.949x the
        // time, batch 32 0.957x (separate processes in turns, 6 and 3 pairs), 0.965x / 0.971x in one process (150
        // rounds); also taking the 14² layers (whose strips do not fit L2 together): 0.989x.
        final boolean ownRows = (long) strips * lc * k <= LANES_OWN_ROWS_FLOATS;
        final int taskStrips = ownRows ? 1 : strips;
        // images padded at a time: all of a batch, up to lanesMaxPadded floats of padded input (a task's own rows or
        // the input as it is: all)
        final int chunk = ownRows || inPlace ? n : (int) Math.max(1, Math.min(n, lanesMaxPadded / Math.max(1, image)));
        // tasks: a weight strip (or all of them) for a block of images and a band of rows, at least LANE_TASKS per
        // thread
        final int[] split = laneTasks(threads, taskStrips, chunk, oh);
        final int imgBlock = split[0], rowBlock = split[1], rowBlocks = (oh + rowBlock - 1) / rowBlock;
        final int imgBlocks = (chunk + imgBlock - 1) / imgBlock;
        if (inPlace) {
            final int[] taps = ph.taps(cIn, kh, plane, true);
            threads.forEach(taskStrips == 1 ? imgBlocks * rowBlocks : strips * imgBlocks * rowBlocks, task -> {
                int first = taskStrips == 1 ? 0 : task % strips, last = taskStrips == 1 ? strips : first + 1;
                int rest = taskStrips == 1 ? task : task / strips;
                int img0 = rest % imgBlocks * imgBlock, oy0 = rest / imgBlocks * rowBlock, nr = Math.min(rowBlock, oh - oy0);
                for (int img = img0; img < Math.min(n, img0 + imgBlock); img++) {
                    for (int strip = first; strip < last; strip++) {
                        tiles.run(strip, x, taps, img * image + oy0 * wp * block, img, oy0, nr);
                    }
                }
            });
            return y;
        }
        // a row's last tile reads up to lp - 1 columns past it: wrap columns, the next row, or a zero tail (past a
        // last, partial chunk: an earlier chunk's images; in a band, rows a short last band did not fill); what it
        // reads there only reaches outputs that are dropped
        final int tail = (wp + lp) * block;
        if (ownRows) {
            final int bandRows = ph.rows(rowBlock), bandPlane = bandRows * wp, bandBlock = ph.count * bandPlane * block;
            final int bandImage = blocks * bandBlock;
            final int[] taps = ph.taps(cIn, kh, bandPlane, true);
            threads.forEach(imgBlocks * rowBlocks, task -> {
                int img0 = task % imgBlocks * imgBlock, oy0 = task / imgBlocks * rowBlock, nr = Math.min(rowBlock, oh - oy0);
                float[] band = Workspace.get().band(bandImage + tail);
                java.util.Arrays.fill(band, bandImage, bandImage + tail, 0f);
                for (int img = img0; img < Math.min(n, img0 + imgBlock); img++) {
                    padBand(x, xb, xs, img, s, ph, oy0, nr, band, bandRows);
                    for (int strip = 0; strip < strips; strip++) {
                        tiles.run(strip, band, taps, 0, img, oy0, nr);
                    }
                }
            });
            return y;
        }
        final int[] taps = ph.taps(cIn, kh, plane, true);
        final int padded = chunk * image + tail;
        final float[] xp = threads.borrow(padded);
        try {
            java.util.Arrays.fill(xp, chunk * image, padded, 0f); // not to xp.length: a borrowed array may be far longer
            for (int c0 = 0; c0 < n; c0 += chunk) {
                final int first = c0, count = Math.min(chunk, n - c0);
                final int countBlocks = (count + imgBlock - 1) / imgBlock;
                final int planeRows = ph.count * rowsPerPlane;    // rows of one block's phase planes
                threads.forRange(count * blocks * planeRows, Math.max(1, 16384 / (wp * block)), (from, to) -> {
                    for (int row = from; row < to; row++) {
                        int img = row / (blocks * planeRows), b = row / planeRows % blocks, pr = row % planeRows;
                        padBlockRow(x, xb, xs, first + img, b, s, ph, pr / rowsPerPlane, pr % rowsPerPlane, xp,
                                row * wp * block);
                    }
                });
                threads.forEach(strips * countBlocks * rowBlocks, task -> {
                    int strip = task % strips;
                    int img0 = task / strips % countBlocks * imgBlock, oy0 = task / (strips * countBlocks) * rowBlock;
                    for (int img = img0; img < Math.min(count, img0 + imgBlock); img++) {
                        tiles.run(strip, xp, taps, img * image + oy0 * wp * block, first + img, oy0,
                                Math.min(rowBlock, oh - oy0));
                    }
                });
            }
        } finally {
            threads.giveBack(xp);
        }
        return y;
    }

    /** The weights packed for the lanes, kept with w's storage (packs; null: packed for this call alone). */
    private static float[] lanePacking(GemmKernel gemm, float[] w, CpuStorage packs, int m, int k) {
        java.util.function.Supplier<float[]> make = () -> {
            float[] packed = new float[gemm.laneSize(m, k)];
            gemm.packLanes(m, k, w, 0, packed, 0);
            return packed;
        };
        return packs == null ? make.get() : packs.derived(new LaneKey(m, k), make);
    }

    /**
     * The phase-plane rows that output rows oy0 .. oy0 + nr - 1 of image img read, every channel block's, into band: block
     * b's plane p row j at (b * planes + p) * bandRows + j rows of the plane width (bandRows plane rows per plane).
     */
    private static void padBand(float[] x, ChannelBlocks xb, int[] xs, int img, ConvSpec s, PhasePlanes ph, int oy0, int nr,
                                float[] band, int bandRows) {
        final int block = GemmKernel.LANE_BLOCK, blocks = (xs[1] + block - 1) / block, row = ph.width * block;
        for (int b = 0; b < blocks; b++) {
            for (int phase = 0; phase < ph.count; phase++) {
                for (int j = 0; j < ph.rows(nr); j++) {
                    padBlockRow(x, xb, xs, img, b, s, ph, phase, oy0 + j, band, ((b * ph.count + phase) * bandRows + j) * row);
                }
            }
        }
    }

    /** Whether {@link #lanesThenMaxPool} takes the convolution and the pooling of its output. */
    static boolean fusesMaxPool(int[] xs, int[] ws, ConvSpec s, PoolSpec pool) {
        return usesLanes(xs, ws, s) && ws[0] % GemmKernel.LANE_BLOCK == 0 && CpuPool.poolsBlocks(pool);
    }

    /**
     * Convolution rows a step of {@link #lanesThenMaxPool} computes (about): a few, so they and the input rows they read
     * stay in the core's L2 (ResNet's stem: steps of 2 pooled rows, 4 new rows of 112 x 64 floats, 115 KB). ResNet-18
     * with 8 against 4: batch 1 1.006x the time, batch 32 1.007x; 16: 1.022x, 1.016x (one process, switched run by run).
     */
    static final int FUSED_CONV_ROWS = 4;

    /**
     * {@link #channelLanes}, then a max-pool of its output ({@link CpuPool#maxOfBlocks}) without the convolution's output
     * ever held whole: ResNet's 7 x 7 / 2 stem and 3 x 3 / 2 max-pool, whose 3.3 MB between them went to memory and
     * back. Each task takes a band of pooled rows of a block of images and walks it a step of pooled rows at a time:
     * the convolution rows the step reads go into a scratch of the task's own (channel blocks, no border; the rows the
     * step before also read moved to its front, not computed again), from the input rows the task pads itself, and are
     * pooled from there into y. Rows read by two tasks' bands are computed by both. The same values as the convolution
     * and the pooling one after the other (the same sums; a max is exact). ResNet-18 against the two apart, in one process
     * switched run by run: batch 1 0.990x the time (300 rounds, q1-q3 0.977-1.004; 0.996x in another 150), batch 32
     * 0.969x (30 rounds, q1-q3 0.941-0.990).
     */
    static float[] lanesThenMaxPool(CpuThreads threads, float[] x, ChannelBlocks xb, int[] xs, float[] w, CpuStorage packs,
                                    int[] ws, float[] bias, ConvSpec s, PoolSpec pool, float[] y, ChannelBlocks yb) {
        final int n = xs[0], cIn = xs[1], m = ws[0], kh = ws[2];
        final int oh = s.outH(), ow = s.outW(), k = cIn * kh * ws[3], poh = pool.outH();
        final GemmKernel gemm = Sgemm.vector();
        final int lc = gemm.laneChannels(), lp = gemm.lanePixels(), block = GemmKernel.LANE_BLOCK;
        final PhasePlanes ph = new PhasePlanes(ws, s);
        final float[] packed = lanePacking(gemm, w, packs, m, k);
        final int strips = (m + lc - 1) / lc, blocks = (cIn + block - 1) / block, outBlocks = m / block;
        // pooled rows per step, and the convolution rows one step reads at most
        final int step = Math.max(1, FUSED_CONV_ROWS / pool.strideH());
        final int stepRows = Math.min(oh, (step - 1) * pool.strideH() + pool.kernelH());
        final ChannelBlocks held = new ChannelBlocks(1, m, stepRows, ow, 0);
        final int bandRows = ph.rows(stepRows), bandImage = blocks * ph.count * bandRows * ph.width * block;
        final int tail = (ph.width + lp) * block;              // read past the last row by a row's last tile (see channelLanes)
        final int[] taps = ph.taps(cIn, kh, bandRows * ph.width, true);
        final int[][] cols = CpuPool.columnWindows(pool, ow);
        // tasks: a band of pooled rows of a block of images, at least LANE_TASKS per thread
        final int[] split = laneTasks(threads, 1, n, poh);
        final int imgBlock = split[0], rowBlock = split[1], imgBlocks = (n + imgBlock - 1) / imgBlock;
        yb.zeroTail(y);
        threads.forEach(imgBlocks * ((poh + rowBlock - 1) / rowBlock), task -> {
            int img0 = task % imgBlocks * imgBlock, p0 = task / imgBlocks * rowBlock, p1 = Math.min(poh, p0 + rowBlock);
            float[] band = Workspace.get().band(bandImage + tail);
            java.util.Arrays.fill(band, bandImage, bandImage + tail, 0f);
            float[] conv = Workspace.get().convRows(held.floats());
            LaneRows tiles = new LaneRows(gemm, packed, k, m, bias, s.activation(), null, false, ph.width, stepRows, ow, conv, held);
            for (int img = img0; img < Math.min(n, img0 + imgBlock); img++) {
                int lo = 0, hi = 0;                            // convolution rows in conv: lo .. hi - 1
                for (int q = p0; q < p1; q += step) {
                    int q1 = Math.min(p1, q + step);
                    int need0 = Math.max(0, Math.min(oh, q * pool.strideH() - pool.padTop()));
                    int need1 = Math.max(need0, Math.min(oh, (q1 - 1) * pool.strideH() - pool.padTop() + pool.kernelH()));
                    int from = need0;
                    if (hi > need0) {                          // rows the step before computed: to the front
                        for (int b = 0; b < outBlocks; b++) {
                            System.arraycopy(conv, held.at(0, b * block, need0 - lo, 0), conv, held.at(0, b * block, 0, 0),
                                    (hi - need0) * held.rowFloats());
                        }
                        from = hi;
                    }
                    if (need1 > from) {
                        padBand(x, xb, xs, img, s, ph, from, need1 - from, band, bandRows);
                        for (int strip = 0; strip < strips; strip++) {
                            tiles.run(strip, band, taps, 0, 0, from - need0, need1 - from);
                        }
                    }
                    lo = need0;
                    hi = need1;
                    for (int b = 0; b < outBlocks; b++) {
                        for (int oy = q; oy < q1; oy++) {
                            CpuPool.maxRowOfBlocks(conv, held, 0, lo, oh, pool, cols, y, yb, img, b, oy);
                        }
                    }
                }
            }
        });
        return y;
    }

    /**
     * {images, rows} per lane task: images halved, then rows, until strips x image blocks x row bands make at least
     * {@link #LANE_TASKS} tasks per thread (or one image and one row a task).
     */
    private static int[] laneTasks(CpuThreads threads, int strips, int images, int rows) {
        int imgs = images, band = rows;
        while ((long) strips * ((images + imgs - 1) / imgs) * ((rows + band - 1) / band) < (long) LANE_TASKS * threads.threads()
                && (imgs > 1 || band > 1)) {
            if (imgs > 1) {
                imgs = (imgs + 1) / 2;
            } else {
                band = (band + 1) / 2;
            }
        }
        return new int[] {imgs, band};
    }

    /**
     * Tasks per thread that {@link #channelLanes} makes at least: where a thread is held up (the test machine's two
     * vCPUs are shared) the other takes more of the job. ResNet-18 with 4 against 2, in one process switched run by
     * run on a busy machine: batch 1 0.964x and 0.946x the time (150 and 200 rounds, q3 1.009 and 0.995), batch 32
     * 0.955x (q3 0.991); 8: 0.975x. (Session 14 saw 8 neutral in a quiet hour.) The U-Net's implicit GEMM, with 4 row
     * bands per thread against 2: 0.999x.
     */
    static final int LANE_TASKS = 4;

    /** Floats of packed weights (all strips) up to which {@link #channelLanes} lets each task pad its own input rows. */
    static final int LANES_OWN_ROWS_FLOATS = 160 * 1024;

    /**
     * The tiles of {@link #channelLanes}: output rows of one image against one weight strip, written into y (planes,
     * or channel blocks yb), with {@code residual} (or null; held as y is where {@code residualBlocked}, else as
     * planes) added before the activation.
     */
    private record LaneRows(GemmKernel gemm, float[] packed, int k, int m, float[] bias, org.neuralj.backend.Activation act,
                            float[] residual, boolean residualBlocked, int wp, int oh, int ow, float[] y, ChannelBlocks yb) {
        /**
         * Output rows oy0 .. oy0 + nr - 1 of image img (its index in y) against strip {@code strip}, reading the padded,
         * blocked input from src, where row oy0's first tile starts at {@code base}.
         */
        void run(int strip, float[] src, int[] taps, int base, int img, int oy0, int nr) {
            final int lc = gemm.laneChannels(), lp = gemm.lanePixels(), block = GemmKernel.LANE_BLOCK;
            final boolean relu = act.op() == org.neuralj.backend.UnaryOp.RELU;
            final boolean other = !relu && !act.isIdentity();
            int co0 = strip * lc, cc = Math.min(lc, m - co0);
            int out = lp * lc;                                    // t: the bias rows, then the tile
            float[] t = Workspace.get().tile(2 * out);
            for (int r = 0; r < lp; r++) {
                for (int j = 0; j < lc; j++) {
                    t[r * lc + j] = bias != null && j < cc ? bias[co0 + j] : 0f;
                }
            }
            // whole tiles go straight into y's channel blocks, the residual added on the way: a strip is two blocks of
            // one vector each, or one vector's lanes within a block (the vector narrower than a block)
            final boolean direct = yb != null && !other && (residual == null || residualBlocked) && cc == lc;
            final int second = !direct ? 0 : lc > block ? yb.blockFloats() : lc / 2;
            for (int oy = oy0; oy < oy0 + nr; oy++) {
                for (int ox0 = 0; ox0 < ow; ox0 += lp) {
                    int q0 = base + ((oy - oy0) * wp + ox0) * block;
                    int np = Math.min(lp, ow - ox0);
                    if (direct && np == lp) {
                        gemm.laneTile(k, packed, strip * k * lc, src, taps, q0, t, 0, y, yb.at(img, co0, oy, ox0), block, second,
                                residual, relu);
                        continue;
                    }
                    gemm.laneTile(k, packed, strip * k * lc, src, taps, q0, t, 0, t, out, lc, lc / 2, null, relu && residual == null);
                    if (other) {
                        CpuElementwise.apply(act, t, out, t, out, np * lc);
                    }
                    if (yb == null) {
                        toPlanes(t, out, img, co0, cc, oy, ox0, np, relu);
                    } else {
                        toBlocks(t, out, img, co0, cc, oy, ox0, np, relu);
                    }
                }
                if (yb != null) {                                 // the border beside the row, above the first, below the last
                    for (int b = (co0 + block - 1) / block; b * block < co0 + cc; b++) {
                        yb.zeroBorderOf(y, img, b, oy);
                    }
                }
            }
        }

        /** Tile pixels ox0 .. ox0 + np - 1 of row oy, channels co0 .. co0 + cc - 1, into y's planes. */
        private void toPlanes(float[] t, int out, int img, int co0, int cc, int oy, int ox0, int np, boolean relu) {
            final int lc = gemm.laneChannels(), p = oh * ow;
            for (int j = 0; j < cc; j++) {
                int dst = (img * m + co0 + j) * p + oy * ow + ox0;
                if (residual == null) {
                    for (int r = 0; r < np; r++) {
                        y[dst + r] = t[out + r * lc + j];
                    }
                } else if (relu) {              // as CpuElementwise.addRelu: the same value
                    for (int r = 0; r < np; r++) {
                        y[dst + r] = Math.max(t[out + r * lc + j] + residual[dst + r], 0f);
                    }
                } else {
                    for (int r = 0; r < np; r++) {
                        y[dst + r] = t[out + r * lc + j] + residual[dst + r];
                    }
                }
            }
        }

        /** As {@link #toPlanes}, into y's channel blocks: each pixel's channels of one block a run of floats. */
        private void toBlocks(float[] t, int out, int img, int co0, int cc, int oy, int ox0, int np, boolean relu) {
            final int lc = gemm.laneChannels(), block = GemmKernel.LANE_BLOCK, p = oh * ow;
            for (int r = 0; r < np; r++) {
                for (int j0 = 0; j0 < cc; ) {
                    int run = Math.min(cc - j0, block - (co0 + j0) % block);
                    int dst = yb.at(img, co0 + j0, oy, ox0 + r), src = out + r * lc + j0;
                    if (residual == null) {
                        System.arraycopy(t, src, y, dst, run);
                    } else if (residualBlocked) {
                        for (int j = 0; j < run; j++) {
                            float v = t[src + j] + residual[dst + j];
                            y[dst + j] = relu ? Math.max(v, 0f) : v;
                        }
                    } else {
                        int res = (img * m + co0 + j0) * p + oy * ow + ox0 + r;
                        for (int j = 0; j < run; j++) {
                            float v = t[src + j] + residual[res + j * p];
                            y[dst + j] = relu ? Math.max(v, 0f) : v;
                        }
                    }
                    j0 += run;
                }
            }
        }
    }

    /**
     * Padded input floats per group up to which a stride-1 convolution with a large weight panel still takes the
     * implicit GEMM, the whole image as one run of GEMM columns and the output channels split among the tasks, so
     * the weights are streamed once: the small deep maps of a ResNet (512 channels at 7 x 7, 256 at 14 x 14), where
     * building im2col's rows from runs of 7 or 14 pixels cost as much as the arithmetic.
     */
    static final int IMPLICIT_SMALL_IMAGE = 96 * 1024;

    /** Whether one group's zero-padded input is small enough to be read in place by every output-channel block. */
    private static boolean smallImage(int[] xs, int[] ws, ConvSpec s, PhasePlanes ph) {
        if (xs[0] > 1) {
            return false; // a batch of small images goes as one run of columns through im2col (foldedIm2col)
        }
        return (long) ws[1] * ph.count * ph.rows(s.outH()) * ph.width <= IMPLICIT_SMALL_IMAGE;
    }

    /**
     * The zero-padded input of a convolution with stride (sh, sw) split into phase planes: plane (ry, rx) of a channel holds
     * padded pixels (j*sh + ry, i*sw + rx) at (j, i). Output pixel (oy, ox) finds tap (ky, kx) in plane
     * ((ky*dh) mod sh, (kx*dw) mod sw) at (oy + ky*dh / sh, ox + kx*dw / sw): one offset per tap, the same for every output
     * pixel, as for a stride-1 convolution over the padded input itself (then there is one plane, the padded input). Only
     * the phases some tap reads are made (a 1x1 / 2 convolution reads a quarter of its input).
     */
    static final class PhasePlanes {
        /** Planes per input channel. */
        final int count;
        /** Extra plane rows and columns the taps reach past an output row or column. */
        final int rowReach, colReach;
        /** Plane width: output width + colReach. */
        final int width;
        /** Row and column phase of each plane. */
        final int[] rowPhase, colPhase;
        private final int[] slot;
        private final int sh, sw, dh, dw, kw;

        PhasePlanes(int[] ws, ConvSpec s) {
            sh = s.strideH();
            sw = s.strideW();
            dh = s.dilationH();
            dw = s.dilationW();
            kw = ws[3];
            rowReach = dh * (ws[2] - 1) / sh;
            colReach = dw * (kw - 1) / sw;
            width = s.outW() + colReach;
            slot = new int[sh * sw];
            java.util.Arrays.fill(slot, -1);
            int[] ry = new int[sh * sw], rx = new int[sh * sw];
            int n = 0;
            for (int ky = 0; ky < ws[2]; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int phase = ky * dh % sh * sw + kx * dw % sw;
                    if (slot[phase] < 0) {
                        ry[n] = ky * dh % sh;
                        rx[n] = kx * dw % sw;
                        slot[phase] = n++;
                    }
                }
            }
            count = n;
            rowPhase = java.util.Arrays.copyOf(ry, n);
            colPhase = java.util.Arrays.copyOf(rx, n);
        }

        /** Plane rows read by {@code outRows} output rows. */
        int rows(int outRows) {
            return outRows + rowReach;
        }

        /** The image row that row j of plane p holds (outside [0, h): a padding row). */
        int imageRow(int p, int j, ConvSpec s) {
            return j * sh + rowPhase[p] - s.padTop();
        }

        /** Column i of plane p holds image column i*sw - left(p) (outside [0, wd): padding). */
        int left(int p, ConvSpec s) {
            return s.padLeft() - colPhase[p];
        }

        /** The first plane column inside an image row, for a plane with {@link #left} {@code left}. */
        int firstInside(int left) {
            return Math.min(width, Math.max(0, Math.floorDiv(left + sw - 1, sw)));
        }

        /** One past the last plane column inside an image row wd wide (not below {@link #firstInside}). */
        int endInside(int left, int wd) {
            return Math.max(firstInside(left), Math.min(width, Math.floorDiv(wd - 1 + left, sw) + 1));
        }

        /** What a convolution's taps depend on: {@link #taps} is a function of these alone. */
        private record TapsKey(int channels, int kh, int kw, int sh, int sw, int dh, int dw, int plane, int width, boolean blocked) {
        }

        /**
         * Taps made before, read-only and shared: made on every call, the offsets of 512 channels x 9 taps took 2 % of
         * ResNet-18's run at batch 1 (JFR samples). Cleared when it grows past {@link #TAPS_CACHED} geometries.
         */
        private static final java.util.concurrent.ConcurrentHashMap<TapsKey, int[]> TAPS = new java.util.concurrent.ConcurrentHashMap<>();
        private static final int TAPS_CACHED = 256;

        /**
         * The offset from output pixel (0, 0) of every tap r = (c*kh + ky)*kw + kx of {@code channels} input channels
         * (im2col's row order), with planes of {@code plane} floats, each channel's planes after the last channel's; or
         * {@code blocked}: the planes of a block of {@link GemmKernel#LANE_BLOCK} channels after the last block's, each
         * pixel LANE_BLOCK floats, its block's channels side by side. Shared between calls: do not write into it.
         */
        int[] taps(int channels, int kh, int plane, boolean blocked) {
            TapsKey key = new TapsKey(channels, kh, kw, sh, sw, dh, dw, plane, width, blocked);
            int[] known = TAPS.get(key);
            if (known != null) {
                return known;
            }
            if (TAPS.size() >= TAPS_CACHED) {
                TAPS.clear();
            }
            int[] made = makeTaps(channels, kh, plane, blocked);
            TAPS.put(key, made);
            return made;
        }

        private int[] makeTaps(int channels, int kh, int plane, boolean blocked) {
            final int b = GemmKernel.LANE_BLOCK;
            int[] taps = new int[channels * kh * kw];
            for (int r = 0; r < taps.length; r++) {
                int c = r / (kh * kw), ky = r / kw % kh, kx = r % kw;
                int p = slot[ky * dh % sh * sw + kx * dw % sw], at = ky * dh / sh * width + kx * dw / sw;
                taps[r] = blocked ? ((c / b * count + p) * plane + at) * b + c % b : (c * count + p) * plane + at;
            }
            return taps;
        }
    }

    /**
     * Output channels per task when the other work splits into only {@code otherTasks} tasks: {@code mg} halved, in
     * whole register tiles of {@code unit} rows, until there are at least two tasks per thread.
     */
    private static int channelBlock(int mg, int unit, long otherTasks, CpuThreads threads) {
        int mb = mg;
        while (mb > unit && otherTasks * ((mg + mb - 1) / mb) < 2L * threads.threads()) {
            mb = Math.max(unit, (mb / 2 + unit - 1) / unit * unit);
        }
        return mb;
    }

    /** Output channels below which a 1x1 convolution is sums of scaled planes rather than a GEMM: one register tile's rows. */
    static final int POINTWISE_FEW_CHANNELS = 8;

    /**
     * A 1x1, stride-1, unpadded convolution into few channels (a segmentation network's output layer, 16 -> 1): each
     * output plane the bias plus the input planes scaled by their weights, a loop the JIT vectorises, in chunks of
     * pixels whose input stays in cache for all the outputs. The GEMM computed a whole register tile of 8 rows for each
     * output channel and packed x on the way (the U-Net's 16 -> 1 at 512^2, AbLoop: 1.2-1.5 -> 0.74 ms).
     */
    static float[] pointwiseFewChannels(CpuThreads threads, float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s,
                                        float[] y) {
        final int n = xs[0], cIn = xs[1], p = xs[2] * xs[3], m = ws[0];
        final int chunk = 4096;
        final int chunks = (p + chunk - 1) / chunk;
        threads.forEach(n * chunks, task -> {
            int img = task / chunks;
            int q0 = task % chunks * chunk, q1 = Math.min(p, q0 + chunk);
            for (int mo = 0; mo < m; mo++) {
                int out = (img * m + mo) * p;
                java.util.Arrays.fill(y, out + q0, out + q1, bias == null ? 0f : bias[mo]);
                int c = 0;
                for (; c + 4 <= cIn; c += 4) {                 // in the GEMM's order (bias, then channel by channel), four planes a pass
                    float w0 = w[mo * cIn + c], w1 = w[mo * cIn + c + 1], w2 = w[mo * cIn + c + 2], w3 = w[mo * cIn + c + 3];
                    int in = (img * cIn + c) * p;
                    for (int q = q0; q < q1; q++) {
                        float v = Math.fma(w0, x[in + q], y[out + q]);
                        v = Math.fma(w1, x[in + p + q], v);
                        v = Math.fma(w2, x[in + 2 * p + q], v);
                        y[out + q] = Math.fma(w3, x[in + 3 * p + q], v);
                    }
                }
                for (; c < cIn; c++) {
                    float wc = w[mo * cIn + c];
                    int in = (img * cIn + c) * p;
                    for (int q = q0; q < q1; q++) {
                        y[out + q] = Math.fma(wc, x[in + q], y[out + q]);
                    }
                }
                CpuElementwise.apply(s.activation(), y, out + q0, y, out + q0, q1 - q0);
            }
        });
        return y;
    }

    /** A 1x1, stride-1, unpadded convolution: its im2col matrix is x itself. */
    private static boolean readsInputAsIs(int[] xs, int[] ws, ConvSpec s) {
        return ws[2] == 1 && ws[3] == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padTop() == 0 && s.padLeft() == 0
                && s.outH() == xs[2] && s.outW() == xs[3];
    }

    /** The convolution as GEMMs over im2col tiles (a 1x1 stride-1 unpadded one over x itself). */
    static float[] im2colGemm(CpuThreads threads, float[] x, int[] xs, float[] w, CpuStorage packs, int[] ws, float[] bias, ConvSpec s,
                              float[] y) {
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int m = ws[0], kh = ws[2], kw = ws[3];
        final int groups = s.groups();
        final int cg = cIn / groups, mg = m / groups;
        final int oh = s.outH(), ow = s.outW();
        final int p = oh * ow;
        final int k = cg * kh * kw;
        final boolean direct = readsInputAsIs(xs, ws, s);
        final boolean vector = Sgemm.vector() != null;
        // column tile: big enough for a long vectorised inner loop, small enough to stay in cache,
        // a multiple of 16 floats so no scalar tail is left after the vector loop. The vector GEMM
        // packs its own K blocks (im2col straight into its panels), so its tile does not shrink with K.
        int t = vector ? VECTOR_TILE : Math.max(64, Math.min(1024, TILE_FLOATS / Math.max(1, k)) & ~15);
        // ... and enough tiles that every thread has work even for one image
        while (t > 64 && (long) n * groups * ((p + t - 1) / t) < 2L * threads.threads()) {
            t = Math.max(64, (t / 2) & ~15);
        }
        final int tile = Math.min(t, p);
        final int tiles = (p + tile - 1) / tile;
        final GemmKernel gemm = vector && !direct ? Sgemm.vector() : null;
        // a batch of small images (ResNet's 14 x 14 and 7 x 7 maps): their pixels as one run of GEMM columns
        final boolean fold = gemm != null && n > 1 && p < VECTOR_TILE && p % gemm.tileColumns() != 0;
        // still too few tasks (a small image deep in a network: 7 x 7 pixels, 512 channels): output channels
        // are split as well, in whole register tiles (then the im2col matrix is shared: sharedIm2col)
        int mb = gemm != null && !fold ? channelBlock(mg, gemm.tileRows(), (long) n * groups * tiles, threads) : mg;
        final float[] packed = gemm == null ? null : packedWeights(gemm, w, packs, groups, mg, k, mb);
        // strided: each input row regrouped by phase (ix mod stride), so every im2col row segment is one contiguous
        // copy instead of a gather (ResNet's 7x7 / 2 first layer spent most of its time gathering)
        final boolean phased = gemm != null && s.strideW() > 1;
        final float[] src = phased ? phaseSplit(threads, x, n * cIn * h, wd, s.strideW()) : x;
        try {
            if (fold) {
                return foldedIm2col(threads, src, phased, xs, ws, bias, s, y, gemm, packed);
            }
            if (mb < mg) {
                return sharedIm2col(threads, src, phased, xs, ws, bias, s, y, gemm, packed, mb, tile);
            }
            final int packedSize = gemm == null ? 0 : gemm.packedSize(mg, k);
            threads.forEach(n * groups * tiles, task -> {
                int tIdx = task % tiles;
                int g = (task / tiles) % groups;
                int img = task / (tiles * groups);
                int p0 = tIdx * tile;
                int pb = Math.min(tile, p - p0);
                int xOff = (img * cIn + g * cg) * h * wd;         // x[img][g*cg][0][0]
                int yOff = (img * m + g * mg) * p + p0;           // y[img][g*mg][p0]
                int wOff = g * mg * k;                            // w[g*mg][0][0][0], a [mg, k] matrix
                if (gemm != null) {
                    // col rows made on the fly as the GEMM packs each K block
                    Sgemm.multiplyPacked(mg, pb, k, packed, g * packedSize,
                            (r, j0, nb, dst, dOff) -> im2colRow(src, phased, xOff, h, wd, kh, kw, s, ow, p0 + j0, nb, r, dst, dOff),
                            y, yOff, p, bias, g * mg, s.activation());
                } else if (direct) {
                    // x[img][g*cg + c][p] is already col[c][p]
                    Sgemm.multiply(mg, pb, k, w, wOff, k, src, xOff + p0, p, y, yOff, p, bias, g * mg, s.activation());
                } else {
                    float[][] col = Workspace.get().col(k, pb);
                    im2col(src, xOff, h, wd, cg, kh, kw, s, ow, p0, pb, col);
                    Sgemm.multiply(mg, pb, k, w, wOff, k, col, y, yOff, p, bias, g * mg, s.activation());
                }
            });
            return y;
        } finally {
            if (phased) {
                threads.giveBack(src);
            }
        }
    }

    /**
     * A copy of x (rows of {@code wd}) with each row regrouped by phase: x[row][ix] moves to
     * row * wd + {@link #phaseStart}(ix mod stride) + ix / stride. Borrowed from {@code threads}: give it back.
     */
    static float[] phaseSplit(CpuThreads threads, float[] x, int rows, int wd, int stride) {
        float[] out = threads.borrow(rows * wd);
        threads.forRange(rows, Math.max(1, 4096 / Math.max(1, wd)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * wd;
                for (int q = 0; q < stride; q++) {
                    int d = base + phaseStart(q, wd, stride);
                    for (int ix = q; ix < wd; ix += stride) {
                        out[d++] = x[base + ix];
                    }
                }
            }
        });
        return out;
    }

    /** Where phase q (the columns ix with ix mod stride = q) starts within a phase-split row of wd. */
    private static int phaseStart(int q, int wd, int stride) {
        return q * (wd / stride) + Math.min(q, wd % stride);
    }

    /**
     * The im2col GEMM when output channels are split across tasks (few pixels): the im2col matrix of an image
     * is built once, by all threads, and every block of output channels reads it in place. Made per task, it
     * would be built again for each block, and its short rows (7 pixels a row at 7 x 7) cost more than the
     * arithmetic.
     */
    private static float[] sharedIm2col(CpuThreads threads, float[] x, boolean phased, int[] xs, int[] ws, float[] bias, ConvSpec s,
                                        float[] y, GemmKernel gemm, float[] packed, int mBlock, int tile) {
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int m = ws[0], kh = ws[2], kw = ws[3];
        final int groups = s.groups();
        final int cg = cIn / groups, mg = m / groups;
        final int ow = s.outW(), p = s.outH() * ow;
        final int k = cg * kh * kw;
        final int mBlocks = (mg + mBlock - 1) / mBlock, tiles = (p + tile - 1) / tile;
        final int packedSize = gemm.packedSize(mBlock, k);
        final int[] rows = new int[k];
        for (int r = 0; r < k; r++) {
            rows[r] = r * p;
        }
        // the GEMM reads whole register tiles: the last row may be read past its end
        final int colLength = groups * k * p + gemm.tileColumns();
        final float[] col = threads.borrow(colLength);
        try {
            java.util.Arrays.fill(col, groups * k * p, colLength, 0f); // not to col.length: a borrowed array may be far longer
            for (int img = 0; img < n; img++) {
                final int image = img;
                threads.forRange(groups * k, 64, (from, to) -> {
                    for (int gr = from; gr < to; gr++) {
                        im2colRow(x, phased, (image * cIn + gr / k * cg) * h * wd, h, wd, kh, kw, s, ow, 0, p, gr % k, col, gr * p);
                    }
                });
                threads.forEach(groups * mBlocks * tiles, task -> {
                    int mIdx = task % mBlocks;
                    int tIdx = task / mBlocks % tiles;
                    int g = task / (mBlocks * tiles);
                    int m0 = mIdx * mBlock, p0 = tIdx * tile;
                    Sgemm.multiplyRows(Math.min(mBlock, mg - m0), Math.min(tile, p - p0), k, packed, (g * mBlocks + mIdx) * packedSize,
                            col, g * k * p + p0, rows, y, (image * m + g * mg + m0) * p + p0, p, bias, g * mg + m0, s.activation());
                });
            }
        } finally {
            threads.giveBack(col);
        }
        return y;
    }

    /**
     * The im2col GEMM over a batch of small images with their pixels as one run of n * p GEMM columns: register
     * tiles fill across image boundaries instead of each image ending in a partly used tile (7 x 7 = 49 columns
     * take two 32-wide tiles, 77 % used). Each task's block of C goes through a scratch block into the images'
     * planes.
     */
    private static float[] foldedIm2col(CpuThreads threads, float[] x, boolean phased, int[] xs, int[] ws, float[] bias, ConvSpec s,
                                        float[] y, GemmKernel gemm, float[] packed) {
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int m = ws[0], kh = ws[2], kw = ws[3];
        final int groups = s.groups();
        final int cg = cIn / groups, mg = m / groups;
        final int ow = s.outW(), p = s.outH() * ow;
        final int k = cg * kh * kw;
        final int total = n * p;
        int t = VECTOR_TILE;                                 // columns per task: whole register tiles
        while (t > gemm.tileColumns() && (long) groups * ((total + t - 1) / t) < 2L * threads.threads()) {
            t = Math.max(gemm.tileColumns(), t / 2 / gemm.tileColumns() * gemm.tileColumns());
        }
        final int tile = t;
        final int tiles = (total + tile - 1) / tile;
        final int packedSize = gemm.packedSize(mg, k);
        threads.forEach(groups * tiles, task -> {
            int g = task / tiles;
            int q0 = (task % tiles) * tile;
            int qb = Math.min(tile, total - q0);
            float[] out = Workspace.get().rows(mg * qb);
            Sgemm.multiplyPacked(mg, qb, k, packed, g * packedSize, (r, j0, nb, dst, dOff) -> {
                for (int q = q0 + j0, end = q + nb; q < end; ) {  // column q = image q / p, pixel q % p
                    int img = q / p, pix = q % p, len = Math.min(end - q, p - pix);
                    im2colRow(x, phased, (img * cIn + g * cg) * h * wd, h, wd, kh, kw, s, ow, pix, len, r, dst, dOff + q - q0 - j0);
                    q += len;
                }
            }, out, 0, qb, bias, g * mg, s.activation());
            for (int q = q0, end = q0 + qb; q < end; ) {
                int img = q / p, pix = q % p, len = Math.min(end - q, p - pix);
                for (int co = 0; co < mg; co++) {
                    System.arraycopy(out, co * qb + q - q0, y, (img * m + g * mg + co) * p + pix, len);
                }
                q += len;
            }
        });
        return y;
    }

    /** How weights were packed: the GEMM's register tile fixes the rest. */
    private record PackKey(int groups, int mg, int k, int mBlock) {
    }

    /**
     * The weights [groups x mg, k] packed for {@link GemmKernel#multiplyPacked} / {@link GemmKernel#multiplyRows}
     * in blocks of {@code mBlock} output channels, block b of group g from (g * blocks + b) * packedSize(mBlock, k).
     * Kept with w's storage ({@code packs}): a model's weights are packed on its first run only (packing a
     * 512-channel 3x3 layer, 2.4 M weights, costs as much as running it on a 7 x 7 image).
     */
    static float[] packedWeights(GemmKernel gemm, float[] w, CpuStorage packs, int groups, int mg, int k, int mBlock) {
        java.util.function.Supplier<float[]> make = () -> {
            int blocks = (mg + mBlock - 1) / mBlock;
            int size = gemm.packedSize(mBlock, k);
            float[] packed = new float[groups * blocks * size];
            for (int blk = 0; blk < groups * blocks; blk++) {
                int m0 = blk % blocks * mBlock;
                gemm.pack(Math.min(mBlock, mg - m0), k, w, (blk / blocks * mg + m0) * k, k, packed, blk * size);
            }
            return packed;
        };
        return packs == null ? make.get() : packs.derived(new PackKey(groups, mg, k, mBlock), make);
    }

    /**
     * A convolution as an implicit GEMM over zero-padded input rows, B never built. With the padded
     * planes (rows of wp, a task's band of them or all their rows when the tasks share one copy; for a stride above 1
     * the input's {@link PhasePlanes}) read as flat rows, output pixel (oy, ox) at q = oy*wp + ox finds tap (c, ky, kx) at
     * {@code xp[tap + q]} (stride 1: tap = c*plane + ky*dh*wp + kx*dw): one offset per tap, the same for every q. So row r of im2col's B is the padded input itself from that offset on, and the GEMM reads it in
     * place; im2col copied every input pixel kh*kw times per use, which cost as much as the arithmetic
     * when there are few output channels. One GEMM per output row (its ow columns; the wrap into the next
     * flat row is never computed) writes that row of every output channel straight into y; rows whose width
     * is not a whole number of register tiles go several to a GEMM through a scratch block. Same sums in
     * the same order as the im2col path: the same numbers.
     */
    static float[] implicitGemm(CpuThreads threads, float[] x, int[] xs, float[] w, CpuStorage packs, int[] ws, float[] bias,
                                ConvSpec s, PhasePlanes ph, float[] y) {
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int m = ws[0], kh = ws[2], kw = ws[3];
        final int groups = s.groups();
        final int cg = cIn / groups, mg = m / groups;
        final int oh = s.outH(), ow = s.outW();
        final int k = cg * kh * kw;
        final int wp = ph.width;
        final GemmKernel gemm = Sgemm.vector();
        int rows = Math.max(BAND_MIN_ROWS, VECTOR_TILE / wp); // output rows per task
        while (rows > 1 && (long) groups * ((oh + rows - 1) / rows) < 2L * threads.threads()) {
            rows = (rows + 1) / 2;
        }
        // every task takes all the output channels and a band of rows; but with a weight panel too big for L2 (see
        // smallImage), or a small image whose row bands would leave a task a few register tiles of columns against all
        // the weights (ResNet's 1x1 / 2 shortcut at 14^2: 2 rows of 7), every task takes the whole image and a block of
        // output channels (whole register tiles), so each weight is read once
        final boolean wholeImage = (long) mg * k > IMPLICIT_MAX_PANEL
                || rows * wp < BAND_MIN_COLUMN_TILES * gemm.tileColumns() && smallImage(xs, ws, s, ph);
        final int rowsPerTask = wholeImage ? oh : rows;
        final int blocks = (oh + rowsPerTask - 1) / rowsPerTask;
        // wholeImage: one zero-padded copy of each image, all its planes (all their rows), shared by the tasks; else each
        // task pads only the input rows its output rows read (bandRows per plane) into a per-thread band that stays in
        // cache: the whole padded copy moved ~100 MB through memory per U-Net run at 512^2 (4.6-5.2 ms of 78-89)
        final int bandRows = ph.rows(wholeImage ? oh : rowsPerTask);
        final int plane = bandRows * wp;
        final int channelPlanes = ph.count * plane;           // one input channel's phase planes
        // the GEMM reads whole register tiles: a flat row's tail may run past the last plane
        final int padded = (wholeImage ? cIn : cg) * channelPlanes + wp + 2 * gemm.tileColumns();
        final int[] taps = ph.taps(cg, kh, plane, false);     // offset of tap r within a group's planes
        final int mBlock = wholeImage ? channelBlock(mg, gemm.tileRows(), groups, threads) : mg;
        final int mBlocks = (mg + mBlock - 1) / mBlock;
        final int packedSize = gemm.packedSize(mBlock, k);
        final float[] packed = packedWeights(gemm, w, packs, groups, mg, k, mBlock);
        // rows that are not whole register tiles wide (a ResNet's 56, 28, 14) would each end in a partial tile,
        // computed through a scratch tile: those go several rows per GEMM through a scratch block instead
        final boolean rowsAtOnce = ow % gemm.tileColumns() != 0 || wholeImage;
        final float[] xp = wholeImage ? threads.borrow(padded) : null;
        try {
            if (wholeImage) {
                // not to xp.length: a borrowed array may be far longer (zeroing a 32-channel 514^2 plane's array for a
                // 16-channel 258^2 one cost the U-Net's first layer at 256^2 1.5 ms a run)
                java.util.Arrays.fill(xp, cIn * channelPlanes, padded, 0f);
            }
            for (int img = 0; img < n; img++) {
                final int image = img;
                if (wholeImage) {
                    threads.forEach(cIn, c -> padRows(x, (image * cIn + c) * h * wd, h, wd, s, ph, 0, bandRows, xp, c * channelPlanes, wp, plane));
                }
                threads.forEach(groups * mBlocks * blocks, task -> {
                    int g = task / (blocks * mBlocks);
                    int mIdx = task / blocks % mBlocks;
                    int r0 = (task % blocks) * rowsPerTask;
                    int nr = Math.min(rowsPerTask, oh - r0);
                    float[] src = xp;
                    int base = g * cg * channelPlanes + r0 * wp;   // output row r0's taps, in xp
                    if (!wholeImage) {
                        // plane rows r0 .. r0 + nr - 1 + rowReach of the group's planes; the tail past them is only
                        // read for columns that are computed and dropped
                        src = Workspace.get().band(padded);
                        for (int c = 0; c < cg; c++) {
                            padRows(x, (image * cIn + g * cg + c) * h * wd, h, wd, s, ph, r0, ph.rows(nr), src, c * channelPlanes, wp, plane);
                        }
                        base = 0;
                    }
                    if (rowsAtOnce) {
                        // the block's rows as one flat run of nr * wp columns (the wrap between rows computed and
                        // dropped): a partial register tile per block, not per row
                        int cols = nr * wp;
                        int m0 = mIdx * mBlock;
                        int mc = Math.min(mBlock, mg - m0);
                        // no wrap (a 1 x 1 / 2 shortcut): the run is the output rows themselves, written straight into y
                        boolean inPlace = wp == ow;
                        int dst0 = ((image * m + g * mg + m0) * oh + r0) * ow;
                        float[] out = inPlace ? y : Workspace.get().rows(mc * cols);
                        Sgemm.multiplyRows(mc, cols, k, packed, (g * mBlocks + mIdx) * packedSize, src, base, taps,
                                out, inPlace ? dst0 : 0, inPlace ? oh * ow : cols, bias, g * mg + m0, s.activation());
                        if (!inPlace) { // each output row without its wrap columns
                            for (int co = 0; co < mc; co++) {
                                for (int r = 0; r < nr; r++) {
                                    System.arraycopy(out, co * cols + r * wp, y, dst0 + co * oh * ow + r * ow, ow);
                                }
                            }
                        }
                        return;
                    }
                    for (int r = 0; r < nr; r++) { // output row r0 + r of every channel, straight into y
                        Sgemm.multiplyRows(mg, ow, k, packed, g * packedSize, src, base + r * wp, taps,
                                y, ((image * m + g * mg) * oh + r0 + r) * ow, oh * ow, bias, g * mg, s.activation());
                    }
                });
            }
        } finally {
            if (xp != null) {
                threads.giveBack(xp);
            }
        }
        return y;
    }

    /** Register tiles of columns below which a task's band of output rows is too thin to read all the weights for. */
    static final int BAND_MIN_COLUMN_TILES = 4;

    /** Output rows per task at least, when each task pads its own input rows: (rows + kh - 1) / rows copies per input row. */
    static final int BAND_MIN_ROWS = 4;

    /**
     * Rows first .. first + count - 1 of one channel's phase planes (the channel: h x wd, from sOff), plane p from
     * {@code d + p * plane}: row j of plane (ry, rx) holds padded input row (first + j)*sh + ry, its
     * columns rx, rx + sw, ..., zeros outside the image.
     */
    private static void padRows(float[] src, int sOff, int h, int wd, ConvSpec s, PhasePlanes ph, int first, int count,
                                float[] dst, int d, int wp, int plane) {
        final int sw = s.strideW();
        for (int p = 0; p < ph.count; p++) {
            int left = ph.left(p, s), lo = ph.firstInside(left), hi = ph.endInside(left, wd);
            int o0 = d + p * plane;
            // narrow rows (7 pixels deep in a ResNet): one fill of all of them, then only the image's part of each row, as
            // per-row border fills cost more in calls than in copies (512 channels at 7 x 7, one thread: 37 -> 24 us); wide rows fill
            // only their borders, so each element is written once
            boolean narrow = wp < NARROW_ROW;
            if (narrow) {
                java.util.Arrays.fill(dst, o0, o0 + count * wp, 0f);
            }
            for (int j = 0, o = o0; j < count; j++, o += wp) {
                int iy = ph.imageRow(p, first + j, s);
                if (iy < 0 || iy >= h) {
                    if (!narrow) {
                        java.util.Arrays.fill(dst, o, o + wp, 0f);
                    }
                    continue;
                }
                if (!narrow) {
                    java.util.Arrays.fill(dst, o, o + lo, 0f);
                    java.util.Arrays.fill(dst, o + hi, o + wp, 0f);
                }
                int row = sOff + iy * wd - left;
                if (sw == 1) {
                    System.arraycopy(src, row + lo, dst, o + lo, hi - lo);
                } else {
                    for (int i = lo; i < hi; i++) {
                        dst[o + i] = src[row + i * sw];
                    }
                }
            }
        }
    }

    /**
     * Row j of phase plane p of channel block b of image img, the block's channels side by side: dst[d + i*LANE_BLOCK + c]
     * = padded input row j*sh + ry, column i*sw + rx of channel b*LANE_BLOCK + c; zeros outside the image; block slots
     * past the input's channels are left as they are (no tap reads them). x is held as planes [n, c, h, w] (xb null:
     * reads along the image rows) or in channel blocks (copies whole pixels). Writes within one block row (in L1).
     */
    private static void padBlockRow(float[] x, ChannelBlocks xb, int[] xs, int img, int b, ConvSpec s, PhasePlanes ph, int p,
                                    int j, float[] dst, int d) {
        final int cIn = xs[1], h = xs[2], wd = xs[3], sw = s.strideW(), block = GemmKernel.LANE_BLOCK, wp = ph.width;
        int left = ph.left(p, s), lo = ph.firstInside(left), hi = ph.endInside(left, wd);
        int iy = ph.imageRow(p, j, s);
        if (iy < 0 || iy >= h) {
            java.util.Arrays.fill(dst, d, d + wp * block, 0f);
            return;
        }
        java.util.Arrays.fill(dst, d, d + lo * block, 0f);
        java.util.Arrays.fill(dst, d + hi * block, d + wp * block, 0f);
        if (xb != null) {
            int row = xb.at(img, b * block, iy, -left);         // plane column i holds image column i*sw - left
            if (sw == 1) {
                System.arraycopy(x, row + lo * block, dst, d + lo * block, (hi - lo) * block);
            } else {
                for (int i = lo; i < hi; i++) {
                    System.arraycopy(x, row + i * sw * block, dst, d + i * block, block);
                }
            }
            return;
        }
        int channels = Math.min(block, cIn - b * block);
        for (int c = 0; c < channels; c++) {
            int row = ((img * cIn + b * block + c) * h + iy) * wd - left;
            for (int i = lo; i < hi; i++) {
                dst[d + i * block + c] = x[row + i * sw];
            }
        }
    }

    /** Padded row width below which {@link #padRows} zeroes all rows at once. */
    private static final int NARROW_ROW = 64;

    /**
     * col[r][q] for r = (c*kh + ky)*kw + kx and q &lt; pb: the input pixel under kernel tap (ky, kx) for
     * output pixel p0 + q, or 0 in the padding.
     */
    static void im2col(float[] x, int xOff, int h, int wd, int cg, int kh, int kw, ConvSpec s, int ow,
                       int p0, int pb, float[][] col) {
        for (int r = 0; r < cg * kh * kw; r++) {                // col[c][ky][kx][q]
            im2colRow(x, false, xOff, h, wd, kh, kw, s, ow, p0, pb, r, col[r], 0);
        }
    }

    /**
     * One row of {@link #im2col}: dst[dOff + q] = col[r][q] for q &lt; pb. {@code phased}: x is a {@link #phaseSplit}
     * copy for the convolution's column stride.
     */
    static void im2colRow(float[] x, boolean phased, int xOff, int h, int wd, int kh, int kw, ConvSpec s, int ow,
                          int p0, int pb, int r, float[] dst, int dOff) {
        final int sh = s.strideH(), sw = s.strideW(), dh = s.dilationH(), dw = s.dilationW();
        final int kx = r % kw;
        final int ky = (r / kw) % kh;
        final int plane = xOff + (r / (kw * kh)) * h * wd;      // x[c][0][0]
        final int base = kx * dw - s.padLeft();                 // ix = ox*sw + base
        int q = 0;
        while (q < pb) {
            int pIdx = p0 + q;
            int oy = pIdx / ow;
            int ox0 = pIdx % ow;
            int run = Math.min(ow - ox0, pb - q);      // output pixels left in this output row
            int iy = oy * sh - s.padTop() + ky * dh;
            int o = dOff + q;
            if (iy < 0 || iy >= h) {
                Arrays.fill(dst, o, o + run, 0f);
            } else {
                // ix = ox*sw + base is inside [0, wd) for ox in [lo, hi]
                int lo = Math.max(ox0, -Math.floorDiv(base, sw));
                int hi = Math.min(ox0 + run - 1, Math.floorDiv(wd - 1 - base, sw));
                int row = plane + iy * wd;
                if (hi < lo) {
                    Arrays.fill(dst, o, o + run, 0f);
                } else {
                    int d = o + (lo - ox0);              // col position of output pixel lo
                    Arrays.fill(dst, o, d, 0f);
                    if (sw == 1) {
                        System.arraycopy(x, row + lo + base, dst, d, hi - lo + 1);
                    } else if (phased) {
                        // ix = ox*sw + base lies in phase floorMod(base, sw) at ox + floorDiv(base, sw): consecutive
                        int from = row + phaseStart(Math.floorMod(base, sw), wd, sw) + lo + Math.floorDiv(base, sw);
                        System.arraycopy(x, from, dst, d, hi - lo + 1);
                    } else {
                        for (int ox = lo; ox <= hi; ox++) {
                            dst[d + ox - lo] = x[row + ox * sw + base];
                        }
                    }
                    Arrays.fill(dst, d + (hi - lo + 1), o + run, 0f);
                }
            }
            q += run;
        }
    }

    static float[] convTranspose2d(CpuThreads threads, float[] x, int[] xs, float[] w, int[] ws, float[] bias, ConvSpec s, float[] y) {
        if (CpuDepthwiseConv.handlesTranspose(xs, ws, s)) { // one input channel per output channel: direct
            return CpuDepthwiseConv.convTranspose2d(threads, x, xs, w, ws, bias, s, y);
        }
        final int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        final int groups = s.groups();
        final int cg = cIn / groups, mg = ws[1], m = mg * groups;
        final int kh = ws[2], kw = ws[3], kk = kh * kw;
        final int oh = s.outH(), ow = s.outW();
        final int hw = h * wd;
        // wT[g][m'*kk + tap][c] = w[g*cg + c][m'][tap]: A of the GEMM, row-major [mg*kk, cg] per group
        float[] wT = new float[w.length];
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < cg; c++) {                     // w[g*cg + c][m'][tap]
                for (int r = 0; r < mg * kk; r++) {
                    wT[(g * mg * kk + r) * cg + c] = w[(g * cg + c) * mg * kk + r];
                }
            }
        }
        // channels per task so that a task's col block stays near 1 MiB
        final int mb = Math.max(1, Math.min(mg, (1 << 18) / Math.max(1, kk * hw)));
        final int blocks = (mg + mb - 1) / mb;
        threads.forEach(n * groups * blocks, task -> {
            int blk = task % blocks;
            int g = (task / blocks) % groups;
            int img = task / (blocks * groups);
            int m0 = blk * mb;
            int mc = Math.min(mb, mg - m0);
            float[] col = threads.borrow(mc * kk * hw);
            try {
                // col[(m'-m0)*kk + tap][iy*wd + ix] = sum_c w[g*cg + c][m'][tap] * x[img][g*cg + c][iy][ix]
                Sgemm.multiply(mc * kk, hw, cg, wT, (g * mg + m0) * kk * cg, cg,
                        x, (img * cIn + g * cg) * hw, hw, col, 0, hw, null, 0, org.neuralj.backend.Activation.NONE);
                for (int mi = 0; mi < mc; mi++) {
                    int ch = g * mg + m0 + mi;
                    int yOff = (img * m + ch) * oh * ow;          // y[img][ch][0][0]
                    Arrays.fill(y, yOff, yOff + oh * ow, bias == null ? 0f : bias[ch]);
                    for (int ky = 0; ky < kh; ky++) {             // col2im: y[oy][ox] += col[tap][iy][ix]
                        for (int kx = 0; kx < kw; kx++) {
                            int src = (mi * kk + ky * kw + kx) * hw;
                            for (int iy = 0; iy < h; iy++) {
                                int oy = iy * s.strideH() - s.padTop() + ky * s.dilationH();
                                if (oy < 0 || oy >= oh) {
                                    continue;
                                }
                                int yRow = yOff + oy * ow;
                                int sRow = src + iy * wd;
                                int base = kx * s.dilationW() - s.padLeft();
                                for (int ix = 0; ix < wd; ix++) {
                                    int ox = ix * s.strideW() + base;
                                    if (ox >= 0 && ox < ow) {
                                        y[yRow + ox] += col[sRow + ix];
                                    }
                                }
                            }
                        }
                    }
                    CpuElementwise.apply(s.activation(), y, yOff, y, yOff, oh * ow);
                }
            } finally {
                threads.giveBack(col);
            }
        });
        return y;
    }
}
