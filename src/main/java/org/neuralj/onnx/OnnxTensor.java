package org.neuralj.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An immutable ONNX tensor (TensorProto): an initializer, a constant attribute or a test-data file.
 *
 * <p>Numeric data is held as little-endian bytes in the layout of ONNX's raw_data, whichever field the
 * file used (the reader converts float_data, int32_data, int64_data, double_data and uint64_data into
 * it). Data stored outside the model (data_location = EXTERNAL) is read from its file, relative to the
 * model's folder, each time it is asked for.
 *
 * <p>Read the values with {@link #toFloats()} (every numeric type), {@link #toLongs()} (exact integers,
 * for shape arithmetic) or {@link #toDoubles()}.
 */
public final class OnnxTensor {

    /** Where external data lives: the resolved file, and offset/length in bytes (length -1 = not given). */
    public record ExternalData(String location, Path file, long offset, long length, String modelName) {
    }

    private static final long[] NO_DIMS = new long[0];

    private final String name;
    private final DataType dataType;
    private final long[] dims;
    private final byte[] raw;             // numeric types; null when external or STRING
    private final List<byte[]> strings;   // STRING only
    private final ExternalData external;  // null unless data_location = EXTERNAL

    private OnnxTensor(String name, DataType dataType, long[] dims, byte[] raw, List<byte[]> strings, ExternalData external) {
        this.name = name == null ? "" : name;
        this.dataType = Objects.requireNonNull(dataType, "dataType");
        this.dims = dims == null ? NO_DIMS : dims.clone();
        for (long d : this.dims) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + this.name + "': negative dimension in " + Arrays.toString(dims));
            }
        }
        this.raw = raw;
        this.strings = strings;
        this.external = external;
    }

    // ------------------------------------------------------------------ factories

    /** A FLOAT tensor; {@code data.length} must equal the product of {@code dims}. */
    public static OnnxTensor ofFloats(String name, long[] dims, float[] data) {
        checkCount(name, dims, data.length);
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return new OnnxTensor(name, DataType.FLOAT, dims, b.array(), null, null);
    }

    /** A FLOAT tensor with int dims. */
    public static OnnxTensor ofFloats(String name, int[] dims, float[] data) {
        return ofFloats(name, toLongDims(dims), data);
    }

    /** An INT64 tensor (shapes, axes, indices). */
    public static OnnxTensor ofLongs(String name, long[] dims, long[] data) {
        checkCount(name, dims, data.length);
        ByteBuffer b = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return new OnnxTensor(name, DataType.INT64, dims, b.array(), null, null);
    }

    /** An INT32 tensor. */
    public static OnnxTensor ofInts(String name, long[] dims, int[] data) {
        checkCount(name, dims, data.length);
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(data);
        return new OnnxTensor(name, DataType.INT32, dims, b.array(), null, null);
    }

    /** A DOUBLE tensor. */
    public static OnnxTensor ofDoubles(String name, long[] dims, double[] data) {
        checkCount(name, dims, data.length);
        ByteBuffer b = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(data);
        return new OnnxTensor(name, DataType.DOUBLE, dims, b.array(), null, null);
    }

    /** A tensor of any numeric type from raw_data-layout bytes (little-endian; 4-bit types packed, low nibble first). */
    public static OnnxTensor ofRaw(String name, DataType type, long[] dims, byte[] littleEndian) {
        if (type == DataType.STRING || type == DataType.UNDEFINED) {
            throw new IllegalArgumentException("tensor '" + name + "': raw data cannot hold " + type);
        }
        long n = product(name, dims);
        long want = type.rawByteCount(n);
        if (littleEndian.length != want) {
            throw new IllegalArgumentException("tensor '" + name + "': " + littleEndian.length + " bytes of raw data for "
                    + n + " elements of " + type + " (expected " + want + ")");
        }
        return new OnnxTensor(name, type, dims, littleEndian.clone(), null, null);
    }

    /** A STRING tensor. */
    public static OnnxTensor ofStrings(String name, long[] dims, List<String> values) {
        checkCount(name, dims, values.size());
        List<byte[]> b = new ArrayList<>(values.size());
        for (String s : values) {
            b.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return new OnnxTensor(name, DataType.STRING, dims, null, Collections.unmodifiableList(b), null);
    }

    /** Package-private: used by the reader, which has already checked the sizes. */
    static OnnxTensor fromReader(String name, DataType type, long[] dims, byte[] raw, List<byte[]> strings, ExternalData ext) {
        return new OnnxTensor(name, type, dims, raw, strings == null ? null : Collections.unmodifiableList(strings), ext);
    }

    /** The same data under another name. */
    public OnnxTensor withName(String newName) {
        return new OnnxTensor(newName, dataType, dims, raw, strings, external);
    }

    // ------------------------------------------------------------------ accessors

    public String name() {
        return name;
    }

    public DataType dataType() {
        return dataType;
    }

    /** The dimensions (a copy); empty for a scalar. */
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    /** The dimensions as ints; throws if one is larger than an int. */
    public int[] shape() {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = Math.toIntExact(dims[i]);
        }
        return s;
    }

    public long numElements() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** Whether the data lives in a separate file (data_location = EXTERNAL). */
    public boolean isExternal() {
        return external != null;
    }

    /** Where the external data lives, or null when the data is in the model. */
    public ExternalData externalData() {
        return external;
    }

    // ------------------------------------------------------------------ data

    /** The data in raw_data layout (little-endian), a fresh array; reads external data from its file. */
    public byte[] rawData() {
        if (dataType == DataType.STRING) {
            throw new ModelFormatException("tensor '" + name + "' holds strings, not numbers");
        }
        return external != null ? readExternal() : raw.clone();
    }

    private byte[] bytes() {
        if (dataType == DataType.STRING) {
            throw new ModelFormatException("tensor '" + name + "' holds strings, not numbers");
        }
        return external != null ? readExternal() : raw;
    }

    /** The strings of a STRING tensor, decoded as UTF-8. */
    public List<String> toStrings() {
        if (dataType != DataType.STRING) {
            throw new ModelFormatException("tensor '" + name + "' is " + dataType + ", not STRING");
        }
        List<String> out = new ArrayList<>(strings.size());
        for (byte[] b : strings) {
            out.add(new String(b, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The raw bytes of each string of a STRING tensor. */
    public List<byte[]> stringBytes() {
        if (dataType != DataType.STRING) {
            throw new ModelFormatException("tensor '" + name + "' is " + dataType + ", not STRING");
        }
        List<byte[]> out = new ArrayList<>(strings.size());
        for (byte[] b : strings) {
            out.add(b.clone());
        }
        return out;
    }

    /** Every element converted to float (bool → 0/1, integers rounded to the nearest float). */
    public float[] toFloats() {
        ByteBuffer b = ByteBuffer.wrap(bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int n = elementCountInt();
        float[] out = new float[n];
        switch (dataType) {
            case FLOAT -> b.asFloatBuffer().get(out);
            case DOUBLE -> { for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i); }
            case INT32 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
            case INT64 -> { for (int i = 0; i < n; i++) out[i] = b.getLong(8 * i); }
            case UINT8 -> { for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xFF; }
            case INT8 -> { for (int i = 0; i < n; i++) out[i] = b.get(i); }
            case BOOL -> { for (int i = 0; i < n; i++) out[i] = b.get(i) != 0 ? 1f : 0f; }
            case FLOAT16 -> { for (int i = 0; i < n; i++) out[i] = halfToFloat(b.getShort(2 * i)); }
            default -> { for (int i = 0; i < n; i++) out[i] = (float) element(b, i); }
        }
        return out;
    }

    /** Every element converted to double. */
    public double[] toDoubles() {
        ByteBuffer b = ByteBuffer.wrap(bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int n = elementCountInt();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = element(b, i);
        }
        return out;
    }

    /**
     * Every element as an exact long (integer types and bool); floating-point values are truncated
     * toward zero. UINT64 values above {@link Long#MAX_VALUE} come back as their two's-complement bits.
     */
    public long[] toLongs() {
        ByteBuffer b = ByteBuffer.wrap(bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int n = elementCountInt();
        long[] out = new long[n];
        switch (dataType) {
            case INT64, UINT64 -> b.asLongBuffer().get(out);
            case INT32 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
            case UINT32 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i) & 0xFFFF_FFFFL; }
            case INT16 -> { for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i); }
            case UINT16 -> { for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i) & 0xFFFF; }
            case INT8 -> { for (int i = 0; i < n; i++) out[i] = b.get(i); }
            case UINT8 -> { for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xFF; }
            case BOOL -> { for (int i = 0; i < n; i++) out[i] = b.get(i) != 0 ? 1 : 0; }
            case INT4, UINT4 -> { for (int i = 0; i < n; i++) out[i] = (long) element(b, i); }
            default -> { for (int i = 0; i < n; i++) out[i] = (long) element(b, i); }
        }
        return out;
    }

    /** Elements as ints (exact for types of 32 bits or fewer; INT64 values must fit an int). */
    public int[] toInts() {
        long[] l = toLongs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i] && dataType != DataType.UINT32) {
                throw new ModelFormatException("tensor '" + name + "': value " + l[i] + " at index " + i + " does not fit an int");
            }
            out[i] = (int) l[i];
        }
        return out;
    }

    private int elementCountInt() {
        long n = numElements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException("tensor '" + name + "' has " + n + " elements, more than a Java array holds");
        }
        if (dataType == DataType.COMPLEX64 || dataType == DataType.COMPLEX128) {
            throw new ModelFormatException("tensor '" + name + "' is " + dataType + "; complex numbers are not supported");
        }
        return (int) n;
    }

    /** Element i of the little-endian data as a double, for every numeric type. */
    private double element(ByteBuffer b, int i) {
        return switch (dataType) {
            case FLOAT -> b.getFloat(4 * i);
            case DOUBLE -> b.getDouble(8 * i);
            case INT8 -> b.get(i);
            case UINT8 -> b.get(i) & 0xFF;
            case BOOL -> b.get(i) != 0 ? 1 : 0;
            case INT16 -> b.getShort(2 * i);
            case UINT16 -> b.getShort(2 * i) & 0xFFFF;
            case INT32 -> b.getInt(4 * i);
            case UINT32 -> b.getInt(4 * i) & 0xFFFF_FFFFL;
            case INT64 -> b.getLong(8 * i);
            case UINT64 -> unsignedToDouble(b.getLong(8 * i));
            case FLOAT16 -> halfToFloat(b.getShort(2 * i));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
            case FLOAT8E5M2 -> halfToFloat((short) ((b.get(i) & 0xFF) << 8));
            case FLOAT8E4M3FN -> float8(b.get(i) & 0xFF, 4, 3, 7, false);
            case FLOAT8E4M3FNUZ -> float8(b.get(i) & 0xFF, 4, 3, 8, true);
            case FLOAT8E5M2FNUZ -> float8(b.get(i) & 0xFF, 5, 2, 16, true);
            case FLOAT8E8M0 -> (b.get(i) & 0xFF) == 0xFF ? Double.NaN : Math.scalb(1.0, (b.get(i) & 0xFF) - 127);
            case UINT4 -> nibble(b, i);
            case INT4 -> (nibble(b, i) ^ 8) - 8;
            case FLOAT4E2M1 -> float4(nibble(b, i));
            default -> throw new ModelFormatException("tensor '" + name + "': cannot convert " + dataType + " to numbers");
        };
    }

    private static int nibble(ByteBuffer b, int i) {
        int v = b.get(i >> 1) & 0xFF;
        return (i & 1) == 0 ? v & 0xF : v >>> 4;
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? v : ((double) (v >>> 1)) * 2.0 + (v & 1);
    }

    /** IEEE half precision bits to float. */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13)); // inf or NaN
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero)
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * An 8-bit float with {@code e} exponent and {@code m} mantissa bits and the given bias. These
     * formats have no infinities; "fn" types use all-ones as NaN, "fnuz" types use 0x80 as NaN.
     */
    private static double float8(int v, int e, int m, int bias, boolean uz) {
        if (uz && v == 0x80) {
            return Double.NaN;
        }
        int mask = (1 << (e + m)) - 1;
        if (!uz && (v & mask) == mask) {
            return Double.NaN;
        }
        int exp = (v >>> m) & ((1 << e) - 1);
        int mant = v & ((1 << m) - 1);
        double mag = exp == 0 ? Math.scalb((double) mant, 1 - bias - m) : Math.scalb((double) ((1 << m) | mant), exp - bias - m);
        return (v & 0x80) != 0 ? -mag : mag;
    }

    /** FLOAT4E2M1: sign, 2 exponent bits (bias 1), 1 mantissa bit. */
    private static double float4(int v) {
        int exp = (v >>> 1) & 3;
        int mant = v & 1;
        double mag = exp == 0 ? mant * 0.5 : Math.scalb(1.0 + mant * 0.5, exp - 1);
        return (v & 8) != 0 ? -mag : mag;
    }

    private byte[] readExternal() {
        ExternalData x = external;
        long want = dataType.rawByteCount(numElements());
        if (x.length() >= 0 && x.length() != want) {
            throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data length " + x.length()
                    + " does not match " + want + " bytes for " + Arrays.toString(dims) + " " + dataType);
        }
        if (want > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data of " + want
                    + " bytes is larger than a Java array holds");
        }
        byte[] out = new byte[(int) want];
        try (FileChannel ch = FileChannel.open(x.file(), StandardOpenOption.READ)) {
            long size = ch.size();
            if (x.offset() + want > size) {
                throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data '" + x.location()
                        + "' needs bytes " + x.offset() + ".." + (x.offset() + want) + " but the file has " + size);
            }
            ByteBuffer bb = ByteBuffer.wrap(out);
            long p = x.offset();
            while (bb.hasRemaining()) {
                int r = ch.read(bb, p);
                if (r < 0) {
                    throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data '" + x.location()
                            + "' ended early");
                }
                p += r;
            }
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data file '" + x.location()
                    + "' not found (looked for " + x.file() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException(x.modelName() + ": tensor '" + name + "' external data file '" + x.location()
                    + "' cannot be read: " + e.getMessage(), e);
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    static long[] toLongDims(int[] dims) {
        long[] d = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = dims[i];
        }
        return d;
    }

    private static long product(String name, long[] dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkCount(String name, long[] dims, int count) {
        long n = product(name, dims);
        if (n != count) {
            throw new IllegalArgumentException("tensor '" + name + "': " + count + " values for dims " + Arrays.toString(dims)
                    + " (" + n + " elements)");
        }
    }

    /** Same name, type, dims and data (reads external data to compare). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof OnnxTensor t)) {
            return false;
        }
        if (!name.equals(t.name) || dataType != t.dataType || !Arrays.equals(dims, t.dims)) {
            return false;
        }
        if (dataType == DataType.STRING) {
            if (strings.size() != t.strings.size()) {
                return false;
            }
            for (int i = 0; i < strings.size(); i++) {
                if (!Arrays.equals(strings.get(i), t.strings.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Arrays.equals(bytes(), t.bytes());
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dataType, Arrays.hashCode(dims));
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + name + " " + dataType.shortName() + Arrays.toString(dims) + (external != null ? " external:" + external.location() : "") + "]";
    }
}
