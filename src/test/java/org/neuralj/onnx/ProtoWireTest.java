package org.neuralj.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The protobuf wire format: values written by ProtoWriter read back by ProtoReader, and malformed input. */
class ProtoWireTest {

    @Test
    void varintsRoundTripIncludingNegativeAndLarge() {
        long[] values = {0, 1, 127, 128, 300, 16383, 16384, Integer.MAX_VALUE, 1L << 35, Long.MAX_VALUE, -1, -2,
                Long.MIN_VALUE};
        ProtoWriter w = new ProtoWriter();
        for (long v : values) {
            w.writeVarint(v);
        }
        ProtoReader r = new ProtoReader(w.toByteArray(), "test", "varints");
        for (long v : values) {
            assertEquals(v, r.readVarint());
        }
        assertFalse(r.hasMore());
    }

    @Test
    void knownEncodings() {
        ProtoWriter w = new ProtoWriter();
        w.writeVarint(300);
        assertArrayEquals(new byte[] {(byte) 0xAC, 0x02}, w.toByteArray());
        ProtoWriter n = new ProtoWriter();
        n.writeVarint(-1);
        assertEquals(10, n.size(), "negative int64 takes 10 bytes");
        ProtoWriter f = new ProtoWriter();
        f.writeVarintField(1, 150);
        assertArrayEquals(new byte[] {0x08, (byte) 0x96, 0x01}, f.toByteArray());
    }

    @Test
    void fixedAndLengthDelimited() {
        ProtoWriter inner = new ProtoWriter();
        inner.writeStringField(1, "héllo");
        ProtoWriter w = new ProtoWriter();
        w.writeFloatField(2, 1.5f);
        w.writeDoubleField(3, -2.25);
        w.writeMessage(4, inner);
        w.writeVarintField(5, 7);
        ProtoReader r = new ProtoReader(w.toByteArray(), "test", "Msg");
        int tag = r.readTag();
        assertEquals(2, ProtoReader.fieldNumber(tag));
        assertEquals(ProtoReader.WIRE_FIXED32, ProtoReader.wireType(tag));
        assertEquals(1.5f, r.readFloat());
        tag = r.readTag();
        assertEquals(ProtoReader.WIRE_FIXED64, ProtoReader.wireType(tag));
        assertEquals(-2.25, r.readDouble());
        tag = r.readTag();
        assertEquals(4, ProtoReader.fieldNumber(tag));
        ProtoReader sub = r.readMessage("Msg.inner");
        int t2 = sub.readTag();
        assertEquals(1, ProtoReader.fieldNumber(t2));
        assertEquals("héllo", sub.readString());
        assertFalse(sub.hasMore());
        tag = r.readTag();
        r.skip(ProtoReader.wireType(tag)); // skipping an unknown varint field
        assertFalse(r.hasMore());
    }

    @Test
    void repeatedFieldsPackedAndUnpackedReadTheSame() {
        long[] ints = {1, -5, 1L << 40, 0};
        float[] floats = {0.5f, -3f, Float.MAX_VALUE};
        ProtoWriter packed = new ProtoWriter();
        packed.writePackedVarints(8, ints);
        packed.writePackedFloats(7, floats);
        ProtoWriter unpacked = new ProtoWriter();
        unpacked.writeUnpackedVarints(8, ints);
        unpacked.writeUnpackedFloats(7, floats);
        for (ProtoWriter w : new ProtoWriter[] {packed, unpacked}) {
            ProtoReader r = new ProtoReader(w.toByteArray(), "test", "Attr");
            ProtoReader.Longs l = new ProtoReader.Longs();
            ProtoReader.Floats f = new ProtoReader.Floats();
            while (r.hasMore()) {
                int tag = r.readTag();
                if (ProtoReader.fieldNumber(tag) == 8) {
                    r.readRepeatedVarint(tag, l, "ints");
                } else {
                    r.readRepeatedFloat(tag, f, "floats");
                }
            }
            assertArrayEquals(ints, l.toArray());
            assertArrayEquals(floats, f.toArray());
        }
        ProtoWriter d = new ProtoWriter();
        d.writePackedFixed64(10, new long[] {Double.doubleToLongBits(1.25), Double.doubleToLongBits(-7)});
        ProtoReader r = new ProtoReader(d.toByteArray(), "test", "T");
        ProtoReader.Longs l = new ProtoReader.Longs();
        r.readRepeatedFixed64(r.readTag(), l, "double_data");
        assertEquals(-7.0, Double.longBitsToDouble(l.toArray()[1]));
    }

    @Test
    void truncatedLengthIsReportedWithSourceAndContext() {
        ProtoWriter w = new ProtoWriter();
        w.writeStringField(1, "abcdefgh");
        byte[] b = w.toByteArray();
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 3);
        ProtoReader r = new ProtoReader(cut, "model.onnx", "GraphProto.node");
        r.readTag();
        ModelFormatException e = assertThrows(ModelFormatException.class, r::readString);
        assertTrue(e.getMessage().startsWith("model.onnx: "), e.getMessage());
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
        assertTrue(e.getMessage().contains("while reading GraphProto.node"), e.getMessage());
    }

    @Test
    void malformedInputs() {
        // varint longer than 10 bytes
        byte[] longVarint = new byte[12];
        java.util.Arrays.fill(longVarint, (byte) 0xFF);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new ProtoReader(longVarint, "x.pb", "M").readVarint());
        assertTrue(e.getMessage().contains("longer than 10 bytes"), e.getMessage());
        // truncated varint
        e = assertThrows(ModelFormatException.class, () -> new ProtoReader(new byte[] {(byte) 0x80}, "x.pb", "M").readVarint());
        assertTrue(e.getMessage().contains("truncated varint"), e.getMessage());
        // group wire type (3) and invalid wire type (7)
        e = assertThrows(ModelFormatException.class, () -> new ProtoReader(new byte[] {0x0B}, "x.pb", "M").readTag());
        assertTrue(e.getMessage().contains("group"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> new ProtoReader(new byte[] {0x0F}, "x.pb", "M").readTag());
        assertTrue(e.getMessage().contains("invalid wire type 7"), e.getMessage());
        // field number 0
        e = assertThrows(ModelFormatException.class, () -> new ProtoReader(new byte[] {0x00}, "x.pb", "M").readTag());
        assertTrue(e.getMessage().contains("field number 0"), e.getMessage());
        // truncated fixed32
        ProtoReader r = new ProtoReader(new byte[] {1, 2}, "x.pb", "M");
        e = assertThrows(ModelFormatException.class, r::readFixed32);
        assertTrue(e.getMessage().contains("truncated fixed32"), e.getMessage());
        // wrong wire type for a known field
        ProtoReader w = new ProtoReader(new byte[] {0x0A, 0x00}, "x.pb", "ModelProto");
        int tag = w.readTag();
        e = assertThrows(ModelFormatException.class, () -> w.expectWireType(tag, ProtoReader.WIRE_VARINT, "ir_version"));
        assertTrue(e.getMessage().contains("ir_version") && e.getMessage().contains("wire type 2"), e.getMessage());
        // packed floats with a length that is not a multiple of 4
        ProtoWriter pw = new ProtoWriter();
        pw.writeBytesField(4, new byte[] {1, 2, 3});
        ProtoReader p = new ProtoReader(pw.toByteArray(), "x.pb", "TensorProto");
        int ptag = p.readTag();
        e = assertThrows(ModelFormatException.class, () -> p.readRepeatedFloat(ptag, new ProtoReader.Floats(), "float_data"));
        assertTrue(e.getMessage().contains("not a multiple of 4"), e.getMessage());
    }
}
