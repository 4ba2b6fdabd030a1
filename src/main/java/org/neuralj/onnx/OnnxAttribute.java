package org.neuralj.onnx;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One attribute of a node (AttributeProto): a name, a {@link Type} and a value of that type. Sparse
 * tensors and type protos are kept as opaque serialized bytes so that a model can be written back
 * unchanged.
 */
public final class OnnxAttribute {

    /** AttributeProto.AttributeType, with the ONNX numbers. */
    public enum Type {
        UNDEFINED(0), FLOAT(1), INT(2), STRING(3), TENSOR(4), GRAPH(5), FLOATS(6), INTS(7), STRINGS(8),
        TENSORS(9), GRAPHS(10), SPARSE_TENSOR(11), SPARSE_TENSORS(12), TYPE_PROTO(13), TYPE_PROTOS(14);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The type with ONNX number {@code code}, or null. */
        public static Type fromCode(long code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    private final String name;
    private final Type type;
    private final Object value;

    private OnnxAttribute(String name, Type type, Object value) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.value = Objects.requireNonNull(value, "value of attribute " + name);
    }

    // ---- factories
    public static OnnxAttribute of(String name, float v) {
        return new OnnxAttribute(name, Type.FLOAT, v);
    }

    public static OnnxAttribute of(String name, long v) {
        return new OnnxAttribute(name, Type.INT, v);
    }

    public static OnnxAttribute of(String name, String v) {
        return new OnnxAttribute(name, Type.STRING, v.getBytes(StandardCharsets.UTF_8));
    }

    public static OnnxAttribute ofBytes(String name, byte[] v) {
        return new OnnxAttribute(name, Type.STRING, v.clone());
    }

    public static OnnxAttribute of(String name, OnnxTensor v) {
        return new OnnxAttribute(name, Type.TENSOR, v);
    }

    public static OnnxAttribute of(String name, OnnxGraph v) {
        return new OnnxAttribute(name, Type.GRAPH, v);
    }

    public static OnnxAttribute ofFloats(String name, float... v) {
        return new OnnxAttribute(name, Type.FLOATS, v.clone());
    }

    public static OnnxAttribute ofInts(String name, long... v) {
        return new OnnxAttribute(name, Type.INTS, v.clone());
    }

    public static OnnxAttribute ofInts(String name, int... v) {
        return new OnnxAttribute(name, Type.INTS, OnnxTensor.toLongDims(v));
    }

    public static OnnxAttribute ofStrings(String name, List<String> v) {
        List<byte[]> b = new ArrayList<>(v.size());
        for (String s : v) {
            b.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return new OnnxAttribute(name, Type.STRINGS, List.copyOf(b));
    }

    public static OnnxAttribute ofTensors(String name, List<OnnxTensor> v) {
        return new OnnxAttribute(name, Type.TENSORS, List.copyOf(v));
    }

    public static OnnxAttribute ofGraphs(String name, List<OnnxGraph> v) {
        return new OnnxAttribute(name, Type.GRAPHS, List.copyOf(v));
    }

    /** Package-private: attribute types this engine keeps as serialized bytes (sparse tensors, type protos). */
    static OnnxAttribute opaque(String name, Type type, List<byte[]> serialized) {
        return new OnnxAttribute(name, type, List.copyOf(serialized));
    }

    /** Package-private: a list of strings already as bytes. */
    static OnnxAttribute ofStringBytes(String name, List<byte[]> v) {
        return new OnnxAttribute(name, Type.STRINGS, List.copyOf(v));
    }

    // ---- accessors
    public String name() {
        return name;
    }

    public Type type() {
        return type;
    }

    private ModelFormatException wrong(Type wanted) {
        return new ModelFormatException("attribute '" + name + "' is " + type + ", expected " + wanted);
    }

    /** A FLOAT (an INT is converted, as some exporters write integral floats as INT). */
    public float asFloat() {
        if (type == Type.FLOAT) {
            return (Float) value;
        }
        if (type == Type.INT) {
            return (Long) value;
        }
        throw wrong(Type.FLOAT);
    }

    public long asLong() {
        if (type != Type.INT) {
            throw wrong(Type.INT);
        }
        return (Long) value;
    }

    /** An INT that must fit a Java int. */
    public int asInt() {
        long v = asLong();
        if (v != (int) v) {
            throw new ModelFormatException("attribute '" + name + "' value " + v + " does not fit an int");
        }
        return (int) v;
    }

    public String asString() {
        return new String(asBytes(), StandardCharsets.UTF_8);
    }

    public byte[] asBytes() {
        if (type != Type.STRING) {
            throw wrong(Type.STRING);
        }
        return ((byte[]) value).clone();
    }

    public OnnxTensor asTensor() {
        if (type != Type.TENSOR) {
            throw wrong(Type.TENSOR);
        }
        return (OnnxTensor) value;
    }

    public OnnxGraph asGraph() {
        if (type != Type.GRAPH) {
            throw wrong(Type.GRAPH);
        }
        return (OnnxGraph) value;
    }

    /** FLOATS (INTS are converted). */
    public float[] asFloats() {
        if (type == Type.FLOATS) {
            return ((float[]) value).clone();
        }
        if (type == Type.INTS) {
            long[] l = (long[]) value;
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                f[i] = l[i];
            }
            return f;
        }
        throw wrong(Type.FLOATS);
    }

    public long[] asLongs() {
        if (type != Type.INTS) {
            throw wrong(Type.INTS);
        }
        return ((long[]) value).clone();
    }

    /** INTS whose values must each fit a Java int. */
    public int[] asInts() {
        long[] l = asLongs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i]) {
                throw new ModelFormatException("attribute '" + name + "' value " + l[i] + " does not fit an int");
            }
            out[i] = (int) l[i];
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public List<String> asStrings() {
        if (type != Type.STRINGS) {
            throw wrong(Type.STRINGS);
        }
        List<String> out = new ArrayList<>();
        for (byte[] b : (List<byte[]>) value) {
            out.add(new String(b, StandardCharsets.UTF_8));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public List<byte[]> asStringBytes() {
        if (type != Type.STRINGS) {
            throw wrong(Type.STRINGS);
        }
        List<byte[]> out = new ArrayList<>();
        for (byte[] b : (List<byte[]>) value) {
            out.add(b.clone());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public List<OnnxTensor> asTensors() {
        if (type != Type.TENSORS) {
            throw wrong(Type.TENSORS);
        }
        return (List<OnnxTensor>) value;
    }

    @SuppressWarnings("unchecked")
    public List<OnnxGraph> asGraphs() {
        if (type != Type.GRAPHS) {
            throw wrong(Type.GRAPHS);
        }
        return (List<OnnxGraph>) value;
    }

    /** The serialized messages of a SPARSE_TENSOR(S) or TYPE_PROTO(S) attribute. */
    @SuppressWarnings("unchecked")
    public List<byte[]> opaqueValues() {
        return switch (type) {
            case SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS -> (List<byte[]>) value;
            default -> throw new ModelFormatException("attribute '" + name + "' is " + type + ", not an opaque type");
        };
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OnnxAttribute a) || !name.equals(a.name) || type != a.type) {
            return false;
        }
        return deepEquals(value, a.value);
    }

    private static boolean deepEquals(Object x, Object y) {
        if (x instanceof List<?> lx && y instanceof List<?> ly) {
            if (lx.size() != ly.size()) {
                return false;
            }
            for (int i = 0; i < lx.size(); i++) {
                if (!deepEquals(lx.get(i), ly.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (x instanceof Float fx && y instanceof Float fy) {
            return Float.floatToIntBits(fx) == Float.floatToIntBits(fy);
        }
        return Objects.deepEquals(x, y);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type);
    }

    @Override
    public String toString() {
        String v = switch (type) {
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            case STRING -> "\"" + asString() + "\"";
            case STRINGS -> asStrings().toString();
            case GRAPH -> "graph " + ((OnnxGraph) value).name();
            default -> String.valueOf(value);
        };
        return name + "=" + v;
    }
}
