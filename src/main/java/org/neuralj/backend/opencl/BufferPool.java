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

/**
 * Device buffers of one backend, reused by size: a freed tensor's buffer waits here for the next
 * tensor of the same byte size, so a long run over tiles and images allocates once. When the device
 * refuses a buffer, the idle ones are released and the allocation is tried once more.
 * {@link #releaseAll()} (backend close) releases the idle and the live buffers.
 */
final class BufferPool {
    private final cl_context context;
    private final String device;
    private final long globalMemory;
    private final long maxAllocation;
    private final Map<Long, ArrayDeque<cl_mem>> idle = new HashMap<>();
    private final Set<ClStorage> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long created;
    private long reused;
    private long idleBytes;
    private boolean closed;

    BufferPool(cl_context context, String device, long globalMemory, long maxAllocation) {
        this.context = context;
        this.device = device;
        this.globalMemory = globalMemory;
        this.maxAllocation = maxAllocation;
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
            mem = create(bytes);
            created++;
        }
        ClStorage s = new ClStorage(this, mem, bytes, length);
        live.add(s);
        return s;
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
}
