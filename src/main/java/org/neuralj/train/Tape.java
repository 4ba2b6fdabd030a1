package org.neuralj.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.UnaryOp;
import org.neuralj.onnx.OnnxAttribute;

/**
 * Reverse-mode automatic differentiation over backend tensors. A tape records one forward pass: each
 * op runs at once on the backend and remembers its backward rule; {@link #backward(Var)} then walks the
 * ops in reverse and sends gradients to the inputs that asked for them and to the {@link Parameter}s
 * (summed into {@link Parameter#grad()}). Every value and gradient stays on the backend; only the
 * {@link #TRAIN}/{@link #EVAL} mode and the scalars of the ops travel from the host.
 *
 * <p>Backward rules are built from existing backend ops where that is exact: conv backward-data is a
 * transposed convolution with the same geometry (for stride 1 the equivalent convolution with the flipped
 * kernel, which runs faster) and vice versa, conv backward-weights is {@link ConvGrad} (im2col view + GEMM), bias and BatchNorm gradients are reductions, resize backward is a sum pool (integer
 * nearest upsampling) or two matrix products with the interpolation matrices; activation derivatives,
 * pooling backward and dropout masks are the backend's {@link Backend#unaryBackward},
 * {@link Backend#pool2dBackward} and {@link Backend#dropoutMask}.
 *
 * <p>A tape owns every value it computed: close it after the step (parameters and inputs stay their
 * owners'). A tape is not thread-safe.
 */
public final class Tape implements AutoCloseable {
    /** Training (batch statistics, dropout on) or evaluation (running statistics, dropout off). */
    public enum Mode { TRAIN, EVAL }

    public static final Mode TRAIN = Mode.TRAIN;
    public static final Mode EVAL = Mode.EVAL;

    /**
     * How ReLU sends gradients back: {@link #EXACT} is the derivative (training); {@link #GUIDED} is
     * guided backpropagation (Springenberg et al. 2015), dx = [x > 0] * max(dy, 0), which lets only
     * positive gradients through positive inputs (saliency maps, {@code org.neuralj.viz}).
     */
    public enum ReluBackward { EXACT, GUIDED }

    private final Backend b;
    private final Mode mode;
    private final List<Var> vars = new ArrayList<>();
    private final List<Tensor> kept = new ArrayList<>();
    final OnnxRecorder recorder;
    private long seed;
    private int randomCalls;
    private ReluBackward reluBackward = ReluBackward.EXACT;
    private boolean closed;

    public Tape(Backend backend, Mode mode) {
        this(backend, mode, null);
    }

    private Tape(Backend backend, Mode mode, OnnxRecorder recorder) {
        this.b = backend;
        this.mode = mode;
        this.recorder = recorder;
    }

    /** An evaluation tape that also writes ONNX nodes (see {@link OnnxExport}). */
    static Tape forExport(Backend backend) {
        return new Tape(backend, Mode.EVAL, new OnnxRecorder());
    }

    public Backend backend() {
        return b;
    }

    public boolean training() {
        return mode == Mode.TRAIN;
    }

    /** The seed of this pass's random ops (dropout): the k-th random op uses a mix of seed and k. */
    public Tape seed(long seed) {
        this.seed = seed;
        this.randomCalls = 0;
        return this;
    }

    /** Sets the ReLU backward rule of the ops recorded from now on (default {@link ReluBackward#EXACT}). */
    public Tape reluBackward(ReluBackward rule) {
        this.reluBackward = rule;
        return this;
    }

    // ---- leaves -------------------------------------------------------------------------------

    /** An input that needs no gradient (the caller keeps ownership of {@code t}). */
    public Var input(Tensor t) {
        return input(t, false);
    }

    /** An input; with {@code requiresGrad} its gradient is kept in {@link Var#grad()} after backward. */
    public Var input(Tensor t, boolean requiresGrad) {
        checkOpen();
        checkBackend(t);
        Var v = new Var(this, t, false, requiresGrad, null);
        vars.add(v);
        if (recorder != null) {
            recorder.name(v);
        }
        return v;
    }

    /** A parameter's current value; its gradient goes to {@link Parameter#grad()}. */
    public Var param(Parameter p) {
        checkOpen();
        checkBackend(p.value());
        Var v = new Var(this, p.value(), false, p.trainable(), p);
        vars.add(v);
        if (recorder != null) {
            recorder.parameter(v);
        }
        return v;
    }

    // ---- convolution and pooling --------------------------------------------------------------

    /** y = conv2d(x, w) + bias (bias may be null); the spec's activation must be NONE. */
    public Var conv2d(Var x, Var w, Var bias, ConvSpec spec) {
        requireNoActivation(spec);
        int[] xs = x.shape();
        int[] ws = w.shape();
        Tensor y = b.conv2d(x.value, w.value, bias == null ? null : bias.value, spec);
        Var out = result(y, bw(x, w, bias) ? dy -> {
            if (x.requiresGrad) {
                Tensor dx = ConvGrad.dataByFlippedConv(b, dy, w.value, xs[2], xs[3], spec);
                send(x, dx != null ? dx : b.convTranspose2d(dy, w.value, null, withOut(spec, xs[2], xs[3])));
            }
            if (w.requiresGrad) {
                send(w, ConvGrad.weights(b, x.value, dy, ws[2], ws[3], spec));
            }
            if (bias != null && bias.requiresGrad) {
                send(bias, channelSum(dy));
            }
        } : null);
        if (recorder != null) {
            recorder.node("Conv", recorder.names(x, w, bias), out, convAttributes(spec, ws).toArray(new OnnxAttribute[0]));
        }
        return out;
    }

    /**
     * y = convTranspose2d(x, w) + bias, w [C, M/groups, kH, kW] (see {@link ConvSpec}); the output size
     * is the spec's.
     */
    public Var convTranspose2d(Var x, Var w, Var bias, ConvSpec spec) {
        requireNoActivation(spec);
        int[] xs = x.shape();
        int[] ws = w.shape();
        Tensor y = b.convTranspose2d(x.value, w.value, bias == null ? null : bias.value, spec);
        Var out = result(y, bw(x, w, bias) ? dy -> {
            if (x.requiresGrad) {
                send(x, b.conv2d(dy, w.value, null, withOut(spec, xs[2], xs[3])));
            }
            if (w.requiresGrad) {
                send(w, ConvGrad.weights(b, dy, x.value, ws[2], ws[3], spec));
            }
            if (bias != null && bias.requiresGrad) {
                send(bias, channelSum(dy));
            }
        } : null);
        if (recorder != null) {
            List<OnnxAttribute> a = convAttributes(spec, ws);
            int opH = spec.outH() - ((xs[2] - 1) * spec.strideH() + (ws[2] - 1) * spec.dilationH() + 1
                    - spec.padTop() - spec.padBottom());
            int opW = spec.outW() - ((xs[3] - 1) * spec.strideW() + (ws[3] - 1) * spec.dilationW() + 1
                    - spec.padLeft() - spec.padRight());
            if (opH != 0 || opW != 0) {
                a.add(OnnxAttribute.ofInts("output_padding", opH, opW));
            }
            recorder.node("ConvTranspose", recorder.names(x, w, bias), out, a.toArray(new OnnxAttribute[0]));
        }
        return out;
    }

    /** Max or average pooling (see {@link PoolSpec}). */
    public Var pool2d(Var x, PoolSpec spec) {
        Tensor y = b.pool2d(x.value, spec);
        Var out = result(y, bw(x) ? dy -> send(x, b.pool2dBackward(x.value, dy, spec)) : null);
        if (recorder != null) {
            List<OnnxAttribute> a = new ArrayList<>(List.of(
                    OnnxAttribute.ofInts("kernel_shape", spec.kernelH(), spec.kernelW()),
                    OnnxAttribute.ofInts("strides", spec.strideH(), spec.strideW()),
                    OnnxAttribute.ofInts("pads", spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight())));
            int[] xs = x.shape();
            int floorH = ConvSpec.convOut(xs[2], spec.kernelH(), spec.strideH(), spec.padTop(), spec.padBottom(), spec.dilationH());
            int floorW = ConvSpec.convOut(xs[3], spec.kernelW(), spec.strideW(), spec.padLeft(), spec.padRight(), spec.dilationW());
            if (floorH != spec.outH() || floorW != spec.outW()) {
                a.add(OnnxAttribute.of("ceil_mode", 1L));
            }
            if (spec.kind() == PoolSpec.Kind.MAX) {
                if (spec.dilationH() != 1 || spec.dilationW() != 1) {
                    a.add(OnnxAttribute.ofInts("dilations", spec.dilationH(), spec.dilationW()));
                }
                recorder.node("MaxPool", recorder.names(x), out, a.toArray(new OnnxAttribute[0]));
            } else {
                if (spec.dilationH() != 1 || spec.dilationW() != 1) {
                    throw new UnsupportedOperationException("ONNX export of dilated average pooling");
                }
                a.add(OnnxAttribute.of("count_include_pad", spec.countIncludePad() ? 1L : 0L));
                recorder.node("AveragePool", recorder.names(x), out, a.toArray(new OnnxAttribute[0]));
            }
        }
        return out;
    }

    /** Mean over H and W: [N, C, H, W] to [N, C, 1, 1]. */
    public Var globalAvgPool(Var x) {
        int[] xs = x.shape();
        Tensor y = b.reduce(x.value, ReduceOp.MEAN, new boolean[] {false, false, true, true});
        Var out = result(y, bw(x) ? dy -> {
            try (Tensor spread = b.strided(dy, 0, new int[] {xs[1], 1, 0, 0}, xs)) {
                send(x, b.unary(spread, new Activation(UnaryOp.AFFINE, 1f / (xs[2] * xs[3]), 0f)));
            }
        } : null);
        if (recorder != null) {
            recorder.node("GlobalAveragePool", recorder.names(x), out);
        }
        return out;
    }

    // ---- element-wise -------------------------------------------------------------------------

    /** y = f(x) for a {@link UnaryOp} with a derivative (see {@link Backend#unaryBackward}). */
    public Var activation(Var x, Activation f) {
        Tensor y = b.unary(x.value, f);
        boolean guided = f.op() == UnaryOp.RELU && reluBackward == ReluBackward.GUIDED;
        Var out = result(y, !bw(x) ? null : guided ? dy -> {
            try (Tensor positive = b.unary(dy, Activation.of(UnaryOp.RELU))) {
                send(x, b.unaryBackward(x.value, positive, f));
            }
        } : dy -> send(x, b.unaryBackward(x.value, dy, f)));
        if (recorder != null) {
            switch (f.op()) {
                case IDENTITY -> recorder.node("Identity", recorder.names(x), out);
                case RELU -> recorder.node("Relu", recorder.names(x), out);
                case LEAKY_RELU -> recorder.node("LeakyRelu", recorder.names(x), out, OnnxAttribute.of("alpha", f.a()));
                case ELU -> recorder.node("Elu", recorder.names(x), out, OnnxAttribute.of("alpha", f.a()));
                case SIGMOID -> recorder.node("Sigmoid", recorder.names(x), out);
                case TANH -> recorder.node("Tanh", recorder.names(x), out);
                case SOFTPLUS -> recorder.node("Softplus", recorder.names(x), out);
                case CLIP -> recorder.node("Clip", List.of(recorder.name(x),
                        recorder.constant("min", new long[0], new float[] {f.a()}),
                        recorder.constant("max", new long[0], new float[] {f.b()})), out);
                default -> throw new UnsupportedOperationException("ONNX export of activation " + f.op());
            }
        }
        return out;
    }

    /** y = a*x + c with scalars (not exported). */
    public Var scale(Var x, float a, float c) {
        Tensor y = b.unary(x.value, new Activation(UnaryOp.AFFINE, a, c));
        return result(y, bw(x) ? dy -> send(x, b.unary(dy, new Activation(UnaryOp.AFFINE, a, 0f))) : null);
    }

    /** y = a + b with numpy broadcasting (residual connections, summed losses). */
    public Var add(Var a, Var c) {
        return binary(a, c, BinaryOp.ADD, "Add");
    }

    /** y = a - b with numpy broadcasting. */
    public Var sub(Var a, Var c) {
        return binary(a, c, BinaryOp.SUB, "Sub");
    }

    /** y = a * b with numpy broadcasting. */
    public Var mul(Var a, Var c) {
        return binary(a, c, BinaryOp.MUL, "Mul");
    }

    private Var binary(Var a, Var c, BinaryOp op, String onnxOp) {
        Tensor y = b.binary(a.value, c.value, op);
        int[] as = a.shape();
        int[] cs = c.shape();
        Var out = result(y, bw(a, c) ? dy -> {
            if (a.requiresGrad) {
                if (op == BinaryOp.MUL) {
                    try (Tensor g = b.binary(dy, c.value, BinaryOp.MUL)) {
                        send(a, sumTo(g, as));
                    }
                } else {
                    send(a, sumTo(dy, as));
                }
            }
            if (c.requiresGrad) {
                if (op == BinaryOp.MUL) {
                    try (Tensor g = b.binary(dy, a.value, BinaryOp.MUL)) {
                        send(c, sumTo(g, cs));
                    }
                } else if (op == BinaryOp.SUB) {
                    try (Tensor g = sumTo(dy, cs)) {
                        send(c, b.unary(g, Activation.of(UnaryOp.NEG)));
                    }
                } else {
                    send(c, sumTo(dy, cs));
                }
            }
        } : null);
        if (recorder != null) {
            recorder.node(onnxOp, recorder.names(a, c), out);
        }
        return out;
    }

    // ---- normalisation and regularisation -----------------------------------------------------

    /**
     * Batch normalisation over [N, C, H, W] (or [N, C]) per channel. In {@link Mode#TRAIN} it uses the
     * batch mean and (biased) variance and updates the running statistics
     * {@code r = (1 - momentum) * r + momentum * batch} (the running variance with the unbiased batch
     * variance, as PyTorch does); in {@link Mode#EVAL} it uses the running statistics. Gradients flow
     * in both modes (with the batch statistics treated as functions of x in TRAIN).
     */
    public Var batchNorm(Var x, Var gamma, Var beta, Parameter runningMean, Parameter runningVar, float momentum, float eps) {
        int[] xs = x.shape();
        int c = xs[1];
        int[] cs = new int[xs.length];
        Arrays.fill(cs, 1);
        cs[1] = c;
        boolean[] axes = new boolean[xs.length];
        long count = 1;
        for (int i = 0; i < xs.length; i++) {
            axes[i] = i != 1;
            if (i != 1) {
                count *= xs[i];
            }
        }
        Tensor g4 = gamma.value.reshape(cs);
        Tensor b4 = beta.value.reshape(cs);
        keep(g4);
        keep(b4);
        Tensor xhat;
        Tensor inv;
        // a frozen layer (transfer learning) keeps its running statistics: it normalises as in evaluation
        boolean train = training() && !runningMean.frozen();
        if (train) {
            Tensor mean = b.reduce(x.value, ReduceOp.MEAN, axes);
            Tensor xc = b.binary(x.value, mean, BinaryOp.SUB);
            Tensor var;
            try (Tensor sq = b.binary(xc, xc, BinaryOp.MUL)) {
                var = b.reduce(sq, ReduceOp.MEAN, axes);
            }
            inv = invStd(var, eps);
            xhat = b.binary(xc, inv, BinaryOp.MUL);
            xc.close();
            // running statistics (unbiased variance), replaced on the device
            float unbias = count > 1 ? (float) count / (count - 1) : 1f;
            runningMean.set(blend(runningMean.value(), mean, momentum, 1f));
            runningVar.set(blend(runningVar.value(), var, momentum, unbias));
            mean.close();
            var.close();
        } else {
            try (Tensor rm = runningMean.value().reshape(cs); Tensor rv = runningVar.value().reshape(cs)) {
                inv = invStd(rv, eps);
                try (Tensor xc = b.binary(x.value, rm, BinaryOp.SUB)) {
                    xhat = b.binary(xc, inv, BinaryOp.MUL);
                }
            }
        }
        keep(inv);
        keep(xhat);
        Tensor y;
        try (Tensor scaled = b.binary(xhat, g4, BinaryOp.MUL)) {
            y = b.binary(scaled, b4, BinaryOp.ADD);
        }
        Var out = result(y, bw(x, gamma, beta) ? dy -> {
            if (beta.requiresGrad) {
                send(beta, channelSum(dy));
            }
            if (gamma.requiresGrad) {
                try (Tensor p = b.binary(dy, xhat, BinaryOp.MUL)) {
                    send(gamma, channelSum(p));
                }
            }
            if (x.requiresGrad) {
                try (Tensor dxhat = b.binary(dy, g4, BinaryOp.MUL)) {
                    if (!train) {
                        send(x, b.binary(dxhat, inv, BinaryOp.MUL));
                    } else {
                        // dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                        try (Tensor m1 = b.reduce(dxhat, ReduceOp.MEAN, axes);
                             Tensor p = b.binary(dxhat, xhat, BinaryOp.MUL);
                             Tensor m2 = b.reduce(p, ReduceOp.MEAN, axes);
                             Tensor t1 = b.binary(dxhat, m1, BinaryOp.SUB);
                             Tensor t2 = b.binary(xhat, m2, BinaryOp.MUL);
                             Tensor t3 = b.binary(t1, t2, BinaryOp.SUB)) {
                            send(x, b.binary(t3, inv, BinaryOp.MUL));
                        }
                    }
                }
            }
        } : null);
        if (recorder != null) {
            Var rm = param(runningMean);
            Var rv = param(runningVar);
            recorder.node("BatchNormalization", recorder.names(x, gamma, beta, rm, rv), out,
                    OnnxAttribute.of("epsilon", eps), OnnxAttribute.of("momentum", 1f - momentum));
        }
        return out;
    }

    /** 1 / sqrt(v + eps). */
    private Tensor invStd(Tensor v, float eps) {
        try (Tensor shifted = b.unary(v, new Activation(UnaryOp.AFFINE, 1f, eps));
             Tensor sd = b.unary(shifted, Activation.of(UnaryOp.SQRT))) {
            return b.unary(sd, Activation.of(UnaryOp.RECIPROCAL));
        }
    }

    /** (1 - m) * old + m * k * batch, in the shape of old. */
    private Tensor blend(Tensor old, Tensor batch, float m, float k) {
        try (Tensor flat = batch.reshape(old.shape());
             Tensor a = b.unary(old, new Activation(UnaryOp.AFFINE, 1f - m, 0f));
             Tensor c = b.unary(flat, new Activation(UnaryOp.AFFINE, m * k, 0f))) {
            return b.binary(a, c, BinaryOp.ADD);
        }
    }

    /**
     * Inverted dropout: in TRAIN mode y = x * mask with the backend's counter-based mask (probability p
     * of 0, else 1/(1-p)), seeded by {@link #seed(long)}; in EVAL mode y = x.
     */
    public Var dropout(Var x, float p) {
        if (!training() || p == 0f) {
            Tensor y = x.value.reshape(x.shape());
            Var out = result(y, bw(x) ? dy -> send(x, view(dy)) : null);
            if (recorder != null) {
                out.onnxName = recorder.name(x);
            }
            return out;
        }
        long s = mix(seed, randomCalls++);
        Tensor mask = b.dropoutMask(p, s, x.shape());
        keep(mask);
        Tensor y = b.binary(x.value, mask, BinaryOp.MUL);
        return result(y, bw(x) ? dy -> send(x, b.binary(dy, mask, BinaryOp.MUL)) : null);
    }

    static long mix(long seed, long k) {
        long z = seed + 0x9E3779B97F4A7C15L * (k + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---- shape and movement -------------------------------------------------------------------

    /** Concatenation along {@code axis} (U-Net skip connections). */
    public Var concat(List<Var> xs, int axis) {
        List<Tensor> ts = new ArrayList<>();
        for (Var v : xs) {
            ts.add(v.value);
        }
        Tensor y = b.concat(ts, axis);
        int[] ys = y.shape();
        int ax = axis < 0 ? axis + ys.length : axis;
        Var out = result(y, bw(xs.toArray(new Var[0])) ? dy -> {
            int[] strides = Tensor.stridesOf(ys);
            int start = 0;
            for (Var v : xs) {
                int[] vs = v.shape();
                if (v.requiresGrad) {
                    send(v, b.strided(dy, start * strides[ax], strides, vs));
                }
                start += vs[ax];
            }
        } : null);
        if (recorder != null) {
            recorder.node("Concat", recorder.names(xs.toArray(new Var[0])), out, OnnxAttribute.of("axis", (long) ax));
        }
        return out;
    }

    /** [N, ...] to [N, rest] (a view). */
    public Var flatten(Var x) {
        int[] xs = x.shape();
        Tensor y = x.value.reshape(xs[0], x.value.size() / Math.max(1, xs[0]));
        Var out = result(y, bw(x) ? dy -> send(x, dy.reshape(xs)) : null);
        if (recorder != null) {
            recorder.node("Flatten", recorder.names(x), out, OnnxAttribute.of("axis", 1L));
        }
        return out;
    }

    /**
     * Resize of [N, C, H, W] (nearest or linear; see {@link ResizeSpec}). Backward: integer nearest
     * upsampling with ASYMMETRIC coordinates and FLOOR rounding is a sum pool; every other mode uses
     * the interpolation matrices Rh [outH, H] and Rw [outW, W] (made by resizing identity matrices with
     * the same spec, so they match the forward kernel exactly): dx = Rh^T dy Rw.
     */
    public Var resize(Var x, ResizeSpec spec) {
        int[] xs = x.shape();
        Tensor y = b.resize(x.value, spec);
        Var out = result(y, bw(x) ? dy -> send(x, resizeBackward(dy, xs, spec)) : null);
        if (recorder != null) {
            String scales = recorder.constant("scales", new long[] {4}, new float[] {1f, 1f, spec.scaleH(), spec.scaleW()});
            List<OnnxAttribute> a = new ArrayList<>();
            a.add(OnnxAttribute.of("mode", switch (spec.mode()) {
                case NEAREST -> "nearest";
                case LINEAR -> "linear";
                case CUBIC -> "cubic";
            }));
            a.add(OnnxAttribute.of("coordinate_transformation_mode", spec.coordinateMode().name().toLowerCase()));
            if (spec.mode() == ResizeSpec.Mode.NEAREST) {
                a.add(OnnxAttribute.of("nearest_mode", spec.nearestMode().name().toLowerCase()));
            }
            if (spec.mode() == ResizeSpec.Mode.CUBIC) {
                a.add(OnnxAttribute.of("cubic_coeff_a", spec.cubicA()));
                a.add(OnnxAttribute.of("exclude_outside", spec.excludeOutside() ? 1L : 0L));
            }
            recorder.node("Resize", List.of(recorder.name(x), "", scales), out, a.toArray(new OnnxAttribute[0]));
        }
        return out;
    }

    private Tensor resizeBackward(Tensor dy, int[] xs, ResizeSpec spec) {
        int h = xs[2], w = xs[3], oh = spec.outH(), ow = spec.outW();
        if (spec.mode() == ResizeSpec.Mode.NEAREST && spec.coordinateMode() == ResizeSpec.CoordinateMode.ASYMMETRIC
                && spec.nearestMode() == ResizeSpec.NearestMode.FLOOR && oh % h == 0 && ow % w == 0
                && spec.scaleH() == oh / h && spec.scaleW() == ow / w) {
            int fh = oh / h, fw = ow / w;
            PoolSpec sum = new PoolSpec(PoolSpec.Kind.AVERAGE, fh, fw, fh, fw, 0, 0, 0, 0, 1, 1, false, h, w);
            try (Tensor avg = b.pool2d(dy, sum)) {
                return b.unary(avg, new Activation(UnaryOp.AFFINE, fh * fw, 0f));
            }
        }
        // RhT [H, oH]: resize the identity [1, H, H, 1] along H only
        ResizeSpec alongH = new ResizeSpec(oh, 1, spec.scaleH(), 1f, spec.mode(), spec.coordinateMode(),
                spec.nearestMode(), spec.cubicA(), spec.excludeOutside());
        ResizeSpec alongW = new ResizeSpec(1, ow, 1f, spec.scaleW(), spec.mode(), spec.coordinateMode(),
                spec.nearestMode(), spec.cubicA(), spec.excludeOutside());
        try (Tensor eyeH = b.upload(identity(h), 1, h, h, 1);
             Tensor rhT4 = b.resize(eyeH, alongH);
             Tensor rhT = rhT4.reshape(h, oh);
             Tensor eyeW = b.upload(identity(w), 1, w, 1, w);
             Tensor rwT4 = b.resize(eyeW, alongW);
             Tensor rw = b.strided(rwT4, 0, new int[] {1, ow}, new int[] {ow, w});
             Tensor t = b.matmul(dy, rw)) {
            return b.matmul(rhT, t);
        }
    }

    private static float[] identity(int n) {
        float[] e = new float[n * n];
        for (int i = 0; i < n; i++) {
            e[i * n + i] = 1f;
        }
        return e;
    }

    // ---- dense --------------------------------------------------------------------------------

    /** y = x w + bias: x [N, in], w [in, out], bias [out] or null (ONNX Gemm). */
    public Var dense(Var x, Var w, Var bias) {
        int[] xs = x.shape();
        int[] ws = w.shape();
        if (xs.length != 2 || ws.length != 2 || xs[1] != ws[0]) {
            throw new ShapeMismatchException("dense: x " + Arrays.toString(xs) + " and w " + Arrays.toString(ws)
                    + " must be [N, in] and [in, out]");
        }
        Tensor y;
        try (Tensor xw = b.matmul(x.value, w.value)) {
            y = bias == null ? xw.reshape(xw.shape()) : b.binary(xw, bias.value, BinaryOp.ADD);
        }
        Var out = result(y, bw(x, w, bias) ? dy -> {
            if (x.requiresGrad) {
                try (Tensor wt = b.strided(w.value, 0, new int[] {1, ws[1]}, new int[] {ws[1], ws[0]})) {
                    send(x, b.matmul(dy, wt));
                }
            }
            if (w.requiresGrad) {
                try (Tensor xt = b.strided(x.value, 0, new int[] {1, xs[1]}, new int[] {xs[1], xs[0]})) {
                    send(w, b.matmul(xt, dy));
                }
            }
            if (bias != null && bias.requiresGrad) {
                try (Tensor s = b.reduce(dy, ReduceOp.SUM, new boolean[] {true, false})) {
                    send(bias, s.reshape(ws[1]));
                }
            }
        } : null);
        if (recorder != null) {
            recorder.node("Gemm", recorder.names(x, w, bias), out);
        }
        return out;
    }

    // ---- reductions and losses ----------------------------------------------------------------

    /** The sum of all elements, as a [1] tensor. */
    public Var sum(Var x) {
        int[] xs = x.shape();
        boolean[] all = new boolean[xs.length];
        Arrays.fill(all, true);
        Tensor s;
        try (Tensor r = b.reduce(x.value, ReduceOp.SUM, all)) {
            s = r.reshape(1);
        }
        return result(s, bw(x) ? dy -> send(x, spread(dy, xs, 1f)) : null);
    }

    /** The mean of all elements, as a [1] tensor. */
    public Var mean(Var x) {
        return scale(sum(x), 1f / x.value.size(), 0f);
    }

    /**
     * Softmax over axis 1 followed by cross-entropy against {@code target} (same shape: one-hot or soft
     * labels), averaged over every position (N and any spatial axes): a [1] tensor.
     */
    public Var softmaxCrossEntropy(Var logits, Tensor target) {
        int[] zs = logits.shape();
        requireSame(zs, target.shape(), "softmaxCrossEntropy target");
        int positions = logits.value.size() / zs[1];
        Tensor loss;
        try (Tensor ls = b.softmax(logits.value, 1, true);
             Tensor p = b.binary(ls, target, BinaryOp.MUL);
             Tensor s = b.reduce(p, ReduceOp.SUM, allAxes(zs.length));
             Tensor s1 = s.reshape(1)) {
            loss = b.unary(s1, new Activation(UnaryOp.AFFINE, -1f / positions, 0f));
        }
        return result(loss, bw(logits) ? dy -> {
            try (Tensor sm = b.softmax(logits.value, 1, false);
                 Tensor d = b.binary(sm, target, BinaryOp.SUB)) {
                send(logits, scaledBy(d, dy, 1f / positions));
            }
        } : null);
    }

    /**
     * Sigmoid followed by binary cross-entropy against {@code target} (same shape, values in [0, 1]),
     * averaged over all elements, computed stably from the logits: max(z, 0) - z t + log(1 + exp(-|z|)).
     */
    public Var sigmoidBinaryCrossEntropy(Var logits, Tensor target) {
        int[] zs = logits.shape();
        requireSame(zs, target.shape(), "sigmoidBinaryCrossEntropy target");
        int n = logits.value.size();
        Tensor loss;
        try (Tensor relu = b.unary(logits.value, Activation.of(UnaryOp.RELU));
             Tensor zt = b.binary(logits.value, target, BinaryOp.MUL);
             Tensor abs = b.unary(logits.value, Activation.of(UnaryOp.ABS));
             Tensor negAbs = b.unary(abs, new Activation(UnaryOp.AFFINE, -1f, 0f));
             Tensor soft = b.unary(negAbs, Activation.of(UnaryOp.SOFTPLUS));
             Tensor d = b.binary(relu, zt, BinaryOp.SUB);
             Tensor e = b.binary(d, soft, BinaryOp.ADD);
             Tensor s = b.reduce(e, ReduceOp.SUM, allAxes(zs.length));
             Tensor s1 = s.reshape(1)) {
            loss = b.unary(s1, new Activation(UnaryOp.AFFINE, 1f / n, 0f));
        }
        return result(loss, bw(logits) ? dy -> {
            try (Tensor sg = b.unary(logits.value, Activation.of(UnaryOp.SIGMOID));
                 Tensor d = b.binary(sg, target, BinaryOp.SUB)) {
                send(logits, scaledBy(d, dy, 1f / n));
            }
        } : null);
    }

    /**
     * Soft Dice loss 1 - (2 sum(p t) + eps) / (sum p + sum t + eps) over the whole batch, for
     * probabilities p (e.g. after a sigmoid) and a target of the same shape: a [1] tensor.
     */
    public Var diceLoss(Var probs, Tensor target, float eps) {
        int[] ps = probs.shape();
        requireSame(ps, target.shape(), "diceLoss target");
        boolean[] all = allAxes(ps.length);
        Tensor den;
        Tensor num;
        Tensor dice;
        try (Tensor pt = b.binary(probs.value, target, BinaryOp.MUL);
             Tensor inter = b.reduce(pt, ReduceOp.SUM, all);
             Tensor sp = b.reduce(probs.value, ReduceOp.SUM, all);
             Tensor st = b.reduce(target, ReduceOp.SUM, all);
             Tensor spt = b.binary(sp, st, BinaryOp.ADD)) {
            den = b.unary(spt, new Activation(UnaryOp.AFFINE, 1f, eps));
            num = b.unary(inter, new Activation(UnaryOp.AFFINE, 2f, eps));
            dice = b.binary(num, den, BinaryOp.DIV);
        }
        keep(den);
        keep(num);
        keep(dice);
        Tensor loss;
        try (Tensor d1 = dice.reshape(1)) {
            loss = b.unary(d1, new Activation(UnaryOp.AFFINE, -1f, 1f));
        }
        return result(loss, bw(probs) ? dy -> {
            // dL/dp_i = num / den^2 - 2 t_i / den
            try (Tensor a = b.binary(dice, den, BinaryOp.DIV);
                 Tensor r = b.unary(den, Activation.of(UnaryOp.RECIPROCAL));
                 Tensor c = b.unary(r, new Activation(UnaryOp.AFFINE, -2f, 0f));
                 Tensor tc = b.binary(target, c, BinaryOp.MUL);
                 Tensor g = b.binary(tc, a, BinaryOp.ADD)) {
                send(probs, scaledBy(g, dy, 1f));
            }
        } : null);
    }

    // ---- backward -----------------------------------------------------------------------------

    /**
     * Backpropagates from {@code loss} (one element): every parameter on the way gets its gradient
     * added to {@link Parameter#grad()}, every input that asked gets {@link Var#grad()}.
     */
    public void backward(Var loss) {
        checkOpen();
        if (loss.value.size() != 1) {
            throw new ShapeMismatchException("backward needs a scalar loss, got " + Arrays.toString(loss.shape()));
        }
        if (!loss.requiresGrad) {
            throw new IllegalStateException("the loss does not depend on any parameter or input that needs a gradient");
        }
        int end = vars.indexOf(loss);
        send(loss, b.unary(loss.value, new Activation(UnaryOp.AFFINE, 0f, 1f)));
        for (int i = end; i >= 0; i--) {
            Var v = vars.get(i);
            if (v.backward != null && v.grad != null) {
                Tensor g = v.grad;
                v.grad = null;
                try {
                    v.backward.run(g);
                } finally {
                    g.close();
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Var v : vars) {
            if (v.owned) {
                v.value.close();
            }
            if (v.grad != null) {
                v.grad.close();
                v.grad = null;
            }
        }
        kept.forEach(Tensor::close);
        vars.clear();
        kept.clear();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Var result(Tensor y, Var.Backward backward) {
        checkOpen();
        Var v = new Var(this, y, true, backward != null, null);
        v.backward = backward;
        vars.add(v);
        return v;
    }

    /** True when some input needs a gradient. */
    private static boolean bw(Var... inputs) {
        for (Var v : inputs) {
            if (v != null && v.requiresGrad) {
                return true;
            }
        }
        return false;
    }

    /** Adds gradient {@code g} (taken over) to v. */
    private void send(Var v, Tensor g) {
        if (!v.requiresGrad) {
            g.close();
            return;
        }
        if (v.parameter != null) {
            v.parameter.accumulate(g);
            return;
        }
        if (!Arrays.equals(g.shape(), v.value.shape())) {
            Tensor r = g.reshape(v.value.shape());
            g.close();
            g = r;
        }
        if (v.grad == null) {
            v.grad = g;
        } else {
            Tensor s = b.binary(v.grad, g, BinaryOp.ADD);
            v.grad.close();
            g.close();
            v.grad = s;
        }
    }

    private void keep(Tensor t) {
        kept.add(t);
    }

    private static Tensor view(Tensor t) {
        return t.reshape(t.shape());
    }

    /** Sum of g over the axes that broadcasting stretched from {@code shape} (a new tensor). */
    private Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return view(g);
        }
        boolean[] axes = new boolean[gs.length];
        int off = gs.length - shape.length;
        for (int i = 0; i < gs.length; i++) {
            axes[i] = i < off || (shape[i - off] == 1 && gs[i] != 1);
        }
        try (Tensor r = b.reduce(g, ReduceOp.SUM, axes)) {
            return r.reshape(shape);
        }
    }

    /** Per-channel sum of dy [N, C, ...] as [C]. */
    private Tensor channelSum(Tensor dy) {
        int[] s = dy.shape();
        boolean[] axes = new boolean[s.length];
        for (int i = 0; i < s.length; i++) {
            axes[i] = i != 1;
        }
        try (Tensor r = b.reduce(dy, ReduceOp.SUM, axes)) {
            return r.reshape(s[1]);
        }
    }

    /** A [1] gradient dy spread to {@code shape}, times k. */
    private Tensor spread(Tensor dy, int[] shape, float k) {
        try (Tensor s = b.strided(dy, 0, new int[shape.length], shape)) {
            return k == 1f ? view(s) : b.unary(s, new Activation(UnaryOp.AFFINE, k, 0f));
        }
    }

    /** d * dy * k, with dy a [1] tensor. */
    private Tensor scaledBy(Tensor d, Tensor dy, float k) {
        int[] ones = new int[d.rank()];
        Arrays.fill(ones, 1);
        try (Tensor dyr = dy.reshape(ones); Tensor p = b.binary(d, dyr, BinaryOp.MUL)) {
            return k == 1f ? view(p) : b.unary(p, new Activation(UnaryOp.AFFINE, k, 0f));
        }
    }

    private static boolean[] allAxes(int rank) {
        boolean[] a = new boolean[rank];
        Arrays.fill(a, true);
        return a;
    }

    private static ConvSpec withOut(ConvSpec s, int outH, int outW) {
        return new ConvSpec(s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.padBottom(), s.padRight(),
                s.dilationH(), s.dilationW(), s.groups(), outH, outW, Activation.NONE);
    }

    private static List<OnnxAttribute> convAttributes(ConvSpec spec, int[] ws) {
        return new ArrayList<>(List.of(
                OnnxAttribute.ofInts("kernel_shape", ws[2], ws[3]),
                OnnxAttribute.ofInts("strides", spec.strideH(), spec.strideW()),
                OnnxAttribute.ofInts("pads", spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight()),
                OnnxAttribute.ofInts("dilations", spec.dilationH(), spec.dilationW()),
                OnnxAttribute.of("group", (long) spec.groups())));
    }

    private static void requireNoActivation(ConvSpec spec) {
        if (!spec.activation().isIdentity()) {
            throw new IllegalArgumentException("a training convolution takes no fused activation; add an activation op");
        }
    }

    private static void requireSame(int[] a, int[] t, String what) {
        if (!Arrays.equals(a, t)) {
            throw new ShapeMismatchException(what + " " + Arrays.toString(t) + " must have the shape " + Arrays.toString(a));
        }
    }

    private void checkBackend(Tensor t) {
        if (t.backend() != b) {
            throw new IllegalArgumentException("tensor " + t + " is not on this tape's backend " + b.name());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tape used after close()");
        }
    }
}
