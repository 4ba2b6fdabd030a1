package org.neuralj.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;

class NpyTest {

    /** A .npy file as numpy writes it: magic, version, header length, dict padded with spaces and '\n'. */
    private static byte[] npy(int major, String descr, String shape, boolean fortran, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
        int pre = major == 1 ? 10 : 12;
        int pad = (64 - (pre + dict.length() + 1) % 64) % 64;
        byte[] h = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            out.write(h.length & 0xFF);
            out.write(h.length >> 8);
        } else {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).array());
        }
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void unetTestInput() {
        Npy.Array a = Npy.read(SharedData.require("onnx/real-models/unet2d-nuclei-broad/test_input.npy"));
        assertArrayEquals(new int[] {1, 1, 512, 512}, a.shape());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        double sum = 0;
        for (float v : a.data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        double mean = sum / a.data().length;
        double ss = 0;
        for (float v : a.data()) {
            ss += (v - mean) * (v - mean);
        }
        // numpy: min 122, max 4095, mean 256.11497, std 208.87412
        assertEquals(122f, min);
        assertEquals(4095f, max);
        assertEquals(256.11497, mean, 1e-4);
        assertEquals(208.87412, Math.sqrt(ss / a.data().length), 1e-4);
        assertArrayEquals(new float[] {145, 148, 145}, java.util.Arrays.copyOf(a.data(), 3));
        assertEquals(157f, a.data()[100 * 512 + 200]);
    }

    @Test
    void writeMatchesNumpyAndRoundTrips(@TempDir Path tmp) {
        Npy.Array a = new Npy.Array(new int[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5});
        byte[] b = Npy.toBytes(a);
        // numpy.save(np.arange(6, dtype=np.float32).reshape(2, 3)) writes a 128-byte header then the data
        String header = new String(b, 10, 118, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(58) + "\n", header);
        assertEquals(0x76, b[8]);
        assertEquals(128 + 24, b.length);
        Path f = tmp.resolve("a.npy");
        Npy.write(f, a);
        assertEquals(a, Npy.read(f));
        Npy.Array one = new Npy.Array(new int[] {5}, new float[] {1, 2, 3, 4, 5});
        assertTrue(new String(Npy.toBytes(one), StandardCharsets.ISO_8859_1).contains("'shape': (5,), }"));
        assertEquals(0, (Npy.toBytes(one).length - 20) % 64);
        assertEquals(one, Npy.read(Npy.toBytes(one), "one.npy"));
        Npy.Array scalar = new Npy.Array(new int[0], new float[] {7});
        assertEquals(scalar, Npy.read(Npy.toBytes(scalar), "s.npy"));
        Npy.Array big = new Npy.Array(new int[] {1, 1, 512, 512}, new float[512 * 512]);
        assertEquals(big, Npy.read(Npy.toBytes(big), "big.npy"));
    }

    @Test
    void dtypes() {
        float[] want = {1, -2, 3};
        assertArrayEquals(want, Npy.read(npy(1, "<f8", "(3,)", false, le(24).putDouble(1).putDouble(-2).putDouble(3).array()), "f8").data());
        assertArrayEquals(want, Npy.read(npy(1, "<i4", "(3,)", false, le(12).putInt(1).putInt(-2).putInt(3).array()), "i4").data());
        assertArrayEquals(want, Npy.read(npy(1, "<i8", "(3,)", false, le(24).putLong(1).putLong(-2).putLong(3).array()), "i8").data());
        assertArrayEquals(new float[] {1, 254, 3}, Npy.read(npy(1, "|u1", "(3,)", false, new byte[] {1, (byte) 254, 3}), "u1").data());
        assertArrayEquals(new float[] {1, 65534, 3},
                Npy.read(npy(1, "<u2", "(3,)", false, le(6).putShort((short) 1).putShort((short) -2).putShort((short) 3).array()), "u2").data());
        assertArrayEquals(new float[] {1, 0, 1}, Npy.read(npy(1, "|b1", "(3,)", false, new byte[] {1, 0, 1}), "b1").data());
        ByteBuffer be = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN).putFloat(1).putFloat(-2).putFloat(3);
        assertArrayEquals(want, Npy.read(npy(1, ">f4", "(3,)", false, be.array()), ">f4").data());
        assertArrayEquals(new float[] {1.5f}, Npy.read(npy(1, "<f2", "(1,)", false, le(2).putShort((short) 0x3E00).array()), "f2").data());
        // versions 2.0 and 3.0 have a 4-byte header length
        Npy.Array v2 = Npy.read(npy(2, "<f4", "(1, 3)", false, le(12).putFloat(1).putFloat(-2).putFloat(3).array()), "v2");
        assertArrayEquals(new int[] {1, 3}, v2.shape());
        assertArrayEquals(want, v2.data());
        assertArrayEquals(want, Npy.read(npy(3, "<f4", "(3,)", false, le(12).putFloat(1).putFloat(-2).putFloat(3).array()), "v3").data());
    }

    @Test
    void badFiles(@TempDir Path tmp) throws IOException {
        Npy.FormatException e = assertThrows(Npy.FormatException.class,
                () -> Npy.read(npy(1, "<f4", "(2, 2)", true, new byte[16]), "fortran.npy"));
        assertTrue(e.getMessage().contains("fortran.npy") && e.getMessage().contains("fortran_order=True"), e.getMessage());
        e = assertThrows(Npy.FormatException.class, () -> Npy.read(npy(1, "<f4", "(4,)", false, new byte[15]), "short.npy"));
        assertTrue(e.getMessage().contains("short.npy") && e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(Npy.FormatException.class, () -> Npy.read(npy(1, "<c8", "(1,)", false, new byte[8]), "c8.npy"));
        assertTrue(e.getMessage().contains("unsupported dtype '<c8'"), e.getMessage());
        e = assertThrows(Npy.FormatException.class, () -> Npy.read("hello world".getBytes(StandardCharsets.UTF_8), "txt.npy"));
        assertTrue(e.getMessage().contains("txt.npy") && e.getMessage().contains("not a .npy"), e.getMessage());
        Path missing = tmp.resolve("gone.npy");
        e = assertThrows(Npy.FormatException.class, () -> Npy.read(missing));
        assertTrue(e.getMessage().contains("gone.npy") && e.getMessage().contains("not found"), e.getMessage());
        Path empty = Files.write(tmp.resolve("empty.npy"), new byte[0]);
        e = assertThrows(Npy.FormatException.class, () -> Npy.read(empty));
        assertTrue(e.getMessage().contains("empty.npy"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Npy.Array(new int[] {2, 2}, new float[3]));
    }
}
