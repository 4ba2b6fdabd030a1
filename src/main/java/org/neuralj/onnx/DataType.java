package org.neuralj.onnx;

/** ONNX tensor element types, with their numbers in TensorProto.data_type and their sizes in bits. */
public enum DataType {
    UNDEFINED(0, "undefined", 0),
    FLOAT(1, "f32", 32),
    UINT8(2, "u8", 8),
    INT8(3, "i8", 8),
    UINT16(4, "u16", 16),
    INT16(5, "i16", 16),
    INT32(6, "i32", 32),
    INT64(7, "i64", 64),
    STRING(8, "str", 0),
    BOOL(9, "bool", 8),
    FLOAT16(10, "f16", 16),
    DOUBLE(11, "f64", 64),
    UINT32(12, "u32", 32),
    UINT64(13, "u64", 64),
    COMPLEX64(14, "c64", 64),
    COMPLEX128(15, "c128", 128),
    BFLOAT16(16, "bf16", 16),
    FLOAT8E4M3FN(17, "f8e4m3fn", 8),
    FLOAT8E4M3FNUZ(18, "f8e4m3fnuz", 8),
    FLOAT8E5M2(19, "f8e5m2", 8),
    FLOAT8E5M2FNUZ(20, "f8e5m2fnuz", 8),
    UINT4(21, "u4", 4),
    INT4(22, "i4", 4),
    FLOAT4E2M1(23, "f4e2m1", 4),
    FLOAT8E8M0(24, "f8e8m0", 8);

    private static final DataType[] BY_CODE;

    static {
        BY_CODE = new DataType[values().length];
        for (DataType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final String shortName;
    private final int bits;

    DataType(int code, String shortName, int bits) {
        this.code = code;
        this.shortName = shortName;
        this.bits = bits;
    }

    /** The number ONNX uses for this type (TensorProto.data_type, TypeProto.Tensor.elem_type). */
    public int code() {
        return code;
    }

    /** A short name, e.g. "f32", "i64", "u8", "bool" (as in the shared test data's SHAPES.tsv). */
    public String shortName() {
        return shortName;
    }

    /** Bits per element (4 for the packed 4-bit types); 0 for STRING and UNDEFINED. */
    public int bits() {
        return bits;
    }

    /** Bytes that {@code n} elements take in raw_data (4-bit types pack two per byte). */
    public long rawByteCount(long n) {
        return (n * bits + 7) / 8;
    }

    public boolean isFloatingPoint() {
        return switch (this) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ,
                    FLOAT4E2M1, FLOAT8E8M0 -> true;
            default -> false;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, UINT4, INT4, BOOL -> true;
            default -> false;
        };
    }

    /** The type with ONNX number {@code code}, or null when the number is not one this engine knows. */
    public static DataType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
