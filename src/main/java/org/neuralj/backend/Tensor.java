package org.neuralj.backend;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major (C) order, NCHW for images, of rank 0 to {@link #MAX_RANK}.
 * It lives on one {@link Backend}; data moves to and from the host only through
 * {@link Backend#upload} and {@link Backend#download}, which the backend counts.
 * Close a tensor when done: its memory goes back to the backend's pool.
 */
public final class Tensor implements AutoCloseable {
    public static final int MAX_RANK = 6;

    private final Backend backend;
    private final Storage storage;
    private final int[] shape;
    private boolean closed;

    /** For backends only: wraps storage the backend just allocated (reference count 1). */
    public Tensor(Backend backend, Storage storage, int[] shape) {
        checkShape(shape);
        if (storage.length() < elementCount(shape)) {
            throw new IllegalArgumentException("storage of " + storage.length()
                    + " floats is too small for shape " + Arrays.toString(shape));
        }
        this.backend = backend;
        this.storage = storage;
        this.shape = shape.clone();
    }

    public Backend backend() {
        return backend;
    }

    /** For backends only: the memory behind this tensor. */
    public Storage storage() {
        if (closed) {
            throw new IllegalStateException("tensor " + Arrays.toString(shape) + " used after close()");
        }
        return storage;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis < 0 ? axis + shape.length : axis];
    }

    /** Number of elements. */
    public int size() {
        return elementCount(shape);
    }

    /** A tensor with a new shape of the same size over the same memory (no copy). */
    public Tensor reshape(int... newShape) {
        checkShape(newShape);
        if (elementCount(newShape) != size()) {
            throw new ShapeMismatchException("cannot reshape " + Arrays.toString(shape) + " ("
                    + size() + " elements) to " + Arrays.toString(newShape));
        }
        storage().retain();
        return new Tensor(backend, storage, newShape);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.release();
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + "@" + backend.name();
    }

    public static int elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new ShapeMismatchException("tensor of shape " + Arrays.toString(shape)
                    + " has more than 2^31 elements");
        }
        return (int) n;
    }

    /** Row-major strides of a contiguous tensor with this shape. */
    public static int[] stridesOf(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    private static void checkShape(int[] shape) {
        if (shape.length > MAX_RANK) {
            throw new ShapeMismatchException("rank " + shape.length + " is above the supported "
                    + MAX_RANK + ": " + Arrays.toString(shape));
        }
        for (int d : shape) {
            if (d < 0) {
                throw new ShapeMismatchException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
    }
}
