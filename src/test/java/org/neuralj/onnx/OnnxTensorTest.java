package org.neuralj.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.neuralj.onnx.OnnxFields.Tensor;

/** TensorProto data in every storage form: raw_data, the typed fields, and external files. */
class OnnxTensorTest {

    private static ProtoWriter header(DataType type, long... dims) {
        ProtoWriter w = new ProtoWriter();
        w.writeUnpackedVarints(Tensor.DIMS, dims);
        w.writeVarintField(Tensor.DATA_TYPE, type.code());
        w.writeStringField(Tensor.NAME, "t");
        return w;
    }

    private static OnnxTensor read(ProtoWriter w) {
        return OnnxReader.readTensor(w.toByteArray(), "t.pb", null);
    }

    @Test
    void floatDataPackedAndUnpacked() {
        ProtoWriter p = header(DataType.FLOAT, 3);
        p.writePackedFloats(Tensor.FLOAT_DATA, new float[] {1, -2.5f, 3e10f});
        ProtoWriter u = header(DataType.FLOAT, 3);
        u.writeUnpackedFloats(Tensor.FLOAT_DATA, new float[] {1, -2.5f, 3e10f});
        assertArrayEquals(new float[] {1, -2.5f, 3e10f}, read(p).toFloats());
        assertEquals(read(p), read(u));
    }

    @Test
    void int32DataCarriesSmallTypes() {
        // FLOAT16 1.5 = 0x3E00, -2 = 0xC000; BFLOAT16 1.5 = 0x3FC0
        ProtoWriter h = header(DataType.FLOAT16, 2);
        h.writePackedVarints(Tensor.INT32_DATA, new long[] {0x3E00, 0xC000});
        assertArrayEquals(new float[] {1.5f, -2f}, read(h).toFloats());
        ProtoWriter bf = header(DataType.BFLOAT16, 1);
        bf.writePackedVarints(Tensor.INT32_DATA, new long[] {0x3FC0});
        assertArrayEquals(new float[] {1.5f}, read(bf).toFloats());
        // INT8 negative values are written as sign-extended varints
        ProtoWriter i8 = header(DataType.INT8, 3);
        i8.writePackedVarints(Tensor.INT32_DATA, new long[] {-128, -1, 127});
        assertArrayEquals(new float[] {-128, -1, 127}, read(i8).toFloats());
        assertArrayEquals(new long[] {-128, -1, 127}, read(i8).toLongs());
        ProtoWriter u8 = header(DataType.UINT8, 2);
        u8.writePackedVarints(Tensor.INT32_DATA, new long[] {255, 0});
        assertArrayEquals(new long[] {255, 0}, read(u8).toLongs());
        ProtoWriter i16 = header(DataType.INT16, 2);
        i16.writeUnpackedVarints(Tensor.INT32_DATA, new long[] {-300, 32767});
        assertArrayEquals(new float[] {-300, 32767}, read(i16).toFloats());
        ProtoWriter u16 = header(DataType.UINT16, 1);
        u16.writePackedVarints(Tensor.INT32_DATA, new long[] {65535});
        assertArrayEquals(new long[] {65535}, read(u16).toLongs());
        ProtoWriter b = header(DataType.BOOL, 3);
        b.writePackedVarints(Tensor.INT32_DATA, new long[] {1, 0, 1});
        assertArrayEquals(new float[] {1, 0, 1}, read(b).toFloats());
        ProtoWriter i32 = header(DataType.INT32, 2);
        i32.writePackedVarints(Tensor.INT32_DATA, new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE});
        assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, read(i32).toInts());
    }

    @Test
    void wideTypesAreExact() {
        long big = (1L << 53) + 1; // not representable as a double
        ProtoWriter i64 = header(DataType.INT64, 3);
        i64.writePackedVarints(Tensor.INT64_DATA, new long[] {big, -1, Long.MIN_VALUE});
        assertArrayEquals(new long[] {big, -1, Long.MIN_VALUE}, read(i64).toLongs());
        ProtoWriter d = header(DataType.DOUBLE, 2);
        d.writePackedFixed64(Tensor.DOUBLE_DATA, new long[] {Double.doubleToLongBits(0.1), Double.doubleToLongBits(-1e300)});
        assertArrayEquals(new double[] {0.1, -1e300}, read(d).toDoubles());
        assertEquals(Float.NEGATIVE_INFINITY, read(d).toFloats()[1]);
        ProtoWriter u32 = header(DataType.UINT32, 1);
        u32.writePackedVarints(Tensor.UINT64_DATA, new long[] {4_000_000_000L});
        assertArrayEquals(new long[] {4_000_000_000L}, read(u32).toLongs());
        assertEquals(4e9f, read(u32).toFloats()[0]);
        ProtoWriter u64 = header(DataType.UINT64, 1);
        u64.writePackedVarints(Tensor.UINT64_DATA, new long[] {-1L}); // 2^64 - 1
        assertEquals(1.8446744e19f, read(u64).toFloats()[0], 1e13f);
        assertArrayEquals(new long[] {-1L}, read(u64).toLongs());
    }

    @Test
    void rawDataOfEveryType() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x3C00).putShort((short) 0x7C00).putShort((short) 0x0001).putShort((short) 0x8000); // f16 1, inf, min subnormal, -0
        OnnxTensor h = OnnxTensor.ofRaw("h", DataType.FLOAT16, new long[] {4}, java.util.Arrays.copyOf(b.array(), 8));
        float[] hv = h.toFloats();
        assertEquals(1f, hv[0]);
        assertEquals(Float.POSITIVE_INFINITY, hv[1]);
        assertEquals(0x1p-24f, hv[2]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(hv[3]));
        // 8-bit floats: 1.0 in each; NaN codes
        assertEquals(1f, OnnxTensor.ofRaw("a", DataType.FLOAT8E4M3FN, new long[] {1}, new byte[] {0x38}).toFloats()[0]);
        assertTrue(Float.isNaN(OnnxTensor.ofRaw("a", DataType.FLOAT8E4M3FN, new long[] {1}, new byte[] {0x7F}).toFloats()[0]));
        assertEquals(448f, OnnxTensor.ofRaw("a", DataType.FLOAT8E4M3FN, new long[] {1}, new byte[] {0x7E}).toFloats()[0]);
        assertEquals(1f, OnnxTensor.ofRaw("a", DataType.FLOAT8E4M3FNUZ, new long[] {1}, new byte[] {0x40}).toFloats()[0]);
        assertEquals(1f, OnnxTensor.ofRaw("a", DataType.FLOAT8E5M2, new long[] {1}, new byte[] {0x3C}).toFloats()[0]);
        assertEquals(-1f, OnnxTensor.ofRaw("a", DataType.FLOAT8E5M2FNUZ, new long[] {1}, new byte[] {(byte) 0xC0}).toFloats()[0]);
        assertEquals(1f, OnnxTensor.ofRaw("a", DataType.FLOAT8E8M0, new long[] {1}, new byte[] {127}).toFloats()[0]);
        // 4-bit: low nibble first; 3 elements take 2 bytes
        OnnxTensor i4 = OnnxTensor.ofRaw("i4", DataType.INT4, new long[] {3}, new byte[] {(byte) 0x8F, 0x07});
        assertArrayEquals(new long[] {-1, -8, 7}, i4.toLongs());
        OnnxTensor u4 = OnnxTensor.ofRaw("u4", DataType.UINT4, new long[] {3}, new byte[] {(byte) 0x8F, 0x07});
        assertArrayEquals(new long[] {15, 8, 7}, u4.toLongs());
        OnnxTensor f4 = OnnxTensor.ofRaw("f4", DataType.FLOAT4E2M1, new long[] {2}, new byte[] {(byte) 0xF2});
        assertArrayEquals(new float[] {1f, -6f}, f4.toFloats());
        assertThrows(IllegalArgumentException.class, () -> OnnxTensor.ofRaw("x", DataType.FLOAT, new long[] {2}, new byte[7]));
    }

    @Test
    void stringsAndScalarsAndEmpty() {
        OnnxTensor s = OnnxTensor.ofStrings("s", new long[] {2}, List.of("ab", "ü"));
        OnnxTensor r = OnnxReader.readTensor(OnnxWriter.toBytes(s), "s.pb", null);
        assertEquals(List.of("ab", "ü"), r.toStrings());
        assertThrows(ModelFormatException.class, r::toFloats);
        OnnxTensor scalar = OnnxTensor.ofFloats("k", new long[0], new float[] {4});
        assertEquals(1, scalar.numElements());
        assertEquals(0, scalar.rank());
        OnnxTensor empty = OnnxReader.readTensor(header(DataType.FLOAT, 0, 3).toByteArray(), "e.pb", null);
        assertEquals(0, empty.toFloats().length);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxReader.readTensor(header(DataType.FLOAT, 2).toByteArray(), "nodata.pb", null));
        assertTrue(e.getMessage().contains("nodata.pb") && e.getMessage().contains("no data"), e.getMessage());
    }

    // ------------------------------------------------------------------ external data

    private static byte[] externalTensor(String location, long offset, long length, long... dims) {
        ProtoWriter w = header(DataType.FLOAT, dims);
        for (String[] kv : new String[][] {{"location", location}, {"offset", Long.toString(offset)},
                {"length", Long.toString(length)}}) {
            ProtoWriter e = new ProtoWriter();
            e.writeStringField(OnnxFields.StringStringEntry.KEY, kv[0]);
            e.writeStringField(OnnxFields.StringStringEntry.VALUE, kv[1]);
            w.writeMessage(Tensor.EXTERNAL_DATA, e);
        }
        w.writeVarintField(Tensor.DATA_LOCATION, Tensor.LOCATION_EXTERNAL);
        return w.toByteArray();
    }

    private static byte[] modelWithInitializer(byte[] tensor) {
        ProtoWriter node = new ProtoWriter();
        node.writeStringField(OnnxFields.Node.INPUT, "t");
        node.writeStringField(OnnxFields.Node.OUTPUT, "y");
        node.writeStringField(OnnxFields.Node.OP_TYPE, "Identity");
        ProtoWriter out = new ProtoWriter();
        out.writeStringField(OnnxFields.ValueInfo.NAME, "y");
        ProtoWriter g = new ProtoWriter();
        g.writeMessage(OnnxFields.Graph.NODE, node);
        g.writeBytesField(OnnxFields.Graph.INITIALIZER, tensor);
        g.writeMessage(OnnxFields.Graph.OUTPUT, out);
        ProtoWriter opset = new ProtoWriter();
        opset.writeVarintField(OnnxFields.OperatorSetId.VERSION, 17);
        ProtoWriter m = new ProtoWriter();
        m.writeVarintField(OnnxFields.Model.IR_VERSION, 8);
        m.writeMessage(OnnxFields.Model.OPSET_IMPORT, opset);
        m.writeMessage(OnnxFields.Model.GRAPH, g);
        return m.toByteArray();
    }

    @Test
    void externalDataIsReadRelativeToTheModelFolder(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.createDirectories(dir.resolve("data"));
        ByteBuffer b = ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0xDEADBEEFL).putFloat(1).putFloat(-2).putFloat(3.5f).putFloat(4);
        Files.write(dir.resolve("data/w.bin"), b.array());
        Path model = Files.write(dir.resolve("m.onnx"), modelWithInitializer(externalTensor("data/w.bin", 8, 16, 2, 2)));
        OnnxModel m = OnnxReader.read(model);
        OnnxTensor t = m.graph().initializer("t");
        assertTrue(t.isExternal());
        assertEquals("data/w.bin", t.externalData().location());
        assertArrayEquals(new float[] {1, -2, 3.5f, 4}, t.toFloats());
        // the writer embeds external data
        OnnxModel embedded = OnnxReader.read(OnnxWriter.toBytes(m), "embedded.onnx", null);
        OnnxTensor e = embedded.graph().initializer("t");
        assertFalse(e.isExternal());
        assertArrayEquals(t.toFloats(), e.toFloats());
        // a tensor file with external data, relative to its own folder
        Path pb = Files.write(dir.resolve("input_0.pb"), externalTensor("data/w.bin", 8, 16, 4));
        assertArrayEquals(new float[] {1, -2, 3.5f, 4}, OnnxReader.readTensor(pb).toFloats());
    }

    @Test
    void externalDataErrorsNameTheFile(@TempDir Path tmp) throws IOException {
        Path model = Files.write(tmp.resolve("m.onnx"), modelWithInitializer(externalTensor("missing.bin", 0, 16, 4)));
        OnnxTensor t = OnnxReader.read(model).graph().initializer("t");
        ModelFormatException e = assertThrows(ModelFormatException.class, t::toFloats);
        assertTrue(e.getMessage().contains("m.onnx") && e.getMessage().contains("missing.bin")
                && e.getMessage().contains("not found"), e.getMessage());

        Files.write(tmp.resolve("short.bin"), new byte[10]);
        Path m2 = Files.write(tmp.resolve("m2.onnx"), modelWithInitializer(externalTensor("short.bin", 0, 16, 4)));
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(m2).graph().initializer("t").toFloats());
        assertTrue(e.getMessage().contains("short.bin") && e.getMessage().contains("has 10"), e.getMessage());

        Path m3 = Files.write(tmp.resolve("m3.onnx"), modelWithInitializer(externalTensor("../../etc/passwd", 0, 16, 4)));
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(m3));
        assertTrue(e.getMessage().contains("m3.onnx") && e.getMessage().contains("outside the model's folder"), e.getMessage());

        Path m4 = Files.write(tmp.resolve("m4.onnx"), modelWithInitializer(externalTensor("short.bin", 0, 12, 4)));
        e = assertThrows(ModelFormatException.class, () -> OnnxReader.read(m4).graph().initializer("t").toFloats());
        assertTrue(e.getMessage().contains("length 12"), e.getMessage());
    }
}
