package org.neuralj.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.neuralj.backend.NeuralJException;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) as float arrays.
 *
 * <p>Reads C-order arrays of dtype f2/f4/f8, i1/i2/i4/i8, u1/u2/u4/u8 and b1, little- or big-endian,
 * converting every element to float. Writes float32 little-endian, version 1.0, with the header padded
 * so the data starts at a multiple of 64 bytes, as NumPy does.
 */
public final class Npy {
    private Npy() {
    }

    /** A C-order (row-major) float array. */
    public record Array(int[] shape, float[] data) {
        public Array {
            shape = shape.clone();
            long n = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                }
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements but data has "
                        + data.length);
            }
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Array a && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Npy.Array" + Arrays.toString(shape);
        }
    }

    /** A .npy file that cannot be read; the message names the file and the problem. */
    public static final class FormatException extends NeuralJException {
        public FormatException(String message) {
            super(message);
        }

        public FormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    // ------------------------------------------------------------------ read

    public static Array read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new FormatException(file + ": file not found", e);
        } catch (IOException e) {
            throw new FormatException(file + ": cannot be read: " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new FormatException(file + ": too large to read into memory", e);
        }
        return read(bytes, file.toString());
    }

    /** Reads .npy bytes; {@code sourceName} names them in error messages. */
    public static Array read(byte[] bytes, String sourceName) {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new FormatException(sourceName + ": not a .npy file (no \\x93NUMPY magic at the start)");
        }
        int major = bytes[6] & 0xFF;
        int minor = bytes[7] & 0xFF;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new FormatException(sourceName + ": truncated .npy header");
            }
            headerLen = b.getInt(8) & 0xFFFF_FFFFL;
            headerStart = 12;
        } else {
            throw new FormatException(sourceName + ": unsupported .npy format version " + major + "." + minor
                    + " (this reader handles 1.0, 2.0 and 3.0)");
        }
        if (headerStart + headerLen > bytes.length) {
            throw new FormatException(sourceName + ": truncated .npy header (" + headerLen + " bytes announced, "
                    + (bytes.length - headerStart) + " present)");
        }
        String header = new String(bytes, headerStart, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int dataStart = headerStart + (int) headerLen;

        String descr = stringValue(header, "descr", sourceName);
        String fortran = rawValue(header, "fortran_order", sourceName);
        if (fortran.startsWith("True")) {
            throw new FormatException(sourceName + ": fortran_order=True is not supported; save the array in C order"
                    + " (numpy.ascontiguousarray) before writing it");
        }
        if (!fortran.startsWith("False")) {
            throw new FormatException(sourceName + ": cannot read fortran_order '" + fortran + "' in the .npy header");
        }
        int[] shape = parseShape(header, sourceName);
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new FormatException(sourceName + ": " + n + " elements are more than a Java array holds");
        }

        if (descr.length() < 3) {
            throw new FormatException(sourceName + ": unsupported dtype '" + descr + "'");
        }
        char order = descr.charAt(0);
        char kind = descr.charAt(1);
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            throw new FormatException(sourceName + ": unsupported dtype '" + descr + "'");
        }
        ByteOrder bo = switch (order) {
            case '<', '|', '=' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            default -> throw new FormatException(sourceName + ": unsupported byte order in dtype '" + descr + "'");
        };
        boolean supported = switch (kind) {
            case 'f' -> size == 2 || size == 4 || size == 8;
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'b' -> size == 1;
            default -> false;
        };
        if (!supported) {
            throw new FormatException(sourceName + ": unsupported dtype '" + descr
                    + "' (supported: float16/32/64, int8-64, uint8-64, bool)");
        }
        long want = n * size;
        if (bytes.length - dataStart < want) {
            throw new FormatException(sourceName + ": truncated data: shape " + Arrays.toString(shape) + " of " + descr
                    + " needs " + want + " bytes, the file has " + (bytes.length - dataStart));
        }
        ByteBuffer d = ByteBuffer.wrap(bytes, dataStart, (int) want).slice().order(bo);
        float[] out = new float[(int) n];
        int count = (int) n;
        switch (kind) {
            case 'f' -> {
                if (size == 4) {
                    d.asFloatBuffer().get(out);
                } else if (size == 8) {
                    for (int i = 0; i < count; i++) out[i] = (float) d.getDouble(8 * i);
                } else {
                    for (int i = 0; i < count; i++) out[i] = halfToFloat(d.getShort(2 * i));
                }
            }
            case 'i' -> {
                switch (size) {
                    case 1 -> { for (int i = 0; i < count; i++) out[i] = d.get(i); }
                    case 2 -> { for (int i = 0; i < count; i++) out[i] = d.getShort(2 * i); }
                    case 4 -> { for (int i = 0; i < count; i++) out[i] = d.getInt(4 * i); }
                    default -> { for (int i = 0; i < count; i++) out[i] = d.getLong(8 * i); }
                }
            }
            case 'u' -> {
                switch (size) {
                    case 1 -> { for (int i = 0; i < count; i++) out[i] = d.get(i) & 0xFF; }
                    case 2 -> { for (int i = 0; i < count; i++) out[i] = d.getShort(2 * i) & 0xFFFF; }
                    case 4 -> { for (int i = 0; i < count; i++) out[i] = d.getInt(4 * i) & 0xFFFF_FFFFL; }
                    default -> {
                        for (int i = 0; i < count; i++) {
                            long v = d.getLong(8 * i);
                            out[i] = v >= 0 ? v : (float) ((double) (v >>> 1) * 2.0);
                        }
                    }
                }
            }
            default -> { for (int i = 0; i < count; i++) out[i] = d.get(i) != 0 ? 1f : 0f; }
        }
        return new Array(shape, out);
    }

    private static String rawValue(String header, String key, String source) {
        Matcher m = Pattern.compile("['\"]" + key + "['\"]\\s*:\\s*").matcher(header);
        if (!m.find()) {
            throw new FormatException(source + ": the .npy header has no '" + key + "': " + header.trim());
        }
        return header.substring(m.end());
    }

    private static String stringValue(String header, String key, String source) {
        String rest = rawValue(header, key, source);
        if (rest.isEmpty() || (rest.charAt(0) != '\'' && rest.charAt(0) != '"')) {
            throw new FormatException(source + ": the .npy header's '" + key + "' is not a plain dtype string"
                    + " (structured dtypes are not supported): " + header.trim());
        }
        int end = rest.indexOf(rest.charAt(0), 1);
        if (end < 0) {
            throw new FormatException(source + ": malformed .npy header: " + header.trim());
        }
        return rest.substring(1, end);
    }

    private static int[] parseShape(String header, String source) {
        String rest = rawValue(header, "shape", source);
        if (!rest.startsWith("(")) {
            throw new FormatException(source + ": malformed shape in .npy header: " + header.trim());
        }
        int end = rest.indexOf(')');
        if (end < 0) {
            throw new FormatException(source + ": malformed shape in .npy header: " + header.trim());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : rest.substring(1, end).split(",")) {
            String p = part.trim();
            if (p.endsWith("L")) {
                p = p.substring(0, p.length() - 1); // Python 2 longs
            }
            if (p.isEmpty()) {
                continue;
            }
            try {
                dims.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new FormatException(source + ": bad dimension '" + p + "' in .npy shape");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    // ------------------------------------------------------------------ write

    /** Writes a float32 C-order .npy file (format 1.0). */
    public static void write(Path file, Array array) {
        AtomicFiles.write(file, toBytes(array));
    }

    public static void write(Path file, int[] shape, float[] data) {
        write(file, new Array(shape, data));
    }

    /** The .npy bytes of a float32 array (format 1.0, header padded to a multiple of 64 bytes). */
    public static byte[] toBytes(Array array) {
        int[] shape = array.shape();
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        if (shape.length == 1) {
            s.append(',');
        }
        s.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + s + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1; // + '\n'
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        if (header.length() > 0xFFFF) {
            throw new FormatException("shape " + Arrays.toString(shape) + " makes a header too long for .npy 1.0");
        }
        float[] data = array.data();
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.asFloatBuffer().put(data);
        return b.array();
    }
}
