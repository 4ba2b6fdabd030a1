package org.neuralj.backend;

import java.util.List;

/**
 * A device that holds tensors and runs the engine's kernels on them. Every method returns a new
 * tensor the caller owns (and must close); inputs are never modified and must live on this backend.
 * All tensors are dense row-major float32. Implementations: {@code cpu.CpuBackend} (the readable,
 * multi-threaded reference) and {@code opencl.OpenClBackend} (JOCL). Both give the same numbers within
 * float rounding. Select one with {@link Backends#select(String)}.
 *
 * <p>Shapes are checked by each method; a wrong shape throws {@link ShapeMismatchException}
 * naming both shapes. Out of device memory throws {@link DeviceOutOfMemoryException} naming the device
 * and the bytes requested.
 */
public interface Backend extends AutoCloseable {

    /** Short name used in logs and tables, e.g. {@code cpu (2 threads)} or {@code opencl:0 (pthread-cpu)}. */
    String name();

    // ---- memory -------------------------------------------------------------------------------

    /** Copies host data (length = product of shape) to a new tensor on this backend. Counted. */
    Tensor upload(float[] data, int... shape);

    /** Copies a tensor's elements to a new host array. Counted. */
    float[] download(Tensor t);

    /**
     * A tensor over {@code data} (length = product of shape) without a copy where the backend can: the CPU
     * backend uses the array itself, a device backend uploads it. Until the tensor is closed the caller must
     * not change data (ops never write their inputs). Counted as an upload. For large host buffers that are
     * filled, filtered and read back batch after batch (no copy, no new array per batch on the CPU).
     */
    Tensor view(float[] data, int... shape);

    /** Copies a tensor's elements into {@code into} from {@code offset} on (no new array). Counted. */
    void download(Tensor t, float[] into, int offset);

    /** A new tensor with unspecified contents. */
    Tensor allocate(int... shape);

    /** Host/device traffic so far. */
    TransferStats transfers();

    /**
     * Floats per call that a runner of many equal calls (a stack filtered batch by batch) should hand
     * over: the CPU wants a batch, its intermediates and its result to stay in the cache between the
     * passes; a device wants few, large transfers.
     */
    int preferredBatchFloats();

    // ---- element-wise -------------------------------------------------------------------------

    /** y = f(x), element-wise. */
    Tensor unary(Tensor x, Activation f);

    /**
     * y = a op b with numpy broadcasting (shapes right-aligned; a dimension of 1 stretches); the
     * output has the broadcast shape.
     */
    Tensor binary(Tensor a, Tensor b, BinaryOp op);

    /**
     * {@code after} applied to {@link #binary binary(a, b, op)}: a residual Add and the ReLU after it. Backends that
     * can apply it in the same pass over memory override this; here it is the two ops.
     */
    default Tensor binary(Tensor a, Tensor b, BinaryOp op, Activation after) {
        Tensor y = binary(a, b, op);
        if (after.isIdentity()) {
            return y;
        }
        try (y) {
            return unary(y, after);
        }
    }

    // ---- convolution and pooling --------------------------------------------------------------

    /** 2-D convolution (see {@link ConvSpec}); bias may be null; the spec's activation is fused. */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec);

    /**
     * A convolution with a residual added before its activation: {@code act(conv(x) + bias + residual)}, residual of
     * the output's shape (a ResNet block's convolution, its Add and ReLU). Backends that can add it as they write the
     * output override this; here it is the convolution, then the Add with the activation after it.
     */
    default Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec, Tensor residual) {
        if (residual == null) {
            return conv2d(x, w, bias, spec);
        }
        try (Tensor y = conv2d(x, w, bias, spec.withActivation(Activation.NONE))) {
            if (!java.util.Arrays.equals(y.shape(), residual.shape())) {
                throw new ShapeMismatchException("conv2d: residual " + java.util.Arrays.toString(residual.shape())
                        + " is not the output's shape " + java.util.Arrays.toString(y.shape()));
            }
            return binary(y, residual, BinaryOp.ADD, spec.activation());
        }
    }

    /** 2-D transposed convolution (see {@link ConvSpec}); bias may be null. */
    Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, ConvSpec spec);

    /** 2-D max or average pooling of x [N, C, H, W] (see {@link PoolSpec}). */
    Tensor pool2d(Tensor x, PoolSpec spec);

    /**
     * A convolution (its activation fused) and a pooling of its output: {@code pool2d(conv2d(x, w, bias, spec), pool)},
     * the convolution's output not needed otherwise (a ResNet's stem and max-pool). Backends that can pool the
     * convolution's rows as they come, without holding its whole output, override this.
     */
    default Tensor conv2dPool(Tensor x, Tensor w, Tensor bias, ConvSpec spec, PoolSpec pool) {
        try (Tensor y = conv2d(x, w, bias, spec)) {
            return pool2d(y, pool);
        }
    }

    // ---- image filters (every plane of x [..., H, W]; the leading axes count planes) -------------

    /**
     * Separable filtering: each row with {@code alongX}, then each column of that with {@code alongY} (see
     * {@link LineFilter}; either may be null to leave that axis alone). Reads beyond a line follow
     * {@code edge} (CONSTANT reads 0). x has rank >= 2; y has x's shape.
     */
    Tensor separable(Tensor x, LineFilter alongX, LineFilter alongY, PadMode edge);

    /**
     * Correlation with a dense kernel [kh][kw] (row-major, odd sizes, centred: y[i][j] = sum k[a][b] *
     * x[i + a - kh/2][j + b - kw/2]), reads beyond the plane following {@code edge} (CONSTANT reads 0), in
     * one pass (no padded copy). x has rank >= 2; y has x's shape.
     */
    Tensor filter2d(Tensor x, float[] kernel, int kh, int kw, PadMode edge);

    /**
     * The Sobel gradient magnitude sqrt(gx^2 + gy^2), gx the correlation with [-1 0 1; -2 0 2; -1 0 1] and
     * gy with its transpose (ImageJ's Find Edges), in one pass. Reads beyond the plane follow {@code edge}
     * (CONSTANT reads 0). x has rank >= 2; y has x's shape.
     */
    Tensor sobelMagnitude(Tensor x, PadMode edge);

    /**
     * Runs {@code op} on every plane of host pixels {@code rows}, writing the result back through it. The
     * CPU backend streams the rows, converting each as its first pass reads it and as its last pass writes
     * it; a device goes batch by batch through tensors ({@link PlaneBatches}).
     * @param planesDone told the number of planes written so far (may be null; may throw to cancel)
     */
    void filterRows(PlaneRows rows, PlaneOp op, PadMode edge, java.util.function.IntConsumer planesDone);

    // ---- reductions and normalisation ---------------------------------------------------------

    /**
     * Softmax (or log-softmax when {@code log}) along {@code axis}: x viewed as [outer, n, inner],
     * y[o][i][k] = exp(x[o][i][k] - max_i) / sum_i exp(x[o][i][k] - max_i); log-softmax = x - max - log(sum).
     */
    Tensor softmax(Tensor x, int axis, boolean log);

    /**
     * Reduces over the axes where {@code reduce[axis]} is true; the output keeps the rank with 1 at
     * reduced axes. ARGMAX/ARGMIN require exactly one reduced axis. Reducing an empty axis gives
     * 0 for SUM/SUM_SQUARE, NaN for MEAN, -inf / +inf for MAX / MIN.
     */
    Tensor reduce(Tensor x, ReduceOp op, boolean[] reduce);

    // ---- linear algebra -----------------------------------------------------------------------

    /**
     * numpy matmul for rank >= 2: a [..., M, K] times b [..., K, N] gives [..., M, N], the leading
     * (batch) dimensions broadcast.
     */
    Tensor matmul(Tensor a, Tensor b);

    // ---- data movement ------------------------------------------------------------------------

    /**
     * A contiguous copy of a strided view of x: y has {@code outShape} and
     * y[i0..ik] = xflat[offset + sum_j i_j * strides[j]]. Strides may be 0 (broadcast, Expand) or
     * negative (reversed Slice). Transpose, Slice, Expand, Split and DepthToSpace are built on this.
     */
    Tensor strided(Tensor x, int offset, int[] strides, int[] outShape);

    /** Concatenation along {@code axis}; all other dimensions must match. */
    Tensor concat(List<Tensor> xs, int axis);

    /**
     * Pads every axis by {@code before[i]} and {@code after[i]} elements (negative values crop).
     * {@code value} is used in CONSTANT mode.
     */
    Tensor pad(Tensor x, int[] before, int[] after, PadMode mode, float value);

    /**
     * ONNX Gather: indices hold integral floats (negative counts from the end of {@code axis}); the
     * output shape is x.shape[:axis] + indices.shape + x.shape[axis+1:]. An index out of range gives
     * an {@link IndexOutOfBoundsException} on the CPU and 0 on devices that cannot raise.
     */
    Tensor gather(Tensor x, Tensor indices, int axis);

    /** ONNX Resize of the last two axes of x [N, C, H, W] (see {@link ResizeSpec}). */
    Tensor resize(Tensor x, ResizeSpec spec);

    // ---- training (backward pass) ------------------------------------------------------------

    /**
     * The gradient of {@link #unary}: {@code dx = dy * f'(x)}, element-wise; x and dy have one shape,
     * dx has it too. With a, b the parameters of f: IDENTITY 1; RELU x > 0 ? 1 : 0; LEAKY_RELU
     * x > 0 ? 1 : a; ELU x > 0 ? 1 : a*exp(x); SELU b*(x > 0 ? 1 : a*exp(x)); SIGMOID s*(1-s) with
     * s = sigmoid(x); HARD_SIGMOID 0 < a*x+b < 1 ? a : 0; HARD_SWISH x < -3 ? 0 : x > 3 ? 1 : x/3+0.5;
     * TANH 1-tanh(x)^2; CLIP a < x < b ? 1 : 0; SQRT 0.5/sqrt(x); EXP exp(x); LOG 1/x; NEG -1;
     * ABS sign(x) (0 at 0); SOFTPLUS sigmoid(x); SOFTSIGN 1/(1+|x|)^2; RECIPROCAL -1/x^2;
     * THRESHOLDED_RELU x > a ? 1 : 0; ERF 2/sqrt(pi)*exp(-x^2); AFFINE a; FLOOR, CEIL, ROUND, TRUNC,
     * NOT_ZERO 0. At a kink the derivative of the side x &lt;= kink is used (as PyTorch does).
     */
    Tensor unaryBackward(Tensor x, Tensor dy, Activation f);

    /**
     * The gradient of {@link #pool2d} with respect to x [N, C, H, W]: dy has the pooled shape
     * [N, C, outH, outW], dx the shape of x. MAX sends each dy element to the window position holding the
     * window's maximum (the first one in row-major window order on ties; windows with no position inside x
     * send nothing); AVERAGE sends dy / count (the forward divisor) to every window position inside x.
     * Contributions of overlapping windows add up.
     */
    Tensor pool2dBackward(Tensor x, Tensor dy, PoolSpec spec);

    /**
     * A dropout mask of {@code shape}: element i (row-major) is {@code 1/(1-p)} when u_i >= p, else 0,
     * where u_i = (hash(hash(i ^ lo) + hi) >>> 8) / 2^24 with lo, hi the low and high 32 bits of
     * {@code seed} and hash the 32-bit lowbias32 mix (x ^= x>>>16; x *= 0x7feb352d; x ^= x>>>15;
     * x *= 0x846ca68b; x ^= x>>>16) in unsigned arithmetic. Counter based: every backend gives the
     * same mask for the same seed, and nothing comes from the host. {@code p} must be in [0, 1).
     */
    Tensor dropoutMask(float p, long seed, int... shape);

    /** Waits until all work handed to the backend has finished (a device queue); the CPU backend's ops return done. */
    default void finish() {
    }

    // ---- life cycle ---------------------------------------------------------------------------

    /** Releases every device resource (programs, pooled buffers, queues). Tensors must be closed first. */
    @Override
    void close();

    /** The broadcast shape of two shapes (numpy rules), or a {@link ShapeMismatchException}. */
    static int[] broadcastShape(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new ShapeMismatchException("shapes " + java.util.Arrays.toString(a) + " and "
                        + java.util.Arrays.toString(b) + " do not broadcast (axis " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Fails unless kernel holds kh * kw values and kh, kw are odd and positive (every backend's filter2d check). */
    static void checkKernel2d(float[] kernel, int kh, int kw) {
        if (kh < 1 || kw < 1 || kh % 2 == 0 || kw % 2 == 0) {
            throw new IllegalArgumentException("filter2d: kernel " + kh + "x" + kw + " must have odd, positive sizes");
        }
        if (kernel == null || kernel.length != kh * kw) {
            throw new IllegalArgumentException("filter2d: a " + kh + "x" + kw + " kernel needs " + kh * kw + " values, got "
                    + (kernel == null ? 0 : kernel.length));
        }
    }

    /**
     * Strides for reading a tensor of {@code shape} as if it had the broadcast {@code outShape}
     * (0 on stretched axes); used by every backend's binary kernel.
     */
    static int[] broadcastStrides(int[] shape, int[] outShape) {
        int[] own = Tensor.stridesOf(shape);
        int[] strides = new int[outShape.length];
        int offset = outShape.length - shape.length;
        for (int i = offset; i < outShape.length; i++) {
            strides[i] = shape[i - offset] == 1 ? 0 : own[i - offset];
        }
        return strides;
    }
}
