package org.neuralj.backend.opencl;

import org.jocl.cl_mem;
import org.neuralj.backend.Storage;

/** Device memory of one or more tensors: owns a {@code cl_mem} that goes back to its pool on free. */
final class ClStorage extends Storage {
    private final BufferPool pool;
    private final cl_mem mem;
    private final long bytes;

    ClStorage(BufferPool pool, cl_mem mem, long bytes, int length) {
        super(length);
        this.pool = pool;
        this.mem = mem;
        this.bytes = bytes;
    }

    cl_mem mem() {
        return mem;
    }

    long bytes() {
        return bytes;
    }

    BufferPool pool() {
        return pool;
    }

    @Override
    protected void free() {
        pool.give(this);
    }
}
