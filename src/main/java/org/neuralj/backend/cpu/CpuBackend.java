package org.neuralj.backend.cpu;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.PlaneOp;
import org.neuralj.backend.PlaneRows;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.TransferStats;
import org.neuralj.backend.UnaryOp;

/**
 * The plain-Java backend: the readable reference every other backend is checked against, and the
 * fallback when no OpenCL device exists. Tensors are {@code float[]}s on the Java heap; ops run on a
 * fork/join pool owned by this backend (closed in {@link #close()}). This class validates arguments
 * and shapes; the op families live in {@link CpuElementwise}, {@link CpuConv} (on {@link Sgemm}),
 * {@link CpuPool}, {@link CpuReduce}, {@link CpuMatmul}, {@link CpuMovement}, {@link CpuResize} and
 * {@link CpuFilters} (the image filters). Uploads and every op's result take their arrays from a pool
 * ({@link CpuBuffers}) that their tensors give back when closed.
 */
public final class CpuBackend implements Backend {
    private final CpuThreads threads;
    private final CpuBuffers buffers = new CpuBuffers();
    private final TransferStats transfers = new TransferStats();
    private volatile boolean closed;

    /** A backend using every available core. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend using {@code threads} worker threads (1 runs everything on the calling thread). */
    public CpuBackend(int threads) {
        this.threads = new CpuThreads(threads);
    }

    @Override
    public String name() {
        return "cpu (" + threads.threads() + (threads.threads() == 1 ? " thread)" : " threads)");
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public Tensor upload(float[] data, int... shape) {
        checkOpen();
        if (data == null || shape == null) {
            throw new IllegalArgumentException("upload: data and shape must not be null");
        }
        int n = elementCount(shape);
        if (data.length != n) {
            throw new ShapeMismatchException("upload: data has " + data.length + " floats but shape "
                    + Arrays.toString(shape) + " needs " + n);
        }
        transfers.countUpload(4L * n);
        float[] copy = buffers.take(n);
        copy(data, copy, 0, n);
        return pooled(copy, shape);
    }

    /** The array itself, no copy (see {@link Backend#view}). */
    @Override
    public Tensor view(float[] data, int... shape) {
        checkOpen();
        if (data == null || shape == null) {
            throw new IllegalArgumentException("view: data and shape must not be null");
        }
        int n = elementCount(shape);
        if (data.length != n) {
            throw new ShapeMismatchException("view: data has " + data.length + " floats but shape "
                    + Arrays.toString(shape) + " needs " + n);
        }
        transfers.countUpload(4L * n);
        return new Tensor(this, new CpuStorage(data), shape);   // not pooled: the array is the caller's
    }

    @Override
    public float[] download(Tensor t) {
        storage(t, "t");                       // a null or closed tensor named before an array is made for it
        float[] into = new float[t.size()];
        download(t, into, 0);
        return into;
    }

    @Override
    public void download(Tensor t, float[] into, int offset) {
        CpuStorage s = storage(t, "t");
        int n = t.size();
        requireNonNull(into, "into");
        if (offset < 0 || (long) offset + n > into.length) {
            throw new IllegalArgumentException("download: " + n + " floats do not fit into an array of " + into.length
                    + " from offset " + offset);
        }
        transfers.countDownload(4L * n);
        ChannelBlocks blocks = s.blocks(t.shape());
        if (blocks != null) { // straight from the blocks: no planes made and then copied
            blocks.toPlanes(threads, s.held(), into, offset);
        } else {
            copy(s.planes(threads), into, offset, n);
        }
    }

    /** Copies n floats from the start of {@code from} into {@code into} at {@code offset}: a plane-sized copy is worth
     * all cores (one core does not saturate the memory bus). */
    private void copy(float[] from, float[] into, int offset, int n) {
        threads.forRange(n, 1 << 18, (a, b) -> System.arraycopy(from, a, into, offset + a, b - a));
    }

    @Override
    public Tensor allocate(int... shape) {
        checkOpen();
        return pooled(buffers.takeZeroed(elementCount(shape)), shape);
    }

    @Override
    public TransferStats transfers() {
        return transfers;
    }

    /** 1 Mi floats: a 4 MiB batch, its result and the filters' row buffers stay in the L3 (the test machine's: 32 MiB). */
    @Override
    public int preferredBatchFloats() {
        return 1 << 20;
    }

    // ---- element-wise -------------------------------------------------------------------------

    @Override
    public Tensor unary(Tensor x, Activation f) {
        float[] xd = data(x, "x");
        requireNonNull(f, "f");
        return pooled(CpuElementwise.unary(threads, xd, f, buffers.take(x.size())), x.shape());
    }

    @Override
    public Tensor binary(Tensor a, Tensor b, BinaryOp op, Activation after) {
        if (op == BinaryOp.ADD && after.op() == UnaryOp.RELU && Arrays.equals(a.shape(), b.shape())) {
            return pooled(CpuElementwise.addRelu(threads, data(a, "a"), data(b, "b"), buffers.take(a.size()), a.size()), a.shape());
        }
        return Backend.super.binary(a, b, op, after);
    }

    @Override
    public Tensor binary(Tensor a, Tensor b, BinaryOp op) {
        float[] ad = data(a, "a");
        float[] bd = data(b, "b");
        requireNonNull(op, "op");
        int[] out;
        try {
            out = Backend.broadcastShape(a.shape(), b.shape());
        } catch (ShapeMismatchException e) {
            throw new ShapeMismatchException("binary " + op + ": a " + Arrays.toString(a.shape()) + " and b "
                    + Arrays.toString(b.shape()) + " do not broadcast", e);
        }
        checkRank(out, "binary " + op + " output");
        return pooled(CpuElementwise.binary(threads, ad, a.shape(), bd, b.shape(), out, op, buffers.take(elementCount(out))), out);
    }

    // ---- convolution and pooling --------------------------------------------------------------

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec) {
        return conv2d(x, w, bias, spec, null);
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor residual) {
        CpuStorage xst = storage(x, "x");    // x read as it is held (channel blocks or planes) below
        float[] wd = data(w, "w");
        requireNonNull(spec, "spec");
        int[] xs = requireRank(x, 4, "conv2d input x [N, C, H, W]");
        int[] ws = requireRank(w, 4, "conv2d weight w [M, C/groups, kH, kW]");
        int g = spec.groups();
        if (xs[1] % g != 0 || ws[0] % g != 0 || ws[1] * g != xs[1]) {
            throw new ShapeMismatchException("conv2d: x " + Arrays.toString(xs) + " and w " + Arrays.toString(ws)
                    + " do not fit groups=" + g + " (need C = w[1]*groups and M divisible by groups)");
        }
        int[] out = {xs[0], ws[0], spec.outH(), spec.outW()};
        if (residual != null && !Arrays.equals(residual.shape(), out)) {
            throw new ShapeMismatchException("conv2d: residual " + Arrays.toString(residual.shape())
                    + " is not the output's shape " + Arrays.toString(out));
        }
        float[] bd = optionalBias(bias, ws[0], "conv2d", ws);
        CpuStorage packs = w.storage() instanceof CpuStorage st ? st : null;   // keeps the GEMM's packing of w
        if (CpuConv.usesLanes(xs, ws, spec) && (residual == null || CpuConv.addsResidual(xs, ws, spec))) {
            // channels in vector lanes: input and residual read as they are held, the output held in channel blocks
            // where they are whole (see ChannelBlocks)
            CpuStorage rst = residual == null ? null : storage(residual, "residual");
            ChannelBlocks yb = ws[0] % ChannelBlocks.BLOCK == 0 ? new ChannelBlocks(out[0], out[1], out[2], out[3], 1) : null;
            float[] y = buffers.take(yb != null ? yb.floats() : elementCount(out));
            ChannelBlocks xb = xst.blocks(xs), rb = rst == null ? null : rst.blocks(out);
            float[] xd = xst.read(xb, threads);
            float[] rd = rst == null ? null : rst.read(rb, threads);
            CpuConv.channelLanes(threads, xd, xb, xs, wd, packs, ws, bd, spec, rd, rb, y, yb);
            return yb == null ? pooled(y, out) : pooled(y, yb, out);
        }
        if (residual != null) {
            return Backend.super.conv2d(x, w, bias, spec, residual);
        }
        return pooled(CpuConv.conv2d(threads, xst.planes(threads), xs, wd, packs, ws, bd, spec, buffers.take(elementCount(out))),
                out);
    }

    /** Takes the lanes with the max-pool fused (CpuConv.lanesThenMaxPool) where they would take the convolution. */
    @Override
    public Tensor conv2dPool(Tensor x, Tensor w, Tensor bias, ConvSpec spec, PoolSpec pool) {
        CpuStorage xst = storage(x, "x");    // the tensors checked before their shapes are read, as in conv2d
        storage(w, "w");
        requireNonNull(spec, "spec");
        requireNonNull(pool, "pool");
        int[] xs = requireRank(x, 4, "conv2d input x [N, C, H, W]");
        int[] ws = requireRank(w, 4, "conv2d weight w [M, C/groups, kH, kW]");
        if (CpuConv.fusesMaxPool(xs, ws, spec, pool) && xs[1] == ws[1]) {
            float[] wd = data(w, "w");
            float[] bd = optionalBias(bias, ws[0], "conv2d", ws);
            CpuStorage packs = w.storage() instanceof CpuStorage st ? st : null;
            int[] out = {xs[0], ws[0], pool.outH(), pool.outW()};
            ChannelBlocks yb = new ChannelBlocks(out[0], out[1], out[2], out[3], 1), xb = xst.blocks(xs);
            float[] y = CpuConv.lanesThenMaxPool(threads, xst.read(xb, threads), xb, xs, wd, packs, ws, bd, spec, pool,
                    buffers.take(yb.floats()), yb);
            return pooled(y, yb, out);
        }
        return Backend.super.conv2dPool(x, w, bias, spec, pool);
    }

    @Override
    public Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec) {
        float[] xd = data(x, "x");
        float[] wd = data(w, "w");
        requireNonNull(spec, "spec");
        int[] xs = requireRank(x, 4, "convTranspose2d input x [N, C, H, W]");
        int[] ws = requireRank(w, 4, "convTranspose2d weight w [C, M/groups, kH, kW]");
        int g = spec.groups();
        if (ws[0] != xs[1] || xs[1] % g != 0) {
            throw new ShapeMismatchException("convTranspose2d: x " + Arrays.toString(xs) + " and w "
                    + Arrays.toString(ws) + " do not fit groups=" + g + " (need w[0] = C, C divisible by groups)");
        }
        int m = ws[1] * g;
        float[] bd = optionalBias(bias, m, "convTranspose2d", ws);
        int[] out = {xs[0], m, spec.outH(), spec.outW()};
        return pooled(CpuConv.convTranspose2d(threads, xd, xs, wd, ws, bd, spec, buffers.takeZeroed(elementCount(out))), out);
    }

    // ---- image filters ------------------------------------------------------------------------

    @Override
    public Tensor separable(Tensor x, LineFilter alongX, LineFilter alongY, PadMode edge) {
        float[] xd = data(x, "x");
        requireNonNull(edge, "edge");
        int[] s = planes(x, "separable");
        float[] y = buffers.take(x.size());
        if (x.size() > 0) {
            CpuFilters.stream(threads, CpuFilters.floats(xd, y, s[0], s[1], s[2]), new PlaneOp.Separable(alongX, alongY), edge, null);
        }
        return pooled(y, x.shape());
    }

    @Override
    public Tensor filter2d(Tensor x, float[] kernel, int kh, int kw, PadMode edge) {
        float[] xd = data(x, "x");
        requireNonNull(edge, "edge");
        Backend.checkKernel2d(kernel, kh, kw);
        int[] s = planes(x, "filter2d");
        float[] y = buffers.take(x.size());
        if (x.size() > 0) {
            CpuFilters.stream(threads, CpuFilters.floats(xd, y, s[0], s[1], s[2]), new PlaneOp.Dense(kernel, kh, kw), edge, null);
        }
        return pooled(y, x.shape());
    }

    @Override
    public Tensor sobelMagnitude(Tensor x, PadMode edge) {
        float[] xd = data(x, "x");
        requireNonNull(edge, "edge");
        int[] s = planes(x, "sobelMagnitude");
        float[] y = buffers.take(x.size());
        if (x.size() > 0) {
            CpuFilters.stream(threads, CpuFilters.floats(xd, y, s[0], s[1], s[2]), new PlaneOp.SobelMagnitude(), edge, null);
        }
        return pooled(y, x.shape());
    }

    /** Streams the rows through the op (conversions inside its first and last pass, nothing plane-sized in between). */
    @Override
    public void filterRows(PlaneRows rows, PlaneOp op, PadMode edge, IntConsumer planesDone) {
        checkOpen();
        requireNonNull(rows, "rows");
        requireNonNull(op, "op");
        requireNonNull(edge, "edge");
        CpuFilters.stream(threads, rows, op, edge, planesDone);
    }

    /** {planes, H, W} of x [..., H, W]. */
    private static int[] planes(Tensor x, String op) {
        if (x.rank() < 2) {
            throw new ShapeMismatchException(op + " needs planes x [..., H, W] of rank >= 2, got " + Arrays.toString(x.shape()));
        }
        int h = x.dim(-2), w = x.dim(-1);
        return new int[] {h * w == 0 ? 0 : x.size() / (h * w), h, w};
    }

    @Override
    public Tensor pool2d(Tensor x, PoolSpec spec) {
        CpuStorage xst = storage(x, "x");
        requireNonNull(spec, "spec");
        int[] xs = requireRank(x, 4, "pool2d input x [N, C, H, W]");
        int[] out = {xs[0], xs[1], spec.outH(), spec.outW()};
        ChannelBlocks xb = xst.blocks(xs);
        if (xb != null && CpuPool.poolsBlocks(spec)) {  // from blocks into blocks, for the convolution after it
            ChannelBlocks yb = new ChannelBlocks(out[0], out[1], out[2], out[3], 1);
            float[] y = CpuPool.maxOfBlocks(threads, xst.held(), xb, spec, buffers.take(yb.floats()), yb);
            return pooled(y, yb, out);
        }
        float[] xd = xst.planes(threads);
        return pooled(CpuPool.pool2d(threads, xd, xs, spec, buffers.take(elementCount(out))), out);
    }

    // ---- reductions and normalisation ---------------------------------------------------------

    @Override
    public Tensor softmax(Tensor x, int axis, boolean log) {
        float[] xd = data(x, "x");
        int[] s = x.shape();
        int ax = normaliseAxis(axis, s.length, "softmax axis", s);
        int outer = product(s, 0, ax);
        int inner = product(s, ax + 1, s.length);
        return pooled(CpuReduce.softmax(threads, xd, outer, s[ax], inner, log, buffers.take(x.size())), s);
    }

    @Override
    public Tensor reduce(Tensor x, ReduceOp op, boolean[] reduce) {
        CpuStorage xst = storage(x, "x");
        requireNonNull(op, "op");
        requireNonNull(reduce, "reduce");
        int[] s = x.shape();
        ChannelBlocks xb = xst.blocks(s);
        if (xb != null && (op == ReduceOp.SUM || op == ReduceOp.MEAN)
                && Arrays.equals(reduce, new boolean[] {false, false, true, true})) {   // a global pool of channel blocks
            int[] out = {s[0], s[1], 1, 1};
            return pooled(CpuReduce.sumOfBlocks(threads, xst.held(), xb, op == ReduceOp.MEAN,
                    buffers.take(elementCount(out))), out);
        }
        float[] xd = xst.planes(threads);
        if (reduce.length != s.length) {
            throw new ShapeMismatchException("reduce: the axis mask has " + reduce.length + " entries but x "
                    + Arrays.toString(s) + " has rank " + s.length);
        }
        int[] out = s.clone();
        int reduced = 0;
        int reducedLength = 1;
        for (int i = 0; i < s.length; i++) {
            if (reduce[i]) {
                out[i] = 1;
                reduced++;
                reducedLength *= s[i];
            }
        }
        if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN)) {
            if (reduced != 1) {
                throw new ShapeMismatchException("reduce " + op + " needs exactly one reduced axis; the mask "
                        + Arrays.toString(reduce) + " selects " + reduced + " of x " + Arrays.toString(s));
            }
            if (reducedLength == 0 && elementCount(out) > 0) {
                throw new ShapeMismatchException("reduce " + op + " over an empty axis of x " + Arrays.toString(s)
                        + " has no answer");
            }
        }
        return pooled(CpuReduce.reduce(threads, xd, s, op, reduce, out, buffers.takeZeroed(elementCount(out))), out);
    }

    // ---- linear algebra -----------------------------------------------------------------------

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        float[] ad = data(a, "a");
        float[] bd = data(b, "b");
        int[] as = a.shape();
        int[] bs = b.shape();
        if (as.length < 2 || bs.length < 2) {
            throw new ShapeMismatchException("matmul needs rank >= 2: a " + Arrays.toString(as) + ", b "
                    + Arrays.toString(bs));
        }
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new ShapeMismatchException("matmul: a " + Arrays.toString(as) + " has K = " + k + " but b "
                    + Arrays.toString(bs) + " has K = " + bs[bs.length - 2]);
        }
        int[] aBatch = Arrays.copyOf(as, as.length - 2);
        int[] bBatch = Arrays.copyOf(bs, bs.length - 2);
        int[] batch;
        try {
            batch = Backend.broadcastShape(aBatch, bBatch);
        } catch (ShapeMismatchException e) {
            throw new ShapeMismatchException("matmul: batch dimensions of a " + Arrays.toString(as) + " and b "
                    + Arrays.toString(bs) + " do not broadcast", e);
        }
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        checkRank(out, "matmul output");
        return pooled(CpuMatmul.matmul(threads, ad, aBatch, bd, bBatch, batch, m, k, n, buffers.takeZeroed(elementCount(out))), out);
    }

    // ---- data movement ------------------------------------------------------------------------

    @Override
    public Tensor strided(Tensor x, int offset, int[] strides, int[] outShape) {
        float[] xd = data(x, "x");
        requireNonNull(strides, "strides");
        requireNonNull(outShape, "outShape");
        if (strides.length != outShape.length) {
            throw new ShapeMismatchException("strided: strides " + Arrays.toString(strides) + " and outShape "
                    + Arrays.toString(outShape) + " differ in rank");
        }
        int size = elementCount(outShape);
        if (size > 0) {
            // the lowest and highest element the view touches must lie inside x
            long lo = offset;
            long hi = offset;
            for (int i = 0; i < strides.length; i++) {
                long span = (long) strides[i] * (outShape[i] - 1);
                if (span < 0) {
                    lo += span;
                } else {
                    hi += span;
                }
            }
            if (lo < 0 || hi >= x.size()) {
                throw new ShapeMismatchException("strided: offset " + offset + ", strides " + Arrays.toString(strides)
                        + " and outShape " + Arrays.toString(outShape) + " read elements " + lo + ".." + hi
                        + " outside x " + Arrays.toString(x.shape()) + " (" + x.size() + " elements)");
            }
        }
        return pooled(CpuMovement.strided(threads, xd, offset, strides.clone(), outShape.clone(), buffers.take(elementCount(outShape))), outShape);
    }

    @Override
    public Tensor concat(List<Tensor> xs, int axis) {
        checkOpen();
        if (xs == null || xs.isEmpty()) {
            throw new IllegalArgumentException("concat needs at least one tensor");
        }
        int[] first = xs.get(0).shape();
        int ax = normaliseAxis(axis, first.length, "concat axis", first);
        float[][] data = new float[xs.size()][];
        int[] axisDims = new int[xs.size()];
        int[] out = first.clone();
        out[ax] = 0;
        for (int i = 0; i < xs.size(); i++) {
            Tensor t = xs.get(i);
            data[i] = data(t, "xs[" + i + "]");
            int[] s = t.shape();
            boolean ok = s.length == first.length;
            for (int d = 0; ok && d < s.length; d++) {
                ok = d == ax || s[d] == first[d];
            }
            if (!ok) {
                throw new ShapeMismatchException("concat along axis " + ax + ": xs[" + i + "] " + Arrays.toString(s)
                        + " does not match xs[0] " + Arrays.toString(first) + " outside that axis");
            }
            axisDims[i] = s[ax];
            out[ax] += s[ax];
        }
        int outer = product(first, 0, ax);
        int inner = product(first, ax + 1, first.length);
        return pooled(CpuMovement.concat(threads, data, axisDims, outer, inner, buffers.take(elementCount(out))), out);
    }

    @Override
    public Tensor pad(Tensor x, int[] before, int[] after, PadMode mode, float value) {
        float[] xd = data(x, "x");
        requireNonNull(before, "before");
        requireNonNull(after, "after");
        requireNonNull(mode, "mode");
        int[] s = x.shape();
        if (before.length != s.length || after.length != s.length) {
            throw new ShapeMismatchException("pad: before " + Arrays.toString(before) + " and after "
                    + Arrays.toString(after) + " must have one entry per axis of x " + Arrays.toString(s));
        }
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[i] + before[i] + after[i];
            if (out[i] < 0) {
                throw new ShapeMismatchException("pad: axis " + i + " of x " + Arrays.toString(s) + " cropped by "
                        + before[i] + " / " + after[i] + " would have negative length " + out[i]);
            }
            if (s[i] == 0 && out[i] > 0 && mode != PadMode.CONSTANT) {
                throw new ShapeMismatchException("pad: " + mode + " cannot fill axis " + i + " of the empty x "
                        + Arrays.toString(s));
            }
        }
        return pooled(CpuMovement.pad(threads, xd, s, before.clone(), out, mode, value, buffers.takeZeroed(elementCount(out))), out);
    }

    @Override
    public Tensor gather(Tensor x, Tensor indices, int axis) {
        float[] xd = data(x, "x");
        float[] id = data(indices, "indices");
        int[] s = x.shape();
        int ax = normaliseAxis(axis, s.length, "gather axis", s);
        int len = s[ax];
        int[] is = indices.shape();
        int[] idx = new int[indices.size()];
        for (int j = 0; j < idx.length; j++) {
            float v = id[j];
            if (v != Math.rint(v)) {
                throw new IllegalArgumentException("gather: index " + v + " at position " + j + " is not an integer");
            }
            long i = (long) v;
            if (i < -len || i >= len) {
                throw new IndexOutOfBoundsException("gather: index " + (long) v + " is out of range for axis " + ax
                        + " of size " + len + " (x " + Arrays.toString(s) + ")");
            }
            idx[j] = (int) (i < 0 ? i + len : i);
        }
        int[] out = new int[s.length - 1 + is.length];
        System.arraycopy(s, 0, out, 0, ax);
        System.arraycopy(is, 0, out, ax, is.length);
        System.arraycopy(s, ax + 1, out, ax + is.length, s.length - ax - 1);
        checkRank(out, "gather output");
        return pooled(CpuMovement.gather(threads, xd, product(s, 0, ax), len, product(s, ax + 1, s.length), idx, buffers.take(elementCount(out))), out);
    }

    @Override
    public Tensor resize(Tensor x, ResizeSpec spec) {
        float[] xd = data(x, "x");
        requireNonNull(spec, "spec");
        int[] xs = requireRank(x, 4, "resize input x [N, C, H, W]");
        if (spec.outH() < 0 || spec.outW() < 0) {
            throw new ShapeMismatchException("resize: negative output size " + spec.outH() + "x" + spec.outW());
        }
        if ((xs[2] == 0 && spec.outH() > 0) || (xs[3] == 0 && spec.outW() > 0)) {
            throw new ShapeMismatchException("resize: cannot resize the empty x " + Arrays.toString(xs)
                    + " to " + spec.outH() + "x" + spec.outW());
        }
        int[] out = {xs[0], xs[1], spec.outH(), spec.outW()};
        return pooled(CpuResize.resize(threads, xd, xs, spec, buffers.take(elementCount(out))), out);
    }

    // ---- training (backward pass): the kernels live in CpuBackward ---------------------------

    @Override
    public Tensor unaryBackward(Tensor x, Tensor dy, Activation f) {
        float[] xd = data(x, "x");
        float[] dyd = data(dy, "dy");
        requireNonNull(f, "f");
        if (!Arrays.equals(x.shape(), dy.shape())) {
            throw new ShapeMismatchException("unaryBackward: x " + Arrays.toString(x.shape()) + " and dy "
                    + Arrays.toString(dy.shape()) + " differ");
        }
        return pooled(CpuBackward.unaryBackward(threads, xd, dyd, x.size(), f, buffers.takeZeroed(x.size())), x.shape());
    }

    @Override
    public Tensor pool2dBackward(Tensor x, Tensor dy, PoolSpec spec) {
        float[] xd = data(x, "x");
        float[] dyd = data(dy, "dy");
        requireNonNull(spec, "spec");
        int[] xs = requireRank(x, 4, "pool2dBackward input x [N, C, H, W]");
        int[] expected = {xs[0], xs[1], spec.outH(), spec.outW()};
        if (!Arrays.equals(expected, dy.shape())) {
            throw new ShapeMismatchException("pool2dBackward: dy " + Arrays.toString(dy.shape()) + " must be "
                    + Arrays.toString(expected) + " for x " + Arrays.toString(xs));
        }
        return pooled(CpuBackward.pool2dBackward(threads, xd, xs, dyd, spec, buffers.takeZeroed(x.size())), xs);
    }

    @Override
    public Tensor dropoutMask(float p, long seed, int... shape) {
        checkOpen();
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), was " + p);
        }
        int n = elementCount(shape);
        return pooled(CpuBackward.dropoutMask(threads, n, p, 1f / (1f - p), seed, buffers.takeZeroed(n)), shape.clone());
    }

    // ---- life cycle ---------------------------------------------------------------------------

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            threads.close();
            buffers.clear();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** A tensor whose array goes back to {@link #buffers} when it is closed (the array must be ours alone). */
    private Tensor pooled(float[] data, int[] shape) {
        return new Tensor(this, new CpuStorage(data, buffers), shape);
    }

    /** As {@link #pooled(float[], int[])}, the data held in channel blocks. */
    private Tensor pooled(float[] data, ChannelBlocks blocks, int[] shape) {
        return new Tensor(this, new CpuStorage(data, buffers, blocks), shape);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(name() + " used after close()");
        }
    }

    /** The elements of parameter {@code param}, after checking it is an open tensor of this backend. */
    private float[] data(Tensor t, String param) {
        return storage(t, param).planes(threads);
    }

    /** The storage of parameter {@code param}, after checking it is an open tensor of this backend. */
    private CpuStorage storage(Tensor t, String param) {
        checkOpen();
        if (t == null) {
            throw new IllegalArgumentException(param + " must not be null");
        }
        if (t.backend() != this) {
            throw new IllegalArgumentException(param + " " + Arrays.toString(t.shape()) + " lives on "
                    + t.backend().name() + ", not on this " + name() + " backend");
        }
        if (t.isClosed()) {
            throw new IllegalStateException(param + " " + Arrays.toString(t.shape()) + " was used after close()");
        }
        if (!(t.storage() instanceof CpuStorage cs)) {
            throw new IllegalArgumentException(param + " has foreign storage " + t.storage().getClass().getName());
        }
        return cs;
    }

    private static void requireNonNull(Object o, String param) {
        if (o == null) {
            throw new IllegalArgumentException(param + " must not be null");
        }
    }

    private static int[] requireRank(Tensor t, int rank, String what) {
        int[] s = t.shape();
        if (s.length != rank) {
            throw new ShapeMismatchException(what + " must have rank " + rank + ", got " + Arrays.toString(s));
        }
        return s;
    }

    private float[] optionalBias(Tensor bias, int m, String op, int[] ws) {
        if (bias == null) {
            return null;
        }
        float[] bd = data(bias, "bias");
        int[] bs = bias.shape();
        if (bs.length != 1 || bs[0] != m) {
            throw new ShapeMismatchException(op + ": bias " + Arrays.toString(bs) + " must be [" + m
                    + "] for weight w " + Arrays.toString(ws));
        }
        return bd;
    }

    private static int normaliseAxis(int axis, int rank, String what, int[] shape) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new ShapeMismatchException(what + " " + axis + " is out of range for shape " + Arrays.toString(shape));
        }
        return a;
    }

    private static int product(int[] s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= s[i];
        }
        return p;
    }

    private static int elementCount(int[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException("shape must not be null");
        }
        for (int d : shape) {
            if (d < 0) {
                throw new ShapeMismatchException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        return Tensor.elementCount(shape);
    }

    private static void checkRank(int[] shape, String what) {
        if (shape.length > Tensor.MAX_RANK) {
            throw new ShapeMismatchException(what + " " + Arrays.toString(shape) + " has rank above "
                    + Tensor.MAX_RANK);
        }
    }
}
