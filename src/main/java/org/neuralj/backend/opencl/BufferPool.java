package org.neuralj.backend.opencl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.cl_context;
import org.jocl.cl_mem;
import org.neuralj.backend.NeuralJException;

/**
 * Device buffers of one backend, reused by size: a freed tensor's buffer waits here for the next
 * tensor of the same byte size, so a long run over tiles and images allocates once. When the device
 * refuses a buffer, the idle ones are released and the allocation is tried once more.
 * {@link #releaseAll()} (backend close) releases the idle and the live buffers.
 *
 * <p>A memory cap ({@code -Dneuralj.opencl.maxMemory=256m}, read when the backend opens) bounds the
 * bytes this pool holds, live and idle: an allocation past it first drops the idle buffers, then
 * fails with {@link DeviceOutOfMemoryException} exactly as a full device would. It keeps NeuralJ to
 * its share of a GPU shared with other programs, and lets tests provoke out-of-memory on any driver.
 */
final class BufferPool {
    /** The system property holding the cap: bytes, or a number with k, m or g (powers of 1024). */
    static final String MAX_MEMORY_PROPERTY = "neuralj.opencl.maxMemory";

    private final cl_context context;
    private final String device;
    private final long globalMemory;
    private final long maxAllocation;
    private final long cap;               // Long.MAX_VALUE: no cap
    private final String capText;         // as the user wrote it, for messages
    private final Map<Long, ArrayDeque<cl_mem>> idle = new HashMap<>();
    private final Set<ClStorage> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long created;
    private long reused;
    private long idleBytes;
    private long liveBytes;
    private long peakLiveBytes;
    private boolean closed;

    BufferPool(cl_context context, String device, long globalMemory, long maxAllocation) {
        this(context, device, globalMemory, maxAllocation, System.getProperty(MAX_MEMORY_PROPERTY));
    }

    /** {@code cap}: null for none, else as {@link #parseBytes} reads it. */
    BufferPool(cl_context context, String device, long globalMemory, long maxAllocation, String cap) {
        this.context = context;
        this.device = device;
        this.globalMemory = globalMemory;
        this.maxAllocation = maxAllocation;
        this.cap = parseBytes(cap);
        this.capText = cap;
    }

    /**
     * A byte count as the cap property writes it: "1048576", "64k", "256m", "2g" (powers of 1024,
     * either case); null or blank means no cap.
     */
    static long parseBytes(String text) {
        if (text == null || text.isBlank()) {
            return Long.MAX_VALUE;
        }
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        int shift = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(digits.trim());
            if (v <= 0 || v > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return v << shift;
        } catch (NumberFormatException e) {
            throw new NeuralJException("-D" + MAX_MEMORY_PROPERTY + "=" + text + " is not a memory size: use bytes or a "
                    + "positive number with k, m or g, e.g. 256m");
        }
    }

    /** A buffer for {@code length} floats (at least 4 bytes: OpenCL has no empty buffers). */
    synchronized ClStorage take(int length) {
        if (closed) {
            throw new IllegalStateException("OpenCL backend on " + device + " is closed");
        }
        long bytes = Math.max(4L, 4L * length);
        if (bytes > maxAllocation) {
            throw ClErrors.outOfMemory("allocating a tensor of " + length + " floats (above the device's largest "
                    + "single allocation of " + maxAllocation + " bytes)", device, bytes, globalMemory, null);
        }
        ArrayDeque<cl_mem> q = idle.get(bytes);
        cl_mem mem;
        if (q != null && !q.isEmpty()) {
            mem = q.pop();
            idleBytes -= bytes;
            reused++;
        } else {
            checkCap(length, bytes);
            mem = create(bytes);
            created++;
        }
        ClStorage s = new ClStorage(this, mem, bytes, length);
        live.add(s);
        liveBytes += bytes;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        return s;
    }

    /** Makes room for a new buffer under the cap (idle buffers go first), or refuses it. */
    private void checkCap(int length, long bytes) {
        if (liveBytes + idleBytes + bytes <= cap) {
            return;
        }
        releaseIdle();
        if (liveBytes + bytes > cap) {
            throw ClErrors.outOfMemory("allocating a tensor of " + length + " floats, over the memory cap -D"
                    + MAX_MEMORY_PROPERTY + "=" + capText + " (" + cap + " bytes, of which live tensors hold " + liveBytes + ")",
                    device, bytes, globalMemory, null);
        }
    }

    /**
     * Debug mode ({@code -Dneuralj.opencl.guard=true}): every buffer gets {@link #GUARD_FLOATS} extra
     * floats holding a canary, checked after each kernel, so a kernel writing past a tensor's end is
     * named instead of silently corrupting memory (on a CPU driver, host memory).
     */
    static final boolean GUARD = Boolean.getBoolean("neuralj.opencl.guard");
    static final int GUARD_FLOATS = 1024;
    static final float CANARY = -1.2345e-33f;
    private final java.util.Set<cl_mem> guarded = java.util.Collections.newSetFromMap(new java.util.concurrent.ConcurrentHashMap<>());

    /** Guard mode: whether {@code m} is a pooled buffer with a canary after its data. */
    boolean isGuarded(cl_mem m) {
        return guarded.contains(m);
    }

    private cl_mem create(long bytes) {
        if (GUARD) {
            cl_mem m = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes + 4L * GUARD_FLOATS, null, null);
            guarded.add(m);
            return m;
        }
        try {
            return CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        } catch (CLException first) {
            if (!ClErrors.isOutOfMemory(first.getStatus())) {
                throw ClErrors.translate(first, "allocating a buffer", device, bytes, globalMemory);
            }
            releaseIdle();
            try {
                return CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, bytes, null, null);
            } catch (CLException second) {
                throw ClErrors.translate(second, "allocating a buffer", device, bytes, globalMemory);
            }
        }
    }

    /** Called by {@link ClStorage#free()}: the buffer becomes idle (or is released if the backend is closed). */
    synchronized void give(ClStorage s) {
        if (!live.remove(s)) {
            return; // released already by releaseAll
        }
        liveBytes -= s.bytes();
        if (closed) {
            CL.clReleaseMemObject(s.mem());
            return;
        }
        idle.computeIfAbsent(s.bytes(), k -> new ArrayDeque<>()).push(s.mem());
        idleBytes += s.bytes();
    }

    /** Releases the idle buffers (keeps the live ones). */
    synchronized void releaseIdle() {
        for (ArrayDeque<cl_mem> q : idle.values()) {
            for (cl_mem m : q) {
                CL.clReleaseMemObject(m);
            }
        }
        idle.clear();
        idleBytes = 0;
    }

    /** Releases every buffer, idle and live; later frees are ignored. */
    synchronized void releaseAll() {
        releaseIdle();
        List<ClStorage> still = new ArrayList<>(live);
        live.clear();
        liveBytes = 0;
        for (ClStorage s : still) {
            CL.clReleaseMemObject(s.mem());
        }
        closed = true;
    }

    synchronized long created() {
        return created;
    }

    synchronized long reused() {
        return reused;
    }

    synchronized int liveCount() {
        return live.size();
    }

    synchronized long idleBytes() {
        return idleBytes;
    }

    /** The most bytes live tensors held at once. */
    synchronized long peakLiveBytes() {
        return peakLiveBytes;
    }
}
