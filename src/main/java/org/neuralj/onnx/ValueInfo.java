package org.neuralj.onnx;

import java.util.Arrays;
import java.util.Objects;

/**
 * A graph input, output or intermediate value's declared type (ValueInfoProto with a tensor type).
 *
 * @param name      the value's name
 * @param elemType  the ONNX element type number ({@link DataType#code()}); 0 when not a tensor or not given
 * @param dims      the dimensions, -1 for an unknown or symbolic one; null when even the rank is unknown
 * @param dimParams the symbolic names ("batch", "height") where given, else null entries; null when dims is null
 */
public record ValueInfo(String name, int elemType, long[] dims, String[] dimParams) {

    public ValueInfo {
        name = name == null ? "" : name;
        dims = dims == null ? null : dims.clone();
        if (dims != null) {
            dimParams = dimParams == null ? new String[dims.length] : dimParams.clone();
            if (dimParams.length != dims.length) {
                throw new IllegalArgumentException("value '" + name + "': " + dims.length + " dims but "
                        + dimParams.length + " dim params");
            }
        } else {
            dimParams = null;
        }
    }

    /** A FLOAT tensor; -1 marks an unknown dimension. */
    public static ValueInfo floatTensor(String name, long... dims) {
        return new ValueInfo(name, DataType.FLOAT.code(), dims, null);
    }

    /** A tensor of {@code type}; -1 marks an unknown dimension. */
    public static ValueInfo tensor(String name, DataType type, long... dims) {
        return new ValueInfo(name, type.code(), dims, null);
    }

    /** A tensor with symbolic dimensions: each entry is a Long/Integer size or a String name. */
    public static ValueInfo symbolicTensor(String name, DataType type, Object... dims) {
        long[] d = new long[dims.length];
        String[] p = new String[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] instanceof Number n) {
                d[i] = n.longValue();
            } else if (dims[i] instanceof String s) {
                d[i] = -1;
                p[i] = s;
            } else {
                throw new IllegalArgumentException("dimension " + i + " of '" + name + "' must be a number or a name");
            }
        }
        return new ValueInfo(name, type.code(), d, p);
    }

    /** The element type, or null if the number is 0 or unknown to this engine. */
    public DataType dataType() {
        DataType t = DataType.fromCode(elemType);
        return t == DataType.UNDEFINED ? null : t;
    }

    public boolean hasShape() {
        return dims != null;
    }

    @Override
    public long[] dims() {
        return dims == null ? null : dims.clone();
    }

    @Override
    public String[] dimParams() {
        return dimParams == null ? null : dimParams.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueInfo v && name.equals(v.name) && elemType == v.elemType
                && Arrays.equals(dims, v.dims) && Arrays.equals(dimParams, v.dimParams);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, elemType, Arrays.hashCode(dims));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(": ");
        DataType t = dataType();
        sb.append(t == null ? "type " + elemType : t.shortName());
        if (dims == null) {
            return sb.append("[?]").toString();
        }
        sb.append('[');
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(dimParams[i] != null ? dimParams[i] : dims[i] < 0 ? "?" : Long.toString(dims[i]));
        }
        return sb.append(']').toString();
    }
}
