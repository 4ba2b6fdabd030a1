package org.neuralj.nn;

import java.util.Arrays;
import org.neuralj.backend.ShapeMismatchException;
import org.neuralj.backend.Tensor;

/** A tensor's values on the host: row-major float32 data with its shape. */
public record HostTensor(int[] shape, float[] data) {
    public HostTensor {
        if (data.length != Tensor.elementCount(shape)) {
            throw new ShapeMismatchException(data.length + " values for shape " + Arrays.toString(shape));
        }
    }
}
