package org.neuralj.backend.cpu;

import org.neuralj.backend.Storage;

/**
 * Host memory behind CPU tensors: a plain {@code float[]}, row-major, or a lane convolution's output in
 * {@link ChannelBlocks} until some reader asks for {@link #planes}. When the storage owns its array and has a
 * {@link CpuBuffers} home, the array goes back there on free; otherwise (views of caller arrays, op
 * results) the garbage collector takes it.
 */
final class CpuStorage extends Storage {
    private float[] data;
    private final CpuBuffers home;
    /** How data holds the elements when not as planes (row-major), else null. */
    private ChannelBlocks blocks;

    CpuStorage(float[] data) {
        this(data, null);
    }

    CpuStorage(float[] data, CpuBuffers home) {
        super(data.length);
        this.data = data;
        this.home = home;
    }

    /** Storage for an activation held in channel blocks ({@code data} of blocks.floats() or more). */
    CpuStorage(float[] data, CpuBuffers home, ChannelBlocks blocks) {
        super(blocks.planeFloats());
        this.data = data;
        this.home = home;
        this.blocks = blocks;
    }

    /**
     * The layout of {@link #held} for a tensor of {@code shape} on this storage: null for row-major planes, or where
     * the tensor is a view of other shape (a reshape) than the blocks hold, which then reads {@link #planes}.
     */
    synchronized ChannelBlocks blocks(int[] shape) {
        return blocks != null && blocks.holds(shape) ? blocks : null;
    }

    /** The array as it is held (row-major, or as {@link #blocks} says). */
    synchronized float[] held() {
        float[] d = data;
        if (d == null) {
            throw new IllegalStateException("CPU tensor storage used after it was freed");
        }
        return d;
    }

    /** The array in the layout {@code layout} (what {@link #blocks} returned for the reader's shape): null for planes. */
    float[] read(ChannelBlocks layout, CpuThreads threads) {
        return layout != null ? held() : planes(threads);
    }

    /**
     * The elements row-major: storage held in channel blocks is copied into planes once, on the threads given, and
     * holds those from then on (a tensor's values never change, only how they are laid out).
     */
    synchronized float[] planes(CpuThreads threads) {
        float[] d = held();
        if (blocks != null) {
            float[] flat = home != null ? home.take(blocks.planeFloats()) : new float[blocks.planeFloats()];
            blocks.toPlanes(threads, d, flat, 0);
            blocks = null;
            data = flat;
            if (home != null) {
                home.give(d);
            }
        }
        return data;
    }

    @Override
    protected synchronized void free() {
        float[] d = data;
        data = null;
        if (home != null && d != null) {
            home.give(d);
        }
    }
}
