package org.neuralj.backend.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.neuralj.backend.Activation;
import org.neuralj.backend.Backend;
import org.neuralj.backend.BinaryOp;
import org.neuralj.backend.ConvSpec;
import org.neuralj.backend.DeviceInfo;
import org.neuralj.backend.DeviceUnavailableException;
import org.neuralj.backend.LineFilter;
import org.neuralj.backend.PlaneBatches;
import org.neuralj.backend.PlaneOp;
import org.neuralj.backend.PlaneRows;
import org.neuralj.backend.PadMode;
import org.neuralj.backend.PoolSpec;
import org.neuralj.backend.ReduceOp;
import org.neuralj.backend.ResizeSpec;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;
import org.neuralj.backend.TransferStats;
import org.neuralj.backend.UnaryOp;

/**
 * The OpenCL backend (JOCL): one context and one in-order queue on one device; every op is a kernel
 * from a {@code kernels/*.cl} resource (one file per op family), compiled once per (device, file,
 * defines) by {@link ProgramCache}; tensors live in pooled device buffers ({@link BufferPool}). Data
 * crosses to the host only in {@link #upload} and {@link #download}.
 *
 * <p>Shapes are always kernel arguments, so a new image size never recompiles. Ops are enqueued
 * asynchronously; {@link #download} waits for them. Launches are serialised on this object
 * (a {@code cl_kernel} holds its arguments), so a backend may be shared between threads.
 */
public final class OpenClBackend implements Backend {
    private static final int RANK = Tensor.MAX_RANK;

    /** Kernel choice for conv2d; {@code AUTO} picks by size (tests force the others). */
    enum ConvKernel { AUTO, GENERAL, TILED, VEC, LANES }

    /** Outputs per work-item of the whole-factor nearest up-sampling (resize_repeat). */
    private static final int RESIZE_VW = 16;
    /** Output channels per work-item of the stride = kernel transposed convolution (conv_transpose2d_blocks). */
    private static final int CONV_TRANSPOSE_OC = 8;
    // Tunables of the tiled conv kernel (defaults of conv.cl unless a device needs otherwise).
    private static final int CONV_OC_TILE = 8;
    private static final int CONV_X_TILE = 2;
    private static final int CONV_WG_X = 16;
    // Tunables of the vector conv kernel (conv2d_vec): 16 x-lanes (AVX-512) and up to 16 output channels per
    // work-item (layers with fewer compile for their own count): 16 accumulator vectors fill half of AVX-512's
    // registers (32 spill). Work-groups of 16 x 1 work-items: left to choose, PoCL made them thousands of
    // work-items large and, with 32 output channels per work-item, overflowed a thread's stack at 2048^2
    // (SIGSEGV); with 16 x 1 the same run passes, and 512^2 runs as fast as with PoCL's own choice.
    private static final int CONV_VW = Integer.getInteger("neuralj.opencl.convVW", 16);
    private static final int CONV_VEC_OC = Integer.getInteger("neuralj.opencl.convVecOC", 16);
    private static final int CONV_VEC_LOCAL_X = Integer.getInteger("neuralj.opencl.convLocalX", 16);
    /** Work-group shapes timed once per device and geometry (null: the built-in ones); see {@link LaunchTuner}. */
    private LaunchTuner tuner;
    /** The device's largest work-group (CL_DEVICE_MAX_WORK_GROUP_SIZE). */
    private final long maxWorkGroup;
    // Narrow images (output rows up to this wide) are convolved from a copy whose rows carry the left and right
    // zero padding: a vector that overlaps the padding is otherwise gathered lane by lane, which on a 14- or
    // 28-pixel row is nearly every load (ResNet-18 at batch 1 on PoCL: 92-98 -> 54-59 ms). On wide rows the
    // copy costs more than the few gathers it saves (the U-Net at 512^2: 218-224 ms without, 290-357 with).
    private static final int CONV_VEC_PAD_WIDTH = Integer.getInteger("neuralj.opencl.convPadWidth", 64);
    /** Output widths up to which a CPU driver's deep convolutions put their output channels in the lanes (conv2d_lanes). */
    private static final int CONV_LANES_MAX_WIDTH = Integer.getInteger("neuralj.opencl.convLanesWidth", 14);
    /**
     * Fault injection for tests: a backend opened while this property is N >= 0 acts as a device that
     * disappears after N kernel launches (every later launch fails as a lost device does).
     */
    static final String FAULT_PROPERTY = "neuralj.opencl.faultAfterLaunches";
    private final long faultAfterLaunches = Long.getLong(FAULT_PROPERTY, -1);
    private long launches;

    private final int index;
    private final DeviceInfo info;
    private final String name;
    private final cl_device_id device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ProgramCache programs;
    private final BufferPool pool;
    private final TransferStats transfers = new TransferStats();
    private final cl_mem dummy;   // bound where a kernel's optional buffer (bias) is absent
    private final int matmulTile;
    private volatile ConvKernel convKernel = ConvKernel.AUTO;
    private boolean closed;

    private OpenClBackend(int index, DeviceInfo info, cl_device_id device) {
        this.tuner = LaunchTuner.forDevice(info);   // first: a bad -Dneuralj.opencl.tune fails before anything is created
        this.index = index;
        this.info = info;
        this.device = device;
        this.name = "opencl:" + index + " (" + info.name().trim() + ")";
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, platformOf(device));
        try {
            this.context = CL.clCreateContext(props, 1, new cl_device_id[] {device}, null, null, null);
            @SuppressWarnings("deprecation")
            cl_command_queue q = CL.clCreateCommandQueue(context, device, 0, null);
            this.queue = q;
        } catch (CLException e) {
            throw new DeviceUnavailableException("cannot open " + name + ": " + ClErrors.name(e.getStatus()), e);
        }
        long fpConfig = deviceLong(device, CL.CL_DEVICE_SINGLE_FP_CONFIG);
        // Correctly rounded division, where the device offers it, so DIV and resize coordinates match the CPU.
        String options = (fpConfig & CL.CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0
                ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
        this.programs = new ProgramCache(context, device, name, options);
        this.pool = new BufferPool(context, name, info.globalMemoryBytes(), info.maxAllocationBytes());
        this.dummy = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, 4, null, null);
        long maxWg = deviceSize(device, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE);
        this.maxWorkGroup = maxWg;
        this.matmulTile = maxWg >= 256 ? 16 : 8;
    }

    // ---- devices ------------------------------------------------------------------------------

    private record Found(cl_platform_id platform, cl_device_id device, DeviceInfo info) {
    }

    /**
     * Every OpenCL device on every platform, numbered across platforms. Throws
     * {@link DeviceUnavailableException} (saying how to install a driver) when the OpenCL library is
     * missing or lists no device.
     */
    public static List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (Found f : scan()) {
            out.add(f.info());
        }
        return out;
    }

    /** Opens device {@code index} of {@link #devices()}. */
    public static OpenClBackend open(int index) {
        List<Found> found = scan();
        if (index < 0 || index >= found.size()) {
            List<DeviceInfo> infos = new ArrayList<>();
            found.forEach(f -> infos.add(f.info()));
            throw new DeviceUnavailableException("no OpenCL device " + index + "; found " + found.size() + ": " + infos);
        }
        Found f = found.get(index);
        return new OpenClBackend(index, f.info(), f.device());
    }

    private static final String HOW_TO_FIX = "install the OpenCL driver of your GPU (NVIDIA, AMD or Intel), or for "
            + "the CPU: sudo apt-get install pocl-opencl-icd ocl-icd-libopencl1 (Debian/Ubuntu); "
            + "or use the cpu backend";

    private static synchronized List<Found> scan() {
        try {
            CL.setExceptionsEnabled(true);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new DeviceUnavailableException("the OpenCL library could not be loaded (" + e.getMessage() + "): "
                    + HOW_TO_FIX, e);
        }
        int[] count = new int[1];
        cl_platform_id[] platforms;
        try {
            CL.clGetPlatformIDs(0, null, count);
            platforms = new cl_platform_id[count[0]];
            if (count[0] > 0) {
                CL.clGetPlatformIDs(count[0], platforms, null);
            }
        } catch (UnsatisfiedLinkError e) {
            throw new DeviceUnavailableException("the OpenCL library could not be loaded (" + e.getMessage() + "): "
                    + HOW_TO_FIX, e);
        } catch (CLException e) {
            // -1001 CL_PLATFORM_NOT_FOUND_KHR: an ICD loader without any driver
            throw new DeviceUnavailableException("OpenCL found no platform (" + ClErrors.name(e.getStatus()) + "): "
                    + HOW_TO_FIX, e);
        }
        if (platforms.length == 0) {
            throw new DeviceUnavailableException("OpenCL found no platform: " + HOW_TO_FIX);
        }
        List<Found> found = new ArrayList<>();
        List<String> platformNames = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String pname = platformString(p, CL.CL_PLATFORM_NAME);
            platformNames.add(pname);
            int[] n = new int[1];
            try {
                CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                continue; // CL_DEVICE_NOT_FOUND: a platform without devices
            }
            cl_device_id[] ds = new cl_device_id[n[0]];
            CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, n[0], ds, null);
            for (cl_device_id d : ds) {
                DeviceInfo info = new DeviceInfo(found.size(), pname.trim(),
                        deviceString(d, CL.CL_DEVICE_NAME).trim(), deviceString(d, CL.CL_DEVICE_VENDOR).trim(),
                        typeName(deviceLong(d, CL.CL_DEVICE_TYPE)),
                        (int) deviceInt(d, CL.CL_DEVICE_MAX_COMPUTE_UNITS),
                        deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE),
                        deviceLong(d, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                        deviceString(d, CL.CL_DEVICE_VERSION).trim());
                found.add(new Found(p, d, info));
            }
        }
        if (found.isEmpty()) {
            throw new DeviceUnavailableException("OpenCL platforms " + platformNames + " list no device: " + HOW_TO_FIX);
        }
        return found;
    }

    private static cl_platform_id platformOf(cl_device_id d) {
        cl_platform_id[] p = new cl_platform_id[1];
        CL.clGetDeviceInfo(d, CL.CL_DEVICE_PLATFORM, Sizeof.cl_platform_id, Pointer.to(p), null);
        return p[0];
    }

    private static String typeName(long type) {
        List<String> kinds = new ArrayList<>();
        if ((type & CL.CL_DEVICE_TYPE_GPU) != 0) kinds.add("GPU");
        if ((type & CL.CL_DEVICE_TYPE_CPU) != 0) kinds.add("CPU");
        if ((type & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) kinds.add("ACCELERATOR");
        if (kinds.isEmpty()) kinds.add("OTHER");
        return String.join("+", kinds);
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(p, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(d, param, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, b.length, Pointer.to(b), null);
        return cString(b);
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        CL.clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return Sizeof.size_t == 4 ? v[0] & 0xffffffffL : v[0];
    }

    // ---- introspection (for tests, benchmarks and logs) ------------------------------------------

    @Override
    public String name() {
        return name;
    }

    /** The device this backend runs on. */
    public DeviceInfo device() {
        return info;
    }

    /** Programs compiled so far (each (file, defines) once). */
    public int programCompiles() {
        return programs.compiles();
    }

    /** Device buffers created so far; a buffer taken from the pool does not count. */
    public long buffersCreated() {
        return pool.created();
    }

    /** Allocations served from the pool so far. */
    public long buffersReused() {
        return pool.reused();
    }

    /** The most device memory (bytes) this backend's tensors held at once (what a memory cap must allow). */
    public long peakDeviceBytes() {
        return pool.peakLiveBytes();
    }

    /** Forces a conv2d kernel (for tests and benchmarks); AUTO picks by size. */
    void setConvKernel(ConvKernel k) {
        convKernel = k;
    }

    /** Waits until every enqueued kernel has finished (for timing). */
    @Override
    public void finish() {
        try {
            CL.clFinish(queue);
        } catch (CLException e) {
            throw ClErrors.translate(e, "waiting for the queue", name, 0, info.globalMemoryBytes());
        }
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public Tensor upload(float[] data, int... shape) {
        int n = Tensor.elementCount(shape);
        if (data.length != n) {
            throw new ShapeMismatchException("upload of " + data.length + " floats as shape " + Arrays.toString(shape)
                    + " (" + n + " elements)");
        }
        Tensor t = allocate(shape);
        if (n > 0) {
            try {
                CL.clEnqueueWriteBuffer(queue, mem(t), CL.CL_TRUE, 0, 4L * n, Pointer.to(data), 0, null, null);
            } catch (CLException e) {
                t.close();
                throw ClErrors.translate(e, "uploading " + Arrays.toString(shape), name, 4L * n, info.globalMemoryBytes());
            }
        }
        transfers.countUpload(4L * n);
        return t;
    }

    @Override
    public float[] download(Tensor t) {
        float[] out = new float[t.size()];
        if (out.length > 0) {
            try {
                CL.clEnqueueReadBuffer(queue, mem(t), CL.CL_TRUE, 0, 4L * out.length, Pointer.to(out), 0, null, null);
            } catch (CLException e) {
                throw ClErrors.translate(e, "downloading " + Arrays.toString(t.shape())
                        + " (or a kernel enqueued before it)", name, 4L * out.length, info.globalMemoryBytes());
            }
        }
        transfers.countDownload(4L * out.length);
        return out;
    }

    /** A device backend cannot use host memory in place: an upload. */
    @Override
    public Tensor view(float[] data, int... shape) {
        return upload(data, shape);
    }

    @Override
    public void download(Tensor t, float[] into, int offset) {
        int n = t.size();
        if (offset < 0 || (long) offset + n > into.length) {
            throw new IllegalArgumentException("download: " + n + " floats do not fit into an array of " + into.length
                    + " from offset " + offset);
        }
        if (n > 0) {
            try {
                CL.clEnqueueReadBuffer(queue, mem(t), CL.CL_TRUE, 0, 4L * n, Pointer.to(into).withByteOffset(4L * offset),
                        0, null, null);
            } catch (CLException e) {
                throw ClErrors.translate(e, "downloading " + Arrays.toString(t.shape())
                        + " (or a kernel enqueued before it)", name, 4L * n, info.globalMemoryBytes());
            }
        }
        transfers.countDownload(4L * n);
    }

    @Override
    public Tensor allocate(int... shape) {
        int n = Tensor.elementCount(shape);
        return new Tensor(this, pool.take(n), shape);
    }

    @Override
    public TransferStats transfers() {
        return transfers;
    }

    /** 16 Mi floats (64 MiB) per transfer, or an eighth of the device's largest buffer if that is less. */
    @Override
    public int preferredBatchFloats() {
        return (int) Math.max(1 << 16, Math.min(16L << 20, info.maxAllocationBytes() / 32));
    }

    /** Device buffers held by open tensors (and the forms derived from them), for tests. */
    int liveBuffers() {
        return pool.liveCount();
    }

    cl_mem mem(Tensor t) {
        if (t.backend() != this) {
            throw new IllegalArgumentException("tensor " + t + " lives on " + t.backend().name() + ", not on " + name);
        }
        if (!(t.storage() instanceof ClStorage s) || s.pool() != pool) {
            throw new IllegalArgumentException("tensor " + Arrays.toString(t.shape()) + " has no device memory of " + name);
        }
        return s.mem();
    }

    // ---- launching ----------------------------------------------------------------------------

    /**
     * Sets the arguments (cl_mem, Integer or Float, in order) and enqueues {@code kernel} of
     * {@code file}. {@code local} null lets the driver choose; otherwise global is rounded up to it.
     * An empty global range enqueues nothing.
     */
    void run(String file, String defines, String kernelName, long[] global, long[] local, Object... args) {
        for (long g : global) {
            if (g <= 0) {
                return;
            }
        }
        long[] g = global.clone();
        if (local != null) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (g[i] + local[i] - 1) / local[i] * local[i];
            }
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(name + " is closed");
            }
            cl_kernel k = programs.kernel(file, defines, kernelName);
            long bytes = 0;
            try {
                for (int i = 0; i < args.length; i++) {
                    Object a = args[i];
                    if (a instanceof cl_mem m) {
                        CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                    } else if (a instanceof Integer v) {
                        CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                    } else if (a instanceof Float v) {
                        CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                    } else {
                        throw new IllegalArgumentException("kernel argument " + i + " of " + kernelName + ": " + a);
                    }
                }
                if (BufferPool.GUARD) {
                    writeCanaries(args);
                }
                if (faultAfterLaunches >= 0 && launches++ >= faultAfterLaunches) {
                    throw new CLException("simulated device loss (-D" + FAULT_PROPERTY + ")", ClErrors.CL_DEVICE_NOT_AVAILABLE);
                }
                CL.clEnqueueNDRangeKernel(queue, k, g.length, null, g, local, 0, null, null);
                if (BufferPool.GUARD) {
                    checkCanaries(file, kernelName, args);
                }
            } catch (CLException e) {
                for (Object a : args) {
                    if (a instanceof cl_mem m) {
                        bytes += memSize(m);
                    }
                }
                throw ClErrors.translate(e, "kernel " + kernelName + " of " + file, name, bytes, info.globalMemoryBytes());
            }
        }
    }

    /** Guard mode: the canary after every buffer argument's tensor data. */
    private void writeCanaries(Object[] args) {
        float[] canary = new float[BufferPool.GUARD_FLOATS];
        java.util.Arrays.fill(canary, BufferPool.CANARY);
        for (Object a : args) {
            if (a instanceof cl_mem m && pool.isGuarded(m)) {
                long offset = memSize(m) - 4L * BufferPool.GUARD_FLOATS;
                CL.clEnqueueWriteBuffer(queue, m, CL.CL_TRUE, offset, 4L * canary.length, Pointer.to(canary), 0, null, null);
            }
        }
    }

    /** Guard mode: fails, naming the kernel and argument, if a kernel wrote past a buffer's end. */
    private void checkCanaries(String file, String kernelName, Object[] args) {
        CL.clFinish(queue);
        float[] seen = new float[BufferPool.GUARD_FLOATS];
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof cl_mem m && pool.isGuarded(m)) {
                long offset = memSize(m) - 4L * BufferPool.GUARD_FLOATS;
                CL.clEnqueueReadBuffer(queue, m, CL.CL_TRUE, offset, 4L * seen.length, Pointer.to(seen), 0, null, null);
                for (int j = 0; j < seen.length; j++) {
                    if (Float.floatToRawIntBits(seen[j]) != Float.floatToRawIntBits(BufferPool.CANARY)) {
                        throw new IllegalStateException("kernel " + kernelName + " of " + file + " wrote past the end of argument "
                                + i + " (" + (offset / 4) + " floats): float " + j + " after the end is " + seen[j]);
                    }
                }
            }
        }
    }

    private static long memSize(cl_mem m) {
        try {
            long[] v = new long[1];
            CL.clGetMemObjectInfo(m, CL.CL_MEM_SIZE, Sizeof.size_t, Pointer.to(v), null);
            return v[0];
        } catch (CLException e) {
            return 0;
        }
    }

    private static long[] range(long... sizes) {
        return sizes;
    }

    // ---- element-wise -------------------------------------------------------------------------

    /** The ACT_* code of activation.cl for an op. */
    static int actCode(UnaryOp op) {
        switch (op) {
            case IDENTITY: return 0;
            case RELU: return 1;
            case LEAKY_RELU: return 2;
            case ELU: return 3;
            case SELU: return 4;
            case SIGMOID: return 5;
            case HARD_SIGMOID: return 6;
            case HARD_SWISH: return 7;
            case TANH: return 8;
            case CLIP: return 9;
            case SQRT: return 10;
            case EXP: return 11;
            case LOG: return 12;
            case NEG: return 13;
            case ABS: return 14;
            case SOFTPLUS: return 15;
            case SOFTSIGN: return 16;
            case RECIPROCAL: return 17;
            case THRESHOLDED_RELU: return 18;
            case ERF: return 19;
            case FLOOR: return 20;
            case CEIL: return 21;
            case ROUND: return 22;
            case TRUNC: return 23;
            case NOT_ZERO: return 24;
            case AFFINE: return 25;
            default: throw new IllegalArgumentException("no OpenCL code for " + op);
        }
    }

    private static int binCode(BinaryOp op) {
        switch (op) {
            case ADD: return 0;
            case SUB: return 1;
            case MUL: return 2;
            case DIV: return 3;
            case POW: return 4;
            case MAX: return 5;
            case MIN: return 6;
            case PRELU: return 7;
            default: throw new IllegalArgumentException("no OpenCL code for " + op);
        }
    }

    @Override
    public Tensor unary(Tensor x, Activation f) {
        cl_mem xm = mem(x);
        Tensor y = allocate(x.shape());
        int n = x.size();
        run("elementwise.cl", "-DUNARY_OP=" + actCode(f.op()), "unary", range(n), null, xm, mem(y), n, actCode(f.op()), f.a(), f.b());
        return y;
    }

    @Override
    public Tensor binary(Tensor a, Tensor b, BinaryOp op, Activation after) {
        if (after.isIdentity() || !Arrays.equals(a.shape(), b.shape())) {
            return Backend.super.binary(a, b, op, after);
        }
        cl_mem am = mem(a), bm = mem(b);
        Tensor y = allocate(a.shape());
        int n = y.size();
        run("elementwise.cl", "-DBINARY_OP=" + binCode(op) + " -DAFTER_OP=" + actCode(after.op()), "binary_same_act", range(n), null,
                am, bm, mem(y), n, binCode(op), after.a(), after.b());
        return y;
    }

    @Override
    public Tensor binary(Tensor a, Tensor b, BinaryOp op) {
        cl_mem am = mem(a), bm = mem(b);
        int[] out = Backend.broadcastShape(a.shape(), b.shape());
        Tensor y = allocate(out);
        int n = y.size();
        if (Arrays.equals(a.shape(), out) && Arrays.equals(b.shape(), out)) {
            run("elementwise.cl", "-DBINARY_OP=" + binCode(op), "binary_same", range(n), null, am, bm, mem(y), n, binCode(op));
            return y;
        }
        int[][] c = collapse(out, Backend.broadcastStrides(a.shape(), out), Backend.broadcastStrides(b.shape(), out));
        int[] d = rightAlign(c[0], 1), sa = rightAlign(c[1], 0), sb = rightAlign(c[2], 0);
        run("elementwise.cl", "-DBINARY_OP=" + binCode(op), "binary_bcast", range(n), null, am, bm, mem(y), n, binCode(op), c[0].length,
                d[0], d[1], d[2], d[3], d[4], d[5], sa[0], sa[1], sa[2], sa[3], sa[4], sa[5],
                sb[0], sb[1], sb[2], sb[3], sb[4], sb[5]);
        return y;
    }

    /**
     * Drops size-1 dimensions and merges neighbours that are contiguous for every stride array:
     * returns {shape, strides...} of the same index space with fewer dimensions (at least one).
     */
    static int[][] collapse(int[] shape, int[]... strides) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1) keep.add(i);
        }
        int k = keep.size();
        int[] d = new int[k];
        int[][] s = new int[strides.length][k];
        for (int j = 0; j < k; j++) {
            d[j] = shape[keep.get(j)];
            for (int t = 0; t < strides.length; t++) s[t][j] = strides[t][keep.get(j)];
        }
        // merge j-1 into j (from the right) when s[j-1] == s[j] * d[j] for every stride array
        int[] md = new int[Math.max(k, 1)];
        int[][] ms = new int[strides.length][Math.max(k, 1)];
        int m = 0;
        for (int j = 0; j < k; j++) {
            boolean merge = m > 0;
            for (int t = 0; merge && t < strides.length; t++) {
                merge = ms[t][m - 1] == s[t][j] * d[j];
            }
            if (merge) {
                md[m - 1] *= d[j];
                for (int t = 0; t < strides.length; t++) ms[t][m - 1] = s[t][j];
            } else {
                md[m] = d[j];
                for (int t = 0; t < strides.length; t++) ms[t][m] = s[t][j];
                m++;
            }
        }
        if (m == 0) { // a single element
            md[0] = 1;
            m = 1;
        }
        int[][] result = new int[strides.length + 1][];
        result[0] = Arrays.copyOf(md, m);
        for (int t = 0; t < strides.length; t++) result[t + 1] = Arrays.copyOf(ms[t], m);
        return result;
    }

    /** Right-aligns up to RANK values in RANK slots, filling the front with {@code fill}. */
    private static int[] rightAlign(int[] v, int fill) {
        int[] r = new int[RANK];
        Arrays.fill(r, fill);
        System.arraycopy(v, 0, r, RANK - v.length, v.length);
        return r;
    }

    // ---- convolution and pooling --------------------------------------------------------------

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec s) {
        return conv2d(x, w, bias, s, null);
    }

    /**
     * The conv.cl kernels add the residual as they write each output (-DRESIDUAL), so a ResNet block's Add and ReLU are
     * no kernel of their own; the depthwise kernel and a residual of another shape take the default two passes.
     */
    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvSpec s, Tensor residual) {
        int[] xs = x.shape(), ws = w.shape();
        if (xs.length != 4 || ws.length != 4) {
            throw new ShapeMismatchException("conv2d needs x [N, C, H, W] and w [M, C/groups, kH, kW]; got x "
                    + Arrays.toString(xs) + ", w " + Arrays.toString(ws));
        }
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], M = ws[0], kH = ws[2], kW = ws[3], g = s.groups();
        if (C % g != 0 || M % g != 0 || ws[1] * g != C) {
            throw new ShapeMismatchException("conv2d: x " + Arrays.toString(xs) + " has " + C + " channels, w "
                    + Arrays.toString(ws) + " expects " + ws[1] + " per group x " + g + " groups (and " + M
                    + " output channels must divide by the groups)");
        }
        checkBias(bias, M, "conv2d");
        ConvKernel k = convKernel;
        boolean depthwise = k == ConvKernel.AUTO && g == C && M == C && s.strideW() == 1;
        if (residual != null && (depthwise || !Arrays.equals(residual.shape(), new int[] {N, M, s.outH(), s.outW()}))) {
            return Backend.super.conv2d(x, w, bias, s, residual);
        }
        cl_mem xm = mem(x), wm = mem(w), bm = bias == null ? dummy : mem(bias);
        Tensor y = allocate(N, M, s.outH(), s.outW());
        Activation act = s.activation();
        Object[] args = {xm, wm, bm, mem(y), N, C, H, W, M, kH, kW, s.outH(), s.outW(),
                s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.dilationH(), s.dilationW(), g,
                bias == null ? 0 : 1, actCode(act.op()), act.a(), act.b()};
        if (depthwise) { // depthwise / one channel: depthwise.cl
            int vw = Integer.getInteger("neuralj.opencl.depthwiseVW", 16);
            run("depthwise.cl", "-DVW=" + vw, "depthwise_conv2d", range((s.outW() + vw - 1) / vw, s.outH(), (long) N * C), null, args);
            return y;
        }
        // the conv.cl kernels' last argument: the residual, or y (not read) without one
        Object[] cargs = Arrays.copyOf(args, args.length + 1);
        cargs[args.length] = residual != null ? mem(residual) : mem(y);
        String withResidual = residual != null ? " -DRESIDUAL" : "";
        if (k == ConvKernel.AUTO) {
            // CPU drivers run explicit vectors best (conv2d_vec); GPUs the work-group tiled kernel, whose
            // neighbouring work-items read neighbouring x. Both pay off once a tile of output channels and a
            // row of x positions are filled; tiny or channel-poor convolutions take the general kernel.
            // On a CPU driver the vector kernel also takes few output channels (a network's last 1-channel
            // layer), compiled for that many: through the general kernel (one work-item per pixel) the blob
            // detector ran 5x slower on PoCL. And narrow images (a ResNet's 7 x 7 layers of 512 channels), with
            // vectors as narrow as 4 or 8 lanes: through the general kernel they ran at 2 GFLOP/s.
            // Narrow and deep ones (a ResNet's 7 x 7 and 14 x 14 layers) put their output channels in the lanes.
            boolean cpu = info.type().contains("CPU");
            boolean big = cpu || M / g >= 4 && s.outW() >= 8;
            boolean narrowDeep = s.outW() <= CONV_LANES_MAX_WIDTH && M / g >= 16;
            k = !big ? ConvKernel.GENERAL : !cpu ? ConvKernel.TILED : narrowDeep ? ConvKernel.LANES : ConvKernel.VEC;
        }
        if (k == ConvKernel.LANES) {
            int lp = s.outW() % 7 == 0 ? 7 : Math.min(s.outW(), 8);   // x positions per work-item: 7 divides 7, 14, 28
            int mTiles = (M / g + 15) / 16;
            long gx = (s.outW() + lp - 1) / lp;
            // the kernel size compiled in, so the tap loops unroll: PoCL, ResNet-18 b1, the 7² and 14² stages 0.89-0.91x
            // the time, the network 0.91x / 0.94x (two pairs of processes); the same in conv2d_vec made no difference
            // (its 56² and 28² layers 4.75 / 4.65 against 4.68 / 4.28 ms and back)
            String defines = "-DLP=" + lp + " -DLANE_STRIDE=" + s.strideW() + " -DVEC_OC=16 -DVEC_ACT=" + actCode(act.op())
                    + " -DCONV_KH=" + kH + " -DCONV_KW=" + kW + withResidual;
            cargs[1] = mem(packedConvWeights(w, g, 16, "-DVEC_OC=16"));
            // rows padded so that every tap of every computed position (past outW too) lies inside its row
            int wp = (int) ((gx * lp - 1) * s.strideW() + (kW - 1) * s.dilationW() + 1);
            try (Tensor padded = padConvRows(x, s, wp, cargs)) {
                runAlongX("conv2d_lanes", defines, gx * mTiles, (long) N * g, xs, ws, s, cargs);
            }
        } else if (k == ConvKernel.VEC) {
            int oc = Math.min(CONV_VEC_OC, Integer.highestOneBit(Math.max(1, M / g)));   // output channels per work-item
            int mTiles = (M / g + oc - 1) / oc;
            int vw = s.outW() <= 4 ? 4 : s.outW() <= 8 ? 8 : CONV_VW;   // lanes along x
            String defines = "-DVW=" + vw + " -DVEC_OC=" + oc + " -DVEC_ACT=" + actCode(act.op());
            cargs[1] = mem(packedConvWeights(w, g, oc, defines));
            defines += withResidual;
            long gx = (s.outW() + vw - 1) / vw;   // x vectors
            Tensor padded = null;
            // rows padded on the host so no vector is gathered lane by lane: narrow stride-1 images, and every stride-2
            // one, whose lanes are the even lanes of two contiguous loads (PoCL, ResNet-18's 7x7 / 2 stem: 3.5-3.8 -> 1.4-1.7 ms)
            boolean stride2 = s.strideW() == 2;
            if (s.strideW() == 1 && s.outW() <= CONV_VEC_PAD_WIDTH || stride2) {
                padded = padConvRows(x, s, (int) gx * vw * s.strideW() + (kW - 1) * s.dilationW(), cargs);
                defines += stride2 ? " -DPADDED_X2" : " -DPADDED_X";
            }
            try {
                runAlongX("conv2d_vec", defines, gx * mTiles, (long) N * g, xs, ws, s, cargs);
            } finally {
                if (padded != null) {
                    padded.close();
                }
            }
        } else if (k == ConvKernel.TILED) {
            // candidates {WG_X, OC_TILE, X_TILE}, the built-in shape first; each is its own program (compile-time sizes)
            java.util.function.Consumer<int[]> launch = c -> {
                int wgx = c[0], ocTile = c[1], xTile = c[2];
                int mTiles = (M / g + ocTile - 1) / ocTile;
                long gx = (long) ((s.outW() + wgx * xTile - 1) / (wgx * xTile)) * wgx;
                String defines = "-DOC_TILE=" + ocTile + " -DX_TILE=" + xTile + " -DWG_X=" + wgx + withResidual;
                run("conv.cl", defines, "conv2d_tiled", range(gx, s.outH(), (long) N * g * mTiles), range(wgx, 1, 1), cargs);
            };
            List<int[]> shapes = new ArrayList<>();
            for (int[] c : TILED_SHAPES) {
                if (c[0] <= maxWorkGroup) {
                    shapes.add(c);
                }
            }
            launch.accept(tuned("conv2d_tiled" + withResidual, xs, ws, s, shapes, launch));
        } else {
            run("conv.cl", withResidual.trim(), "conv2d_general", range(s.outW(), s.outH(), (long) N * M), null, cargs);
        }
        return y;
    }

    /**
     * x [N, C, H, W] with s's left padding and zeros on the right up to {@code wp} columns (at least x's own), for a
     * conv kernel that then reads no column outside its row; {@code args} (CONV_ARGS) then name it: x, W and padLeft 0.
     * Close it after the run.
     */
    private Tensor padConvRows(Tensor x, ConvSpec s, int wp, Object[] args) {
        int w = x.shape()[3];
        Tensor padded = pad(x, new int[] {0, 0, 0, s.padLeft()}, new int[] {0, 0, 0, Math.max(0, wp - w - s.padLeft())},
                PadMode.CONSTANT, 0f);
        args[0] = mem(padded);
        args[7] = padded.shape()[3];
        args[16] = 0;
        return padded;
    }

    /**
     * The tiled kernel's candidate shapes {WG_X, OC_TILE, X_TILE} for {@link LaunchTuner}: the built-in one first, then
     * narrower and wider work-groups, fewer or more channels and x positions a work-item.
     */
    private static final int[][] TILED_SHAPES = {{CONV_WG_X, CONV_OC_TILE, CONV_X_TILE}, {8, 8, 2}, {32, 8, 2}, {64, 4, 1},
        {16, 4, 2}, {16, 16, 1}, {16, 8, 1}, {16, 8, 4}, {32, 4, 2}};

    /**
     * A conv.cl kernel (conv2d_vec, conv2d_lanes) with {@code items} work-items along dimension 0 (x positions times
     * channel tiles), one per output row along dimension 1 and {@code planes} along 2, at the tuned local size along x.
     */
    private void runAlongX(String kernel, String defines, long items, long planes, int[] xs, int[] ws, ConvSpec s, Object[] args) {
        java.util.function.Consumer<int[]> launch = c -> run("conv.cl", defines, kernel,
                range((items + c[0] - 1) / c[0] * c[0], s.outH(), planes), range(c[0], 1, 1), args);
        launch.accept(tuned(kernel + " " + defines, xs, ws, s, localSizes(items), launch));
    }

    /** Local sizes along x for conv2d_vec and conv2d_lanes: the built-in one first, none wider than the x work-items. */
    private static List<int[]> localSizes(long items) {
        List<int[]> sizes = new ArrayList<>();
        sizes.add(new int[] {(int) Math.min(CONV_VEC_LOCAL_X, items)});
        for (int lx : new int[] {4, 8, 16, 32, 64}) {
            if (lx < items && lx != sizes.get(0)[0]) {
                sizes.add(new int[] {lx});
            }
        }
        return sizes;
    }

    /**
     * The candidate to launch: the first (built-in) one without a tuner, else the tuner's choice for this kernel and
     * geometry (timing each candidate through {@code launch} the first time).
     */
    private int[] tuned(String kernel, int[] xs, int[] ws, ConvSpec s, List<int[]> candidates,
                        java.util.function.Consumer<int[]> launch) {
        if (tuner == null) {
            return candidates.get(0);
        }
        String key = kernel + " x" + Arrays.toString(xs) + " w" + Arrays.toString(ws) + " stride " + s.strideH() + "x" + s.strideW()
                + " dilation " + s.dilationH() + "x" + s.dilationW() + " pads " + s.padTop() + "," + s.padLeft() + " groups " + s.groups();
        return tuner.choose(key.replace(' ', '_'), candidates, c -> {
            launch.accept(c);
            CL.clFinish(queue);
        });
    }

    /** Tunes work-group shapes with {@code t} from now on (null: the built-in shapes); for tests. */
    void tuneWith(LaunchTuner t) {
        this.tuner = t;
    }

    /** How conv2d_vec's weights were packed. */
    private record VecPackKey(int groups, int oc, List<Integer> shape) {
    }

    /**
     * The weights w [M, Cg, kH, kW] packed for conv2d_vec ({@code oc} channels a tap side by side), made on the
     * device on a model's first run and kept with w's memory (freed with it).
     */
    private Tensor packedConvWeights(Tensor w, int groups, int oc, String defines) {
        int[] ws = w.shape();
        return w.storage().derived(new VecPackKey(groups, oc, Arrays.stream(ws).boxed().toList()), () -> {
            int mg = ws[0] / groups, cg = ws[1], khw = ws[2] * ws[3], mTiles = (mg + oc - 1) / oc;
            Tensor packed = allocate(groups * mTiles * oc * cg * khw);
            run("conv.cl", defines, "pack_conv_vec_weights", range((long) mTiles * oc * cg * khw, groups), null, mem(w), mem(packed),
                    mg, cg, khw, mTiles);
            return packed;
        });
    }

    private void checkBias(Tensor bias, int m, String op) {
        if (bias != null && bias.size() != m) {
            throw new ShapeMismatchException(op + ": bias " + Arrays.toString(bias.shape()) + " must have " + m
                    + " elements (one per output channel)");
        }
    }

    @Override
    public Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, ConvSpec s) {
        int[] xs = x.shape(), ws = w.shape();
        if (xs.length != 4 || ws.length != 4) {
            throw new ShapeMismatchException("convTranspose2d needs x [N, C, H, W] and w [C, M/groups, kH, kW]; got x "
                    + Arrays.toString(xs) + ", w " + Arrays.toString(ws));
        }
        int N = xs[0], C = xs[1], H = xs[2], W = xs[3], g = s.groups(), M = ws[1] * g, kH = ws[2], kW = ws[3];
        if (ws[0] != C || C % g != 0) {
            throw new ShapeMismatchException("convTranspose2d: x " + Arrays.toString(xs) + " has " + C
                    + " channels but w " + Arrays.toString(ws) + " has " + ws[0] + " (groups " + g + ")");
        }
        checkBias(bias, M, "convTranspose2d");
        cl_mem xm = mem(x), wm = mem(w), bm = bias == null ? dummy : mem(bias);
        Tensor y = allocate(N, M, s.outH(), s.outW());
        Activation act = s.activation();
        int mg = M / g;
        if (s.strideH() == kH && s.strideW() == kW && s.padTop() == 0 && s.padLeft() == 0 && s.dilationH() == 1
                && s.dilationW() == 1 && s.outH() == H * kH && s.outW() == W * kW && kH * kW <= 16) {
            int oc = Math.min(CONV_TRANSPOSE_OC, mg);
            run("conv_transpose.cl", "-DOC=" + oc + " -DKH=" + kH + " -DKW=" + kW, "conv_transpose2d_blocks",
                    range(W, H, (long) N * g * ((mg + oc - 1) / oc)), null,
                    xm, wm, bm, mem(y), N, C, H, W, M, g, bias == null ? 0 : 1, actCode(act.op()), act.a(), act.b());
            return y;
        }
        run("conv_transpose.cl", "", "conv_transpose2d", range(s.outW(), s.outH(), (long) N * M), null,
                xm, wm, bm, mem(y), N, C, H, W, M, kH, kW, s.outH(), s.outW(),
                s.strideH(), s.strideW(), s.padTop(), s.padLeft(), s.dilationH(), s.dilationW(), g,
                bias == null ? 0 : 1, actCode(act.op()), act.a(), act.b());
        return y;
    }

    // ---- image filters (kernels/filters.cl) -----------------------------------------------------

    /** Work-group width and local floats of the tiled filter kernels (filters.cl's defaults). */
    private static final int FILTER_WG = 64;
    private static final int FILTER_WG_Y = 4;
    private static final int FILTER_WG_COLS = 32;
    private static final int FILTER_LOCAL_N = 4096;
    /** Outputs per work-item of the vector filter kernels (filters.cl's VW). */
    private static final int FILTER_VW = 16;

    /**
     * The filter kernel style: "vector" (VW outputs per work-item, for CPU drivers), "tiled" (local memory,
     * for GPUs) or "auto" (by device type). A system property read per call, so tests can run both.
     */
    private boolean vectorFilters() {
        String style = System.getProperty("neuralj.opencl.filterKernels", "auto");
        return style.equals("auto") ? info.type().contains("CPU") : style.equals("vector");
    }

    @Override
    public Tensor separable(Tensor x, LineFilter alongX, LineFilter alongY, PadMode edge) {
        int[] p = planes(x, edge, "separable");
        if (x.size() == 0 || (alongX == null && alongY == null)) {
            return strided(x, 0, Tensor.stridesOf(x.shape()), x.shape());      // a copy
        }
        int mode = padCode(edge);
        boolean vec = vectorFilters();
        Tensor cur = x;
        try {
            if (alongX != null) {
                cur = alongX(x, alongX, p[0], p[1], p[2], mode, vec);
            }
            if (alongY != null) {
                Tensor in = cur;
                cur = alongY(in, alongY, p[0], p[1], p[2], mode, vec);
                if (in != x) {
                    in.close();
                }
            }
            try (Tensor out = cur) {
                return out.reshape(x.shape());
            }
        } catch (RuntimeException e) {
            if (cur != x) {
                cur.close();
            }
            throw e;
        }
    }

    /** A {@link LineFilter} along the rows of planes [planes][h][w]; the result has the same shape. */
    private Tensor alongX(Tensor x, LineFilter f, int planes, int h, int w, int mode, boolean vec) {
        float[] kernel = f.kernel();
        try (Tensor k = upload(kernel, kernel.length)) {
            if (!f.resamples()) {
                return rows(x, k, kernel.length, planes, h, w, mode, vec);
            }
            // decimate and interpolate one output per work-item (strided along the row); blur as a plain row pass
            int r = f.factor(), m = f.margin(), n = f.smallLength(w);
            float[] down = f.down(), up = f.up();
            try (Tensor d = upload(down, down.length); Tensor small = allocate(planes, h, n)) {
                run("filters.cl", "", "line_correlate", range(n, h, planes), null, mem(x), mem(small), mem(d), down.length, r,
                        m * r + down.length / 2, w, n, h, 1, mode);
                try (Tensor blurred = rows(small, k, kernel.length, planes, h, n, mode, vec); Tensor u = upload(up, up.length)) {
                    Tensor y = allocate(planes, h, w);
                    run("filters.cl", "", "line_interpolate", range(w, h, planes), null, mem(blurred), mem(y), mem(u), up.length,
                            r, m, n, w, h, 1);
                    return y;
                }
            }
        }
    }

    /** A {@link LineFilter} along the columns of planes [planes][h][w]; the result has the same shape. */
    private Tensor alongY(Tensor x, LineFilter f, int planes, int h, int w, int mode, boolean vec) {
        float[] kernel = f.kernel();
        try (Tensor k = upload(kernel, kernel.length)) {
            if (!f.resamples()) {
                return columns(x, k, kernel.length, 1, kernel.length / 2, planes, h, h, w, mode, vec);
            }
            int r = f.factor(), m = f.margin(), n = f.smallLength(h);
            float[] down = f.down(), up = f.up();
            try (Tensor d = upload(down, down.length);
                 Tensor small = columns(x, d, down.length, r, m * r + down.length / 2, planes, h, n, w, mode, vec);
                 Tensor blurred = columns(small, k, kernel.length, 1, kernel.length / 2, planes, n, n, w, mode, vec);
                 Tensor u = upload(up, up.length)) {
                Tensor y = allocate(planes, h, w);
                if (vec) {
                    run("filters.cl", "", "cols_interpolate_vec", range((w + FILTER_VW - 1) / FILTER_VW, h, planes), null,
                            mem(blurred), mem(y), mem(u), up.length, r, m, w, n, h);
                } else {
                    run("filters.cl", "", "line_interpolate", range(w, h, planes), null, mem(blurred), mem(y), mem(u), up.length,
                            r, m, n, h, w, 0);
                }
                return y;
            }
        }
    }

    /** Correlation with k (taps, centred) along the rows of [planes][h][w]. */
    private Tensor rows(Tensor x, Tensor k, int taps, int planes, int h, int w, int mode, boolean vec) {
        Tensor y = allocate(planes, h, w);
        if (vec) {
            run("filters.cl", "", "rows_vec", range((w + FILTER_VW - 1) / FILTER_VW, h, planes), null,
                    mem(x), mem(y), mem(k), taps, w, h, mode);
        } else if (taps - 1 + FILTER_WG <= FILTER_LOCAL_N) {
            int per = Math.min(8, (FILTER_LOCAL_N - (taps - 1)) / FILTER_WG);
            long groups = (w + (long) per * FILTER_WG - 1) / ((long) per * FILTER_WG);
            run("filters.cl", "", "rows_tiled", range(groups * FILTER_WG, h, planes), range(FILTER_WG, 1, 1),
                    mem(x), mem(y), mem(k), taps, w, h, mode, per);
        } else {
            run("filters.cl", "", "line_correlate", range(w, h, planes), null, mem(x), mem(y), mem(k), taps, 1, taps / 2,
                    w, w, h, 1, mode);
        }
        return y;
    }

    /**
     * Along the columns of x [planes][inH][w] into [planes][outH][w]: output row o reads input rows
     * o * step - first + t (a correlation with step 1, first = taps / 2, or a decimation).
     */
    private Tensor columns(Tensor x, Tensor k, int taps, int step, int first, int planes, int inH, int outH, int w, int mode,
                           boolean vec) {
        Tensor y = allocate(planes, outH, w);
        if (vec) {
            run("filters.cl", "", "cols_vec", range((w + FILTER_VW - 1) / FILTER_VW, outH, planes), null,
                    mem(x), mem(y), mem(k), taps, step, first, w, inH, outH, mode);
        } else if (step == 1 && (taps - 1 + FILTER_WG_Y) * FILTER_WG_COLS <= FILTER_LOCAL_N) {
            int per = Math.min(16, (FILTER_LOCAL_N / FILTER_WG_COLS - (taps - 1)) / FILTER_WG_Y);
            long groups = (outH + (long) per * FILTER_WG_Y - 1) / ((long) per * FILTER_WG_Y);
            run("filters.cl", "", "cols_tiled", range(w, groups * FILTER_WG_Y, planes), range(FILTER_WG_COLS, FILTER_WG_Y, 1),
                    mem(x), mem(y), mem(k), taps, w, outH, mode, per);
        } else {
            run("filters.cl", "", "line_correlate", range(w, outH, planes), null, mem(x), mem(y), mem(k), taps, step, first,
                    inH, outH, w, 0, mode);
        }
        return y;
    }

    @Override
    public Tensor filter2d(Tensor x, float[] kernel, int kh, int kw, PadMode edge) {
        Backend.checkKernel2d(kernel, kh, kw);
        int[] p = planes(x, edge, "filter2d");
        Tensor y = allocate(x.shape());
        try (Tensor k = upload(kernel, kernel.length)) {
            if (vectorFilters()) {
                run("filters.cl", "", "filter2d_vec", range((p[2] + FILTER_VW - 1) / FILTER_VW, p[1], p[0]), null,
                        mem(x), mem(y), mem(k), kh, kw, p[2], p[1], padCode(edge));
            } else {
                run("filters.cl", "", "filter2d", range(p[2], p[1], p[0]), null, mem(x), mem(y), mem(k), kh, kw, p[2], p[1],
                        padCode(edge));
            }
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
        return y;
    }

    @Override
    public Tensor sobelMagnitude(Tensor x, PadMode edge) {
        int[] p = planes(x, edge, "sobelMagnitude");
        Tensor y = allocate(x.shape());
        if (vectorFilters()) {
            run("filters.cl", "", "sobel_magnitude_vec", range((p[2] + FILTER_VW - 1) / FILTER_VW, p[1], p[0]), null,
                    mem(x), mem(y), p[2], p[1], padCode(edge));
        } else {
            run("filters.cl", "", "sobel_magnitude", range(p[2], p[1], p[0]), null, mem(x), mem(y), p[2], p[1], padCode(edge));
        }
        return y;
    }

    /** Batch by batch through device tensors (the planes' conversions on the host, see {@link PlaneBatches}). */
    @Override
    public void filterRows(PlaneRows rows, PlaneOp op, PadMode edge, java.util.function.IntConsumer planesDone) {
        PlaneBatches.run(this, rows, x -> op.apply(this, x, edge), planesDone);
    }

    /** {planes, H, W} of x [..., H, W]. */
    private static int[] planes(Tensor x, PadMode edge, String op) {
        if (edge == null) {
            throw new IllegalArgumentException(op + ": edge must not be null");
        }
        if (x.rank() < 2) {
            throw new ShapeMismatchException(op + " needs planes x [..., H, W] of rank >= 2, got " + Arrays.toString(x.shape()));
        }
        int h = x.dim(-2), w = x.dim(-1);
        return new int[] {h * w == 0 ? 0 : x.size() / (h * w), h, w};
    }

    @Override
    public Tensor pool2d(Tensor x, PoolSpec s) {
        int[] xs = x.shape();
        if (xs.length != 4) {
            throw new ShapeMismatchException("pool2d needs x [N, C, H, W]; got " + Arrays.toString(xs));
        }
        cl_mem xm = mem(x);
        int nc = xs[0] * xs[1];
        Tensor y = allocate(xs[0], xs[1], s.outH(), s.outW());
        long[] global = range(s.outW(), s.outH(), nc);
        boolean twoByTwo = s.kernelH() == 2 && s.kernelW() == 2 && s.strideH() == 2 && s.strideW() == 2 && s.padTop() == 0
                && s.padLeft() == 0 && s.dilationH() == 1 && s.dilationW() == 1;
        boolean threeByThreeStride2 = s.kernelH() == 3 && s.kernelW() == 3 && s.strideH() == 2 && s.strideW() == 2
                && s.dilationH() == 1 && s.dilationW() == 1;
        if (s.kind() == PoolSpec.Kind.MAX && twoByTwo) {
            run("pool.cl", "", "max_pool2x2", range((s.outW() + 7) / 8, s.outH(), nc), null, xm, mem(y), nc, xs[2], xs[3], s.outH(), s.outW());
        } else if (s.kind() == PoolSpec.Kind.MAX && threeByThreeStride2) {
            run("pool.cl", "", "max_pool3x3s2", range((s.outW() + 7) / 8, s.outH(), nc), null, xm, mem(y), nc, xs[2], xs[3], s.outH(), s.outW(),
                    s.padTop(), s.padLeft());
        } else if (s.kind() == PoolSpec.Kind.MAX) {
            run("pool.cl", "", "max_pool2d", global, null, xm, mem(y), nc, xs[2], xs[3], s.outH(), s.outW(),
                    s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padTop(), s.padLeft(),
                    s.dilationH(), s.dilationW());
        } else {
            run("pool.cl", "", "avg_pool2d", global, null, xm, mem(y), nc, xs[2], xs[3], s.outH(), s.outW(),
                    s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padTop(), s.padLeft(),
                    s.padBottom(), s.padRight(), s.dilationH(), s.dilationW(), s.countIncludePad() ? 1 : 0);
        }
        return y;
    }

    // ---- reductions and normalisation ---------------------------------------------------------

    @Override
    public Tensor softmax(Tensor x, int axis, boolean log) {
        int[] xs = x.shape();
        int a = normaliseAxis(axis, xs.length, "softmax");
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= xs[i];
        for (int i = a + 1; i < xs.length; i++) inner *= xs[i];
        cl_mem xm = mem(x);
        Tensor y = allocate(xs);
        run("softmax.cl", "", "softmax", range((long) outer * inner), null, xm, mem(y), outer, xs[a], inner, log ? 1 : 0);
        return y;
    }

    private static int normaliseAxis(int axis, int rank, String op) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new ShapeMismatchException(op + ": axis " + axis + " is outside a tensor of rank " + rank);
        }
        return a;
    }

    private static int reduceCode(ReduceOp op) {
        switch (op) {
            case SUM: return 0;
            case MEAN: return 1;
            case MAX: return 2;
            case MIN: return 3;
            case SUM_SQUARE: return 4;
            case ARGMAX: return 5;
            case ARGMIN: return 6;
            default: throw new IllegalArgumentException("no OpenCL code for " + op);
        }
    }

    @Override
    public Tensor reduce(Tensor x, ReduceOp op, boolean[] reduce) {
        int[] xs = x.shape();
        if (reduce.length != xs.length) {
            throw new ShapeMismatchException("reduce: " + reduce.length + " axis flags for a tensor of shape "
                    + Arrays.toString(xs));
        }
        int[] strides = Tensor.stridesOf(xs);
        int[] outShape = xs.clone();
        List<Integer> kd = new ArrayList<>(), ks = new ArrayList<>(), rd = new ArrayList<>(), rs = new ArrayList<>();
        int reduced = 0;
        long redCount = 1;
        for (int i = 0; i < xs.length; i++) {
            if (reduce[i]) {
                reduced++;
                outShape[i] = 1;
                redCount *= xs[i];
                rd.add(xs[i]);
                rs.add(strides[i]);
            } else {
                kd.add(xs[i]);
                ks.add(strides[i]);
            }
        }
        if ((op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN)) {
            if (reduced != 1) {
                throw new ShapeMismatchException(op + " reduces exactly one axis; " + reduced + " of shape "
                        + Arrays.toString(xs) + " were given");
            }
            if (redCount == 0) {
                throw new ShapeMismatchException(op + " over an empty axis of shape " + Arrays.toString(xs));
            }
        }
        cl_mem xm = mem(x);
        Tensor y = allocate(outShape);
        int n = y.size();
        int[] kdA = rightAlign(toArray(kd), 1), ksA = rightAlign(toArray(ks), 0);
        int[] rdA = rightAlign(toArray(rd), 1), rsA = rightAlign(toArray(rs), 0);
        run("reduce.cl", "", "reduce", range(n), null, xm, mem(y), n, reduceCode(op), kd.size(),
                kdA[0], kdA[1], kdA[2], kdA[3], kdA[4], kdA[5], ksA[0], ksA[1], ksA[2], ksA[3], ksA[4], ksA[5],
                rd.size(), (int) redCount,
                rdA[0], rdA[1], rdA[2], rdA[3], rdA[4], rdA[5], rsA[0], rsA[1], rsA[2], rsA[3], rsA[4], rsA[5]);
        return y;
    }

    private static int[] toArray(List<Integer> v) {
        int[] r = new int[v.size()];
        for (int i = 0; i < r.length; i++) r[i] = v.get(i);
        return r;
    }

    // ---- linear algebra -----------------------------------------------------------------------

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        int[] as = a.shape(), bs = b.shape();
        if (as.length == 1 || bs.length == 1) { // numpy: a vector is promoted to a matrix, and the axis dropped
            Tensor a2 = as.length == 1 ? a.reshape(1, as[0]) : a;
            Tensor b2 = bs.length == 1 ? b.reshape(bs[0], 1) : b;
            try (Tensor y2 = matmul(a2, b2)) {
                int[] ys = y2.shape();
                int[] out;
                if (as.length == 1 && bs.length == 1) out = new int[0];
                else if (as.length == 1) out = dropAxis(ys, ys.length - 2);
                else out = dropAxis(ys, ys.length - 1);
                return y2.reshape(out);
            } finally {
                if (a2 != a) a2.close();
                if (b2 != b) b2.close();
            }
        }
        if (as.length < 2 || bs.length < 2) {
            throw new ShapeMismatchException("matmul needs rank >= 1 operands; got " + Arrays.toString(as) + " and "
                    + Arrays.toString(bs));
        }
        int M = as[as.length - 2], K = as[as.length - 1], K2 = bs[bs.length - 2], N = bs[bs.length - 1];
        if (K != K2) {
            throw new ShapeMismatchException("matmul: " + Arrays.toString(as) + " x " + Arrays.toString(bs)
                    + ": inner dimensions " + K + " and " + K2 + " differ");
        }
        int[] aBatch = Arrays.copyOf(as, as.length - 2), bBatch = Arrays.copyOf(bs, bs.length - 2);
        int[] batch = Backend.broadcastShape(aBatch, bBatch);
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = M;
        out[batch.length + 1] = N;
        cl_mem am = mem(a), bm = mem(b);
        Tensor y = allocate(out);
        int[] sa = Backend.broadcastStrides(aBatch, batch), sb = Backend.broadcastStrides(bBatch, batch);
        int[] bd = new int[] {1, 1, 1, 1}, ad = new int[4], bdS = new int[4];
        int r = batch.length; // <= 4 since rank <= 6
        long batches = 1;
        for (int i = 0; i < r; i++) {
            bd[4 - r + i] = batch[i];
            ad[4 - r + i] = sa[i] * M * K;
            bdS[4 - r + i] = sb[i] * K * N;
            batches *= batch[i];
        }
        if (N == 1 && batches == 1) {
            run("matmul.cl", "", "matvec", range(M), null, am, bm, mem(y), M, K);
            return y;
        }
        int t = matmulTile;
        run("matmul.cl", "-DTILE=" + t, "matmul", range(N, M, batches), range(t, t, 1), am, bm, mem(y), M, N, K, r,
                bd[0], bd[1], bd[2], bd[3], ad[0], ad[1], ad[2], ad[3], bdS[0], bdS[1], bdS[2], bdS[3]);
        return y;
    }

    private static int[] dropAxis(int[] s, int axis) {
        int[] r = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i != axis) r[j++] = s[i];
        }
        return r;
    }

    // ---- data movement ------------------------------------------------------------------------

    @Override
    public Tensor strided(Tensor x, int offset, int[] strides, int[] outShape) {
        if (strides.length != outShape.length) {
            throw new ShapeMismatchException("strided: " + strides.length + " strides for output shape "
                    + Arrays.toString(outShape));
        }
        cl_mem xm = mem(x);
        Tensor y = allocate(outShape);
        int n = y.size();
        if (n == 0) {
            return y;
        }
        long lo = offset, hi = offset;
        for (int i = 0; i < outShape.length; i++) {
            long reach = (long) (outShape[i] - 1) * strides[i];
            if (reach < 0) lo += reach; else hi += reach;
        }
        if (lo < 0 || hi >= x.size()) {
            y.close();
            throw new ShapeMismatchException("strided view (offset " + offset + ", strides " + Arrays.toString(strides)
                    + ", shape " + Arrays.toString(outShape) + ") reads elements " + lo + ".." + hi + " outside x "
                    + Arrays.toString(x.shape()) + " (" + x.size() + " elements)");
        }
        int[][] c = collapse(outShape, strides);
        int[] d = rightAlign(c[0], 1), s = rightAlign(c[1], 0);
        run("movement.cl", "", "strided", range(n), null, xm, mem(y), n, offset, c[0].length,
                d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5]);
        return y;
    }

    @Override
    public Tensor concat(List<Tensor> xs, int axis) {
        if (xs.isEmpty()) {
            throw new ShapeMismatchException("concat of no tensors");
        }
        int[] first = xs.get(0).shape();
        int a = normaliseAxis(axis, first.length, "concat");
        int[] out = first.clone();
        out[a] = 0;
        for (Tensor t : xs) {
            int[] s = t.shape();
            boolean ok = s.length == first.length;
            for (int i = 0; ok && i < s.length; i++) {
                ok = i == a || s[i] == first[i];
            }
            if (!ok) {
                throw new ShapeMismatchException("concat along axis " + a + ": shape " + Arrays.toString(s)
                        + " does not match " + Arrays.toString(first));
            }
            out[a] += s[a];
            mem(t);
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= out[i];
        for (int i = a + 1; i < out.length; i++) inner *= out[i];
        Tensor y = allocate(out);
        cl_mem ym = mem(y);
        int at = 0;
        for (Tensor t : xs) {
            int rowLen = t.dim(a) * inner;
            run("movement.cl", "", "copy_rows", range((rowLen + 15) / 16, outer), null, mem(t), ym, outer, rowLen,
                    out[a] * inner, at * inner);
            at += t.dim(a);
        }
        return y;
    }

    /** Whether only the last axis of these pads is non-zero. */
    private static boolean onlyLastAxis(int[] pads) {
        for (int i = 0; i < pads.length - 1; i++) {
            if (pads[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static int padCode(PadMode m) {
        switch (m) {
            case CONSTANT: return 0;
            case REFLECT: return 1;
            case EDGE: return 2;
            case WRAP: return 3;
            default: throw new IllegalArgumentException("no OpenCL code for " + m);
        }
    }

    @Override
    public Tensor pad(Tensor x, int[] before, int[] after, PadMode mode, float value) {
        int[] xs = x.shape();
        if (before.length != xs.length || after.length != xs.length) {
            throw new ShapeMismatchException("pad: " + before.length + " + " + after.length + " pads for shape "
                    + Arrays.toString(xs));
        }
        int[] out = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = xs[i] + before[i] + after[i];
            if (out[i] < 0) {
                throw new ShapeMismatchException("pad: axis " + i + " of " + Arrays.toString(xs) + " cropped by "
                        + before[i] + " / " + after[i] + " would be negative");
            }
            if (mode != PadMode.CONSTANT && xs[i] == 0 && out[i] > 0) {
                throw new ShapeMismatchException("pad " + mode + " of the empty axis " + i + " of " + Arrays.toString(xs));
            }
        }
        cl_mem xm = mem(x);
        Tensor y = allocate(out);
        int n = y.size();
        int last = xs.length - 1;
        if (mode == PadMode.CONSTANT && xs.length > 0 && before[last] >= 0 && after[last] >= 0 && xs[last] > 0
                && onlyLastAxis(before) && onlyLastAxis(after)) {
            // rows widened (a convolution's x padding): a row copy, 16 elements a work-item; the general kernel's
            // per-element index arithmetic made ResNet-18 at batch 1 on PoCL 7-12 ms slower
            int rows = n / out[last];
            run("movement.cl", "", "pad_rows", range((out[last] + 15) / 16, rows), null, xm, mem(y), xs[last], out[last], before[last],
                    rows, value);
            return y;
        }
        int[] d = rightAlign(out, 1), in = rightAlign(xs, 1), b = rightAlign(before, 0);
        run("movement.cl", "", "pad", range(n), null, xm, mem(y), n, xs.length, padCode(mode), value,
                d[0], d[1], d[2], d[3], d[4], d[5], in[0], in[1], in[2], in[3], in[4], in[5],
                b[0], b[1], b[2], b[3], b[4], b[5]);
        return y;
    }

    @Override
    public Tensor gather(Tensor x, Tensor indices, int axis) {
        int[] xs = x.shape(), is = indices.shape();
        int a = normaliseAxis(axis, xs.length, "gather");
        int[] out = new int[xs.length - 1 + is.length];
        int o = 0;
        for (int i = 0; i < a; i++) out[o++] = xs[i];
        for (int d : is) out[o++] = d;
        for (int i = a + 1; i < xs.length; i++) out[o++] = xs[i];
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= xs[i];
        for (int i = a + 1; i < xs.length; i++) inner *= xs[i];
        cl_mem xm = mem(x), im = mem(indices);
        Tensor y = allocate(out);
        int k = indices.size();
        run("movement.cl", "", "gather", range(inner, k, outer), null, xm, im, mem(y), outer, xs[a], inner, k);
        return y;
    }

    @Override
    public Tensor resize(Tensor x, ResizeSpec s) {
        int[] xs = x.shape();
        if (xs.length != 4) {
            throw new ShapeMismatchException("resize needs x [N, C, H, W]; got " + Arrays.toString(xs));
        }
        if ((xs[2] == 0 || xs[3] == 0) && s.outH() > 0 && s.outW() > 0 && xs[0] * xs[1] > 0) {
            throw new ShapeMismatchException("resize of an empty image " + Arrays.toString(xs));
        }
        cl_mem xm = mem(x);
        int nc = xs[0] * xs[1];
        Tensor y = allocate(xs[0], xs[1], s.outH(), s.outW());
        int fH = s.repeatFactor(xs[2], s.outH(), s.scaleH()), fW = s.repeatFactor(xs[3], s.outW(), s.scaleW());
        if (fH > 0 && fW > 0) { // U-Net up-sampling: a copy (the general kernel took 5x longer on PoCL)
            run("resize.cl", "-DVW=" + RESIZE_VW + " -DFH=" + fH + " -DFW=" + fW, "resize_repeat",
                    range((s.outW() + RESIZE_VW - 1) / RESIZE_VW, s.outH(), nc), null, xm, mem(y), nc, xs[2], xs[3]);
            return y;
        }
        String defines = "-DMODE=" + resizeModeCode(s.mode()) + " -DCOORD=" + coordinateCode(s.coordinateMode())
                + " -DNEAREST=" + nearestCode(s.nearestMode());
        if (s.mode() == ResizeSpec.Mode.LINEAR) {
            run("resize.cl", defines, "resize_linear", range((s.outW() + 15) / 16, s.outH(), nc), null, xm, mem(y), nc, xs[2], xs[3],
                    s.outH(), s.outW(), s.scaleH(), s.scaleW());
            return y;
        }
        run("resize.cl", defines, "resize", range(s.outW(), s.outH(), nc), null, xm, mem(y), nc, xs[2], xs[3],
                s.outH(), s.outW(), s.scaleH(), s.scaleW(), s.cubicA(), s.excludeOutside() ? 1 : 0);
        return y;
    }

    // MODE_*, COORD_* and NEAREST_* of resize.cl
    private static int resizeModeCode(ResizeSpec.Mode m) {
        if (m == null) throw new IllegalArgumentException("resize: no mode");
        switch (m) {
            case NEAREST: return 0;
            case LINEAR: return 1;
            case CUBIC: return 2;
            default: throw new IllegalArgumentException("no OpenCL code for " + m);
        }
    }

    private static int coordinateCode(ResizeSpec.CoordinateMode m) {
        if (m == null) return 0; // ONNX default: half_pixel
        switch (m) {
            case HALF_PIXEL: return 0;
            case PYTORCH_HALF_PIXEL: return 1;
            case ASYMMETRIC: return 2;
            case ALIGN_CORNERS: return 3;
            case HALF_PIXEL_SYMMETRIC: return 4;
            default: throw new IllegalArgumentException("no OpenCL code for " + m);
        }
    }

    private static int nearestCode(ResizeSpec.NearestMode m) {
        if (m == null) return 0; // ONNX default: round_prefer_floor
        switch (m) {
            case ROUND_PREFER_FLOOR: return 0;
            case ROUND_PREFER_CEIL: return 1;
            case FLOOR: return 2;
            case CEIL: return 3;
            default: throw new IllegalArgumentException("no OpenCL code for " + m);
        }
    }

    // ---- training (backward pass): the kernels live in OpenClBackward and backward.cl -------

    @Override
    public Tensor unaryBackward(Tensor x, Tensor dy, Activation f) {
        return OpenClBackward.unaryBackward(this, x, dy, f);
    }

    @Override
    public Tensor pool2dBackward(Tensor x, Tensor dy, PoolSpec spec) {
        return OpenClBackward.pool2dBackward(this, x, dy, spec);
    }

    @Override
    public Tensor dropoutMask(float p, long seed, int... shape) {
        return OpenClBackward.dropoutMask(this, p, seed, shape);
    }

    // ---- life cycle ---------------------------------------------------------------------------

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CL.clFinish(queue);
        } catch (CLException ignored) {
            // releasing anyway
        }
        programs.release();
        pool.releaseAll();
        CL.clReleaseMemObject(dummy);
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }

    @Override
    public String toString() {
        return name;
    }
}
