package org.neuralj.onnx;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A writer for the protocol-buffers wire format into a growable byte array. Nested messages are
 * written into their own {@code ProtoWriter} and added with {@link #writeMessage(int, ProtoWriter)}.
 * Repeated numeric fields are written packed (as proto3 does by default).
 */
public final class ProtoWriter {
    private byte[] buf = new byte[256];
    private int size;

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            long want = Math.max((long) size + more, (long) buf.length * 2);
            if (want > Integer.MAX_VALUE - 8) {
                if ((long) size + more > Integer.MAX_VALUE - 8) {
                    throw new ModelFormatException("protobuf message larger than 2 GB cannot be written in one piece;"
                            + " store the weights as external data");
                }
                want = Integer.MAX_VALUE - 8;
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    public void writeTag(int field, int wireType) {
        writeVarint(((long) field << 3) | wireType);
    }

    public void writeVarint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    public void writeFixed32(int v) {
        ensure(4);
        buf[size++] = (byte) v;
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 24);
    }

    public void writeFixed64(long v) {
        writeFixed32((int) v);
        writeFixed32((int) (v >>> 32));
    }

    public void writeRaw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
    }

    // ---- whole fields ----

    public void writeVarintField(int field, long v) {
        writeTag(field, ProtoReader.WIRE_VARINT);
        writeVarint(v);
    }

    public void writeFloatField(int field, float v) {
        writeTag(field, ProtoReader.WIRE_FIXED32);
        writeFixed32(Float.floatToRawIntBits(v));
    }

    public void writeDoubleField(int field, double v) {
        writeTag(field, ProtoReader.WIRE_FIXED64);
        writeFixed64(Double.doubleToRawLongBits(v));
    }

    public void writeBytesField(int field, byte[] b) {
        writeTag(field, ProtoReader.WIRE_LEN);
        writeVarint(b.length);
        writeRaw(b);
    }

    public void writeStringField(int field, String s) {
        writeBytesField(field, s.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code s} unless it is null or empty (proto3 default). */
    public void writeStringFieldIfSet(int field, String s) {
        if (s != null && !s.isEmpty()) {
            writeStringField(field, s);
        }
    }

    public void writeMessage(int field, ProtoWriter message) {
        writeTag(field, ProtoReader.WIRE_LEN);
        writeVarint(message.size);
        ensure(message.size);
        System.arraycopy(message.buf, 0, buf, size, message.size);
        size += message.size;
    }

    public void writePackedVarints(int field, long[] values) {
        if (values.length == 0) {
            return;
        }
        ProtoWriter p = new ProtoWriter();
        for (long v : values) {
            p.writeVarint(v);
        }
        writeMessage(field, p);
    }

    public void writePackedFloats(int field, float[] values) {
        if (values.length == 0) {
            return;
        }
        writeTag(field, ProtoReader.WIRE_LEN);
        writeVarint(4L * values.length);
        ensure(4 * values.length);
        for (float v : values) {
            writeFixed32(Float.floatToRawIntBits(v));
        }
    }

    public void writePackedFixed64(int field, long[] values) {
        if (values.length == 0) {
            return;
        }
        writeTag(field, ProtoReader.WIRE_LEN);
        writeVarint(8L * values.length);
        ensure(8 * values.length);
        for (long v : values) {
            writeFixed64(v);
        }
    }

    /** Repeated varints written one field per value (the proto2 default, as onnx.proto declares dims and ints). */
    public void writeUnpackedVarints(int field, long[] values) {
        for (long v : values) {
            writeVarintField(field, v);
        }
    }

    /** Repeated floats written one field per value. */
    public void writeUnpackedFloats(int field, float[] values) {
        for (float v : values) {
            writeFloatField(field, v);
        }
    }
}
