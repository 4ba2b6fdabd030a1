package org.neuralj.onnx;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reader for the protocol-buffers wire format over a byte array: varints, fixed32/fixed64 and
 * length-delimited fields, repeated fields packed or not. It knows nothing of ONNX; the message
 * parsers in {@link OnnxReader} say which field is which.
 *
 * <p>Every malformed input (a truncated field, a length beyond the end, a varint longer than 10
 * bytes, a group or unknown wire type, a wrong wire type for a known field) becomes a
 * {@link ModelFormatException} whose message names the source, the byte offset and the message
 * being read, e.g. {@code "model.onnx: truncated at byte 1234 while reading GraphProto.node"}.
 */
public final class ProtoReader {

    public static final int WIRE_VARINT = 0;
    public static final int WIRE_FIXED64 = 1;
    public static final int WIRE_LEN = 2;
    public static final int WIRE_START_GROUP = 3;
    public static final int WIRE_END_GROUP = 4;
    public static final int WIRE_FIXED32 = 5;

    private final byte[] buf;
    private final int end;
    private final String source;
    private final String context;
    private int pos;

    /** Reads the whole of {@code buf}; {@code source} (a file name) and {@code context} (the message) go into error messages. */
    public ProtoReader(byte[] buf, String source, String context) {
        this(buf, 0, buf.length, source, context);
    }

    private ProtoReader(byte[] buf, int start, int end, String source, String context) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.source = source;
        this.context = context;
    }

    public static int fieldNumber(int tag) {
        return tag >>> 3;
    }

    public static int wireType(int tag) {
        return tag & 7;
    }

    public boolean hasMore() {
        return pos < end;
    }

    /** Absolute offset in the underlying buffer (the file offset when reading a whole file). */
    public int position() {
        return pos;
    }

    public String source() {
        return source;
    }

    public String context() {
        return context;
    }

    /** An exception naming the source, the current byte and the message being read. */
    public ModelFormatException error(String what) {
        return new ModelFormatException(source + ": " + what + " at byte " + pos + " while reading " + context);
    }

    /** Reads a field tag and checks its wire type is one this reader can handle. */
    public int readTag() {
        int at = pos;
        long tag = readVarint();
        if (tag > 0xFFFF_FFFFL || tag < 0) {
            pos = at;
            throw error("field tag " + Long.toUnsignedString(tag) + " out of range");
        }
        int t = (int) tag;
        int wt = wireType(t);
        if (fieldNumber(t) == 0) {
            pos = at;
            throw error("field number 0 (not protobuf data)");
        }
        if (wt == WIRE_START_GROUP || wt == WIRE_END_GROUP) {
            pos = at;
            throw error("unsupported wire type " + wt + " (group) for field " + fieldNumber(t));
        }
        if (wt > WIRE_FIXED32) {
            pos = at;
            throw error("invalid wire type " + wt + " for field " + fieldNumber(t));
        }
        return t;
    }

    /** Throws unless {@code tag} has wire type {@code expected}; {@code field} names the field. */
    public void expectWireType(int tag, int expected, String field) {
        if (wireType(tag) != expected) {
            throw error("field " + field + " (" + fieldNumber(tag) + ") has wire type " + wireType(tag)
                    + ", expected " + expected);
        }
    }

    public long readVarint() {
        long result = 0;
        int start = pos;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                pos = start;
                throw error("truncated varint");
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        pos = start;
        throw error("varint longer than 10 bytes");
    }

    public int readFixed32() {
        need(4, "fixed32");
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    public long readFixed64() {
        need(8, "fixed64");
        long lo = readFixed32() & 0xFFFF_FFFFL;
        long hi = readFixed32() & 0xFFFF_FFFFL;
        return lo | hi << 32;
    }

    public float readFloat() {
        return Float.intBitsToFloat(readFixed32());
    }

    public double readDouble() {
        return Double.longBitsToDouble(readFixed64());
    }

    private void need(int n, String what) {
        if (end - pos < n) {
            throw error("truncated " + what + " (need " + n + " bytes, " + (end - pos) + " left)");
        }
    }

    /** Reads a length prefix and checks it fits in what is left. */
    private int readLength() {
        int at = pos;
        long len = readVarint();
        if (len < 0 || len > end - pos) {
            pos = at;
            throw error("length " + (len < 0 ? Long.toUnsignedString(len) : Long.toString(len))
                    + " runs past the end (" + (end - pos) + " bytes left); the file is truncated or not this format");
        }
        return (int) len;
    }

    public byte[] readBytes() {
        int len = readLength();
        byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
        pos += len;
        return out;
    }

    public String readString() {
        int len = readLength();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** A reader over the next length-delimited field; {@code subContext} names it in errors (e.g. "GraphProto.node"). */
    public ProtoReader readMessage(String subContext) {
        int len = readLength();
        ProtoReader sub = new ProtoReader(buf, pos, pos + len, source, subContext);
        pos += len;
        return sub;
    }

    /** Skips the value of a field of wire type {@code wireType} (an unknown or ignored field). */
    public void skip(int wireType) {
        switch (wireType) {
            case WIRE_VARINT -> readVarint();
            case WIRE_FIXED64 -> { need(8, "fixed64"); pos += 8; }
            case WIRE_LEN -> {
                int len = readLength(); // not "pos += readLength()": Java reads pos before the call
                pos += len;
            }
            case WIRE_FIXED32 -> { need(4, "fixed32"); pos += 4; }
            default -> throw error("cannot skip wire type " + wireType);
        }
    }

    // ---- repeated scalars: accept the packed form (one LEN field) and the unpacked form (one field per value) ----

    /** Appends one (unpacked) or many (packed) varints. */
    public void readRepeatedVarint(int tag, Longs out, String field) {
        int wt = wireType(tag);
        if (wt == WIRE_VARINT) {
            out.add(readVarint());
        } else if (wt == WIRE_LEN) {
            ProtoReader p = readMessage(context + "." + field);
            while (p.hasMore()) {
                out.add(p.readVarint());
            }
        } else {
            throw error("repeated varint field " + field + " has wire type " + wt);
        }
    }

    /** Appends one or many fixed32 floats. */
    public void readRepeatedFloat(int tag, Floats out, String field) {
        int wt = wireType(tag);
        if (wt == WIRE_FIXED32) {
            out.add(readFloat());
        } else if (wt == WIRE_LEN) {
            int len = readLength();
            if (len % 4 != 0) {
                throw error("packed float field " + field + " has " + len + " bytes, not a multiple of 4");
            }
            out.ensure(len / 4);
            for (int i = 0; i < len; i += 4) {
                out.add(readFloat());
            }
        } else {
            throw error("repeated float field " + field + " has wire type " + wt);
        }
    }

    /** Appends one or many fixed64 values (doubles as raw bits via {@link Double#longBitsToDouble}). */
    public void readRepeatedFixed64(int tag, Longs out, String field) {
        int wt = wireType(tag);
        if (wt == WIRE_FIXED64) {
            out.add(readFixed64());
        } else if (wt == WIRE_LEN) {
            int len = readLength();
            if (len % 8 != 0) {
                throw error("packed fixed64 field " + field + " has " + len + " bytes, not a multiple of 8");
            }
            out.ensure(len / 8);
            for (int i = 0; i < len; i += 8) {
                out.add(readFixed64());
            }
        } else {
            throw error("repeated fixed64 field " + field + " has wire type " + wt);
        }
    }

    /** A growable long array. */
    public static final class Longs {
        private long[] a = new long[8];
        private int n;

        public void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void ensure(int more) {
            if (n + more > a.length) {
                a = Arrays.copyOf(a, Math.max(n + more, a.length * 2));
            }
        }

        public int size() {
            return n;
        }

        public long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** A growable float array. */
    public static final class Floats {
        private float[] a = new float[8];
        private int n;

        public void add(float v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void ensure(int more) {
            if (n + more > a.length) {
                a = Arrays.copyOf(a, Math.max(n + more, a.length * 2));
            }
        }

        public int size() {
            return n;
        }

        public float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
