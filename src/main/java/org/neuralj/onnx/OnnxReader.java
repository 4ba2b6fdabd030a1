package org.neuralj.onnx;

import static org.neuralj.onnx.ProtoReader.WIRE_FIXED32;
import static org.neuralj.onnx.ProtoReader.WIRE_LEN;
import static org.neuralj.onnx.ProtoReader.WIRE_VARINT;
import static org.neuralj.onnx.ProtoReader.fieldNumber;
import static org.neuralj.onnx.ProtoReader.wireType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.neuralj.onnx.OnnxFields.Attribute;
import org.neuralj.onnx.OnnxFields.Dimension;
import org.neuralj.onnx.OnnxFields.Graph;
import org.neuralj.onnx.OnnxFields.Model;
import org.neuralj.onnx.OnnxFields.Node;
import org.neuralj.onnx.OnnxFields.OperatorSetId;
import org.neuralj.onnx.OnnxFields.Shape;
import org.neuralj.onnx.OnnxFields.StringStringEntry;
import org.neuralj.onnx.OnnxFields.Tensor;
import org.neuralj.onnx.OnnxFields.TensorType;
import org.neuralj.onnx.OnnxFields.Type;

/**
 * Reads ONNX model files (ModelProto) and serialized tensors (TensorProto, e.g. the
 * {@code test_data_set_0/input_0.pb} files of the ONNX tests). Every problem with the file becomes a
 * {@link ModelFormatException} naming the file, the byte and the part being read.
 *
 * <p>Unknown fields are skipped; model-local functions (ModelProto.functions) and training info are
 * ignored; sparse initializers and segmented tensors are rejected with a clear message.
 */
public final class OnnxReader {

    /** Subgraphs (If/Loop/Scan bodies) deeper than this are rejected rather than overflowing the stack. */
    private static final int MAX_GRAPH_DEPTH = 64;

    private final String source;
    private final Path baseDir;

    private OnnxReader(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    // ------------------------------------------------------------------ entry points

    /** Reads an .onnx model; external data is resolved relative to the file's folder (and read lazily). */
    public static OnnxModel read(Path file) {
        byte[] bytes = readFile(file, "model");
        return read(bytes, file.toString(), folderOf(file));
    }

    /**
     * Reads a model from bytes. {@code sourceName} names it in error messages; {@code baseDir} is where
     * external data files are looked for (null = the working directory).
     */
    public static OnnxModel read(byte[] bytes, String sourceName, Path baseDir) {
        if (bytes.length == 0) {
            throw new ModelFormatException(sourceName + ": the file is empty (0 bytes), not an ONNX model");
        }
        OnnxReader reader = new OnnxReader(sourceName, baseDir == null ? Path.of("").toAbsolutePath() : baseDir);
        try {
            return reader.parseModel(new ProtoReader(bytes, sourceName, "ModelProto"));
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(sourceName + ": not a valid ONNX model (" + e + ")", e);
        } catch (StackOverflowError e) {
            throw new ModelFormatException(sourceName + ": messages nested too deeply; not a valid ONNX model", e);
        }
    }

    /** Reads a serialized TensorProto (an ONNX test's input_K.pb / output_K.pb). */
    public static OnnxTensor readTensor(Path file) {
        byte[] bytes = readFile(file, "tensor");
        return readTensor(bytes, file.toString(), folderOf(file));
    }

    /** Reads a serialized TensorProto from bytes; {@code sourceName} names it in errors. */
    public static OnnxTensor readTensor(byte[] bytes, String sourceName, Path baseDir) {
        if (bytes.length == 0) {
            throw new ModelFormatException(sourceName + ": the file is empty (0 bytes), not a serialized ONNX tensor");
        }
        OnnxReader reader = new OnnxReader(sourceName, baseDir == null ? Path.of("").toAbsolutePath() : baseDir);
        try {
            OnnxTensor t = reader.parseTensor(new ProtoReader(bytes, sourceName, "TensorProto"));
            return t;
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(sourceName + ": not a valid ONNX tensor (" + e + ")", e);
        }
    }

    private static Path folderOf(Path file) {
        Path abs = file.toAbsolutePath();
        return abs.getParent() != null ? abs.getParent() : abs;
    }

    private static byte[] readFile(Path file, String what) {
        if (file == null) {
            throw new ModelFormatException("no " + what + " file given");
        }
        try {
            if (Files.isDirectory(file)) {
                throw new ModelFormatException(file + ": is a folder, not an ONNX " + what + " file");
            }
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(file + ": " + size + " bytes; ONNX files over 2 GB must keep their weights"
                        + " as external data");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found", e);
        } catch (AccessDeniedException e) {
            throw new ModelFormatException(file + ": permission denied", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ messages

    private OnnxModel parseModel(ProtoReader r) {
        long irVersion = 0;
        Map<String, Long> opsets = new LinkedHashMap<>();
        String producerName = "";
        String producerVersion = "";
        OnnxGraph graph = null;
        int nOpset = 0;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case Model.IR_VERSION -> {
                    r.expectWireType(tag, WIRE_VARINT, "ir_version");
                    irVersion = r.readVarint();
                }
                case Model.PRODUCER_NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "producer_name");
                    producerName = r.readString();
                }
                case Model.PRODUCER_VERSION -> {
                    r.expectWireType(tag, WIRE_LEN, "producer_version");
                    producerVersion = r.readString();
                }
                case Model.GRAPH -> {
                    r.expectWireType(tag, WIRE_LEN, "graph");
                    graph = parseGraph(r.readMessage("ModelProto.graph"), 0);
                }
                case Model.OPSET_IMPORT -> {
                    r.expectWireType(tag, WIRE_LEN, "opset_import");
                    ProtoReader o = r.readMessage("ModelProto.opset_import[" + nOpset++ + "]");
                    String domain = "";
                    long version = 0;
                    while (o.hasMore()) {
                        int t = o.readTag();
                        switch (fieldNumber(t)) {
                            case OperatorSetId.DOMAIN -> {
                                o.expectWireType(t, WIRE_LEN, "domain");
                                domain = o.readString();
                            }
                            case OperatorSetId.VERSION -> {
                                o.expectWireType(t, WIRE_VARINT, "version");
                                version = o.readVarint();
                            }
                            default -> o.skip(wireType(t));
                        }
                    }
                    opsets.put(domain.equals("ai.onnx") ? "" : domain, version);
                }
                default -> r.skip(wireType(tag));
            }
        }
        if (graph == null) {
            throw new ModelFormatException(source + ": not an ONNX model: it has no graph (ModelProto.graph is missing)");
        }
        if (graph.outputs().isEmpty()) {
            throw new ModelFormatException(source + ": not a usable ONNX model: its graph declares no outputs");
        }
        return new OnnxModel(irVersion, opsets, producerName, producerVersion, graph);
    }

    private OnnxGraph parseGraph(ProtoReader r, int depth) {
        if (depth > MAX_GRAPH_DEPTH) {
            throw r.error("subgraphs nested more than " + MAX_GRAPH_DEPTH + " deep");
        }
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        List<OnnxTensor> inits = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        List<ValueInfo> valueInfo = new ArrayList<>();
        String ctx = r.context();
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case Graph.NODE -> {
                    r.expectWireType(tag, WIRE_LEN, "node");
                    nodes.add(parseNode(r.readMessage(ctx + ".node[" + nodes.size() + "]"), depth));
                }
                case Graph.NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "name");
                    name = r.readString();
                }
                case Graph.INITIALIZER -> {
                    r.expectWireType(tag, WIRE_LEN, "initializer");
                    inits.add(parseTensor(r.readMessage(ctx + ".initializer[" + inits.size() + "]")));
                }
                case Graph.INPUT -> {
                    r.expectWireType(tag, WIRE_LEN, "input");
                    inputs.add(parseValueInfo(r.readMessage(ctx + ".input[" + inputs.size() + "]")));
                }
                case Graph.OUTPUT -> {
                    r.expectWireType(tag, WIRE_LEN, "output");
                    outputs.add(parseValueInfo(r.readMessage(ctx + ".output[" + outputs.size() + "]")));
                }
                case Graph.VALUE_INFO -> {
                    r.expectWireType(tag, WIRE_LEN, "value_info");
                    valueInfo.add(parseValueInfo(r.readMessage(ctx + ".value_info[" + valueInfo.size() + "]")));
                }
                case 15 -> throw r.error("sparse_initializer (GraphProto field 15) is not supported;"
                        + " convert sparse initializers to dense ones");
                default -> r.skip(wireType(tag));
            }
        }
        return new OnnxGraph(name, nodes, inits, inputs, outputs, valueInfo);
    }

    private OnnxNode parseNode(ProtoReader r, int depth) {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        String domain = "";
        Map<String, OnnxAttribute> attrs = new LinkedHashMap<>();
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case Node.INPUT -> {
                    r.expectWireType(tag, WIRE_LEN, "input");
                    inputs.add(r.readString());
                }
                case Node.OUTPUT -> {
                    r.expectWireType(tag, WIRE_LEN, "output");
                    outputs.add(r.readString());
                }
                case Node.NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "name");
                    name = r.readString();
                }
                case Node.OP_TYPE -> {
                    r.expectWireType(tag, WIRE_LEN, "op_type");
                    opType = r.readString();
                }
                case Node.DOMAIN -> {
                    r.expectWireType(tag, WIRE_LEN, "domain");
                    domain = r.readString();
                }
                case Node.ATTRIBUTE -> {
                    r.expectWireType(tag, WIRE_LEN, "attribute");
                    OnnxAttribute a = parseAttribute(r.readMessage(r.context() + ".attribute[" + attrs.size() + "]"), depth);
                    if (attrs.put(a.name(), a) != null) {
                        throw r.error("attribute '" + a.name() + "' appears twice in node '" + name + "' (" + opType + ")");
                    }
                }
                default -> r.skip(wireType(tag));
            }
        }
        if (opType.isEmpty()) {
            throw r.error("node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attrs);
    }

    private OnnxAttribute parseAttribute(ProtoReader r, int depth) {
        String name = null;
        long typeCode = -1;
        Float f = null;
        Long i = null;
        byte[] s = null;
        OnnxTensor t = null;
        OnnxGraph g = null;
        ProtoReader.Floats floats = new ProtoReader.Floats();
        ProtoReader.Longs ints = new ProtoReader.Longs();
        List<byte[]> strings = new ArrayList<>();
        List<OnnxTensor> tensors = new ArrayList<>();
        List<OnnxGraph> graphs = new ArrayList<>();
        List<byte[]> opaque = new ArrayList<>();
        OnnxAttribute.Type opaqueType = null;
        String ctx = r.context();
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case Attribute.NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "name");
                    name = r.readString();
                }
                case Attribute.TYPE -> {
                    r.expectWireType(tag, WIRE_VARINT, "type");
                    typeCode = r.readVarint();
                }
                case Attribute.F -> {
                    r.expectWireType(tag, WIRE_FIXED32, "f");
                    f = r.readFloat();
                }
                case Attribute.I -> {
                    r.expectWireType(tag, WIRE_VARINT, "i");
                    i = r.readVarint();
                }
                case Attribute.S -> {
                    r.expectWireType(tag, WIRE_LEN, "s");
                    s = r.readBytes();
                }
                case Attribute.T -> {
                    r.expectWireType(tag, WIRE_LEN, "t");
                    t = parseTensor(r.readMessage(ctx + ".t"));
                }
                case Attribute.G -> {
                    r.expectWireType(tag, WIRE_LEN, "g");
                    g = parseGraph(r.readMessage(ctx + ".g"), depth + 1);
                }
                case Attribute.FLOATS -> r.readRepeatedFloat(tag, floats, "floats");
                case Attribute.INTS -> r.readRepeatedVarint(tag, ints, "ints");
                case Attribute.STRINGS -> {
                    r.expectWireType(tag, WIRE_LEN, "strings");
                    strings.add(r.readBytes());
                }
                case Attribute.TENSORS -> {
                    r.expectWireType(tag, WIRE_LEN, "tensors");
                    tensors.add(parseTensor(r.readMessage(ctx + ".tensors[" + tensors.size() + "]")));
                }
                case Attribute.GRAPHS -> {
                    r.expectWireType(tag, WIRE_LEN, "graphs");
                    graphs.add(parseGraph(r.readMessage(ctx + ".graphs[" + graphs.size() + "]"), depth + 1));
                }
                case Attribute.TP, Attribute.TYPE_PROTOS, Attribute.SPARSE_TENSOR, Attribute.SPARSE_TENSORS -> {
                    r.expectWireType(tag, WIRE_LEN, "field " + fieldNumber(tag));
                    opaque.add(r.readBytes());
                    opaqueType = switch (fieldNumber(tag)) {
                        case Attribute.TP -> OnnxAttribute.Type.TYPE_PROTO;
                        case Attribute.TYPE_PROTOS -> OnnxAttribute.Type.TYPE_PROTOS;
                        case Attribute.SPARSE_TENSOR -> OnnxAttribute.Type.SPARSE_TENSOR;
                        default -> OnnxAttribute.Type.SPARSE_TENSORS;
                    };
                }
                default -> r.skip(wireType(tag));
            }
        }
        if (name == null || name.isEmpty()) {
            throw r.error("attribute without a name");
        }
        OnnxAttribute.Type type;
        if (typeCode >= 0) {
            type = OnnxAttribute.Type.fromCode(typeCode);
            if (type == null || type == OnnxAttribute.Type.UNDEFINED) {
                throw r.error("attribute '" + name + "' has unknown type " + typeCode);
            }
        } else {
            // Files older than IR version 3 may leave out the type: infer it from the field that is set.
            type = f != null ? OnnxAttribute.Type.FLOAT : i != null ? OnnxAttribute.Type.INT
                    : s != null ? OnnxAttribute.Type.STRING : t != null ? OnnxAttribute.Type.TENSOR
                    : g != null ? OnnxAttribute.Type.GRAPH : floats.size() > 0 ? OnnxAttribute.Type.FLOATS
                    : ints.size() > 0 ? OnnxAttribute.Type.INTS : !strings.isEmpty() ? OnnxAttribute.Type.STRINGS
                    : !tensors.isEmpty() ? OnnxAttribute.Type.TENSORS : !graphs.isEmpty() ? OnnxAttribute.Type.GRAPHS
                    : opaqueType;
            if (type == null) {
                throw r.error("attribute '" + name + "' has no type and no value");
            }
        }
        return switch (type) {
            case FLOAT -> OnnxAttribute.of(name, f == null ? 0f : f);
            case INT -> OnnxAttribute.of(name, i == null ? 0L : i);
            case STRING -> OnnxAttribute.ofBytes(name, s == null ? new byte[0] : s);
            case TENSOR -> {
                if (t == null) {
                    throw r.error("attribute '" + name + "' is of type TENSOR but has no tensor");
                }
                yield OnnxAttribute.of(name, t);
            }
            case GRAPH -> {
                if (g == null) {
                    throw r.error("attribute '" + name + "' is of type GRAPH but has no graph");
                }
                yield OnnxAttribute.of(name, g);
            }
            case FLOATS -> OnnxAttribute.ofFloats(name, floats.toArray());
            case INTS -> OnnxAttribute.ofInts(name, ints.toArray());
            case STRINGS -> OnnxAttribute.ofStringBytes(name, strings);
            case TENSORS -> OnnxAttribute.ofTensors(name, tensors);
            case GRAPHS -> OnnxAttribute.ofGraphs(name, graphs);
            case SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS -> OnnxAttribute.opaque(name, type, opaque);
            case UNDEFINED -> throw r.error("attribute '" + name + "' has type UNDEFINED");
        };
    }

    private ValueInfo parseValueInfo(ProtoReader r) {
        String name = "";
        int elemType = 0;
        long[] dims = null;
        String[] params = null;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case OnnxFields.ValueInfo.NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "name");
                    name = r.readString();
                }
                case OnnxFields.ValueInfo.TYPE -> {
                    r.expectWireType(tag, WIRE_LEN, "type");
                    ProtoReader tp = r.readMessage(r.context() + ".type");
                    while (tp.hasMore()) {
                        int t = tp.readTag();
                        if (fieldNumber(t) != Type.TENSOR_TYPE) {
                            tp.skip(wireType(t)); // sequence, map, optional, sparse: not tensors
                            continue;
                        }
                        tp.expectWireType(t, WIRE_LEN, "tensor_type");
                        ProtoReader tt = tp.readMessage(tp.context() + ".tensor_type");
                        while (tt.hasMore()) {
                            int u = tt.readTag();
                            switch (fieldNumber(u)) {
                                case TensorType.ELEM_TYPE -> {
                                    tt.expectWireType(u, WIRE_VARINT, "elem_type");
                                    elemType = (int) tt.readVarint();
                                }
                                case TensorType.SHAPE -> {
                                    tt.expectWireType(u, WIRE_LEN, "shape");
                                    List<Long> d = new ArrayList<>();
                                    List<String> p = new ArrayList<>();
                                    parseShape(tt.readMessage(tt.context() + ".shape"), d, p);
                                    dims = d.stream().mapToLong(Long::longValue).toArray();
                                    params = p.toArray(new String[0]);
                                }
                                default -> tt.skip(wireType(u));
                            }
                        }
                    }
                }
                default -> r.skip(wireType(tag));
            }
        }
        return new ValueInfo(name, elemType, dims, params);
    }

    private static void parseShape(ProtoReader r, List<Long> dims, List<String> params) {
        while (r.hasMore()) {
            int tag = r.readTag();
            if (fieldNumber(tag) != Shape.DIM) {
                r.skip(wireType(tag));
                continue;
            }
            r.expectWireType(tag, WIRE_LEN, "dim");
            ProtoReader d = r.readMessage(r.context() + ".dim[" + dims.size() + "]");
            long value = -1;
            String param = null;
            while (d.hasMore()) {
                int t = d.readTag();
                switch (fieldNumber(t)) {
                    case Dimension.DIM_VALUE -> {
                        d.expectWireType(t, WIRE_VARINT, "dim_value");
                        value = d.readVarint();
                    }
                    case Dimension.DIM_PARAM -> {
                        d.expectWireType(t, WIRE_LEN, "dim_param");
                        param = d.readString();
                    }
                    default -> d.skip(wireType(t));
                }
            }
            if (param != null && param.isEmpty()) {
                param = null;
            }
            dims.add(param != null || value < 0 ? -1L : value);
            params.add(param);
        }
    }

    private OnnxTensor parseTensor(ProtoReader r) {
        ProtoReader.Longs dims = new ProtoReader.Longs();
        int typeCode = 0;
        String name = "";
        byte[] raw = null;
        ProtoReader.Floats floatData = new ProtoReader.Floats();
        ProtoReader.Longs int32Data = new ProtoReader.Longs();
        ProtoReader.Longs int64Data = new ProtoReader.Longs();
        ProtoReader.Longs doubleData = new ProtoReader.Longs();
        ProtoReader.Longs uint64Data = new ProtoReader.Longs();
        List<byte[]> strings = new ArrayList<>();
        Map<String, String> external = new LinkedHashMap<>();
        long location = Tensor.LOCATION_DEFAULT;
        while (r.hasMore()) {
            int tag = r.readTag();
            switch (fieldNumber(tag)) {
                case Tensor.DIMS -> r.readRepeatedVarint(tag, dims, "dims");
                case Tensor.DATA_TYPE -> {
                    r.expectWireType(tag, WIRE_VARINT, "data_type");
                    typeCode = (int) r.readVarint();
                }
                case Tensor.SEGMENT -> throw r.error("segmented tensors (TensorProto.segment) are not supported");
                case Tensor.FLOAT_DATA -> r.readRepeatedFloat(tag, floatData, "float_data");
                case Tensor.INT32_DATA -> r.readRepeatedVarint(tag, int32Data, "int32_data");
                case Tensor.STRING_DATA -> {
                    r.expectWireType(tag, WIRE_LEN, "string_data");
                    strings.add(r.readBytes());
                }
                case Tensor.INT64_DATA -> r.readRepeatedVarint(tag, int64Data, "int64_data");
                case Tensor.NAME -> {
                    r.expectWireType(tag, WIRE_LEN, "name");
                    name = r.readString();
                }
                case Tensor.RAW_DATA -> {
                    r.expectWireType(tag, WIRE_LEN, "raw_data");
                    raw = r.readBytes();
                }
                case Tensor.DOUBLE_DATA -> r.readRepeatedFixed64(tag, doubleData, "double_data");
                case Tensor.UINT64_DATA -> r.readRepeatedVarint(tag, uint64Data, "uint64_data");
                case Tensor.EXTERNAL_DATA -> {
                    r.expectWireType(tag, WIRE_LEN, "external_data");
                    ProtoReader e = r.readMessage(r.context() + ".external_data");
                    String key = "";
                    String value = "";
                    while (e.hasMore()) {
                        int t = e.readTag();
                        switch (fieldNumber(t)) {
                            case StringStringEntry.KEY -> {
                                e.expectWireType(t, WIRE_LEN, "key");
                                key = e.readString();
                            }
                            case StringStringEntry.VALUE -> {
                                e.expectWireType(t, WIRE_LEN, "value");
                                value = e.readString();
                            }
                            default -> e.skip(wireType(t));
                        }
                    }
                    external.put(key, value);
                }
                case Tensor.DATA_LOCATION -> {
                    r.expectWireType(tag, WIRE_VARINT, "data_location");
                    location = r.readVarint();
                }
                default -> r.skip(wireType(tag));
            }
        }
        String what = "tensor '" + name + "'";
        DataType type = DataType.fromCode(typeCode);
        if (type == null) {
            throw r.error(what + " has unknown data_type " + typeCode);
        }
        if (type == DataType.UNDEFINED) {
            throw r.error(what + " has no data_type");
        }
        long[] d = dims.toArray();
        long n = 1;
        for (long x : d) {
            if (x < 0) {
                throw r.error(what + " has a negative dimension in " + Arrays.toString(d));
            }
            try {
                n = Math.multiplyExact(n, x);
            } catch (ArithmeticException e) {
                throw r.error(what + " has too many elements: " + Arrays.toString(d));
            }
        }
        what = what + " (" + type + " " + Arrays.toString(d) + ")";

        if (location == Tensor.LOCATION_EXTERNAL) {
            return OnnxTensor.fromReader(name, type, d, null, null, externalData(r, what, external));
        }
        if (location != Tensor.LOCATION_DEFAULT) {
            throw r.error(what + " has unknown data_location " + location);
        }
        if (type == DataType.STRING) {
            if (strings.size() != n) {
                throw r.error(what + " has " + strings.size() + " strings, expected " + n);
            }
            return OnnxTensor.fromReader(name, type, d, null, strings, null);
        }
        long want = type.rawByteCount(n);
        if (raw != null) {
            if (raw.length != want) {
                throw r.error(what + " has " + raw.length + " bytes of raw_data, expected " + want);
            }
            return OnnxTensor.fromReader(name, type, d, raw, null, null);
        }
        return OnnxTensor.fromReader(name, type, d, typedToRaw(r, what, type, n, floatData, int32Data, int64Data,
                doubleData, uint64Data), null, null);
    }

    /** Converts the typed data field that {@code type} uses into raw_data layout, checking the count. */
    private static byte[] typedToRaw(ProtoReader r, String what, DataType type, long n, ProtoReader.Floats floatData,
                                     ProtoReader.Longs int32Data, ProtoReader.Longs int64Data,
                                     ProtoReader.Longs doubleData, ProtoReader.Longs uint64Data) {
        String field;
        long count;
        long expected = n;
        switch (type) {
            case FLOAT, COMPLEX64 -> { field = "float_data"; count = floatData.size(); }
            case DOUBLE, COMPLEX128 -> { field = "double_data"; count = doubleData.size(); }
            case INT64 -> { field = "int64_data"; count = int64Data.size(); }
            case UINT32, UINT64 -> { field = "uint64_data"; count = uint64Data.size(); }
            default -> { field = "int32_data"; count = int32Data.size(); }
        }
        if (type == DataType.COMPLEX64 || type == DataType.COMPLEX128) {
            expected = 2 * n;
        } else if (type.bits() == 4) {
            expected = (n + 1) / 2; // two 4-bit values packed per entry
        }
        if (count != expected) {
            if (count == 0) {
                throw r.error(what + " has no data (neither raw_data nor " + field + ")");
            }
            throw r.error(what + " has " + count + " values in " + field + ", expected " + expected);
        }
        long bytes = type.rawByteCount(n);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw r.error(what + " is too large to hold in memory");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT, COMPLEX64 -> b.asFloatBuffer().put(floatData.toArray());
            case DOUBLE, COMPLEX128 -> {
                for (long v : doubleData.toArray()) {
                    b.putLong(v);
                }
            }
            case INT64 -> b.asLongBuffer().put(int64Data.toArray());
            case UINT64 -> b.asLongBuffer().put(uint64Data.toArray());
            case UINT32 -> {
                for (long v : uint64Data.toArray()) {
                    b.putInt((int) v);
                }
            }
            case INT32 -> {
                for (long v : int32Data.toArray()) {
                    b.putInt((int) v);
                }
            }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> {
                for (long v : int32Data.toArray()) {
                    b.putShort((short) v);
                }
            }
            default -> { // 8-bit types and the 4-bit types (one packed byte per entry)
                for (long v : int32Data.toArray()) {
                    b.put((byte) v);
                }
            }
        }
        return b.array();
    }

    private OnnxTensor.ExternalData externalData(ProtoReader r, String what, Map<String, String> entries) {
        String location = entries.get("location");
        if (location == null || location.isEmpty()) {
            throw r.error(what + " has data_location EXTERNAL but no 'location' in external_data");
        }
        long offset = parseLong(r, what, entries, "offset", 0);
        long length = parseLong(r, what, entries, "length", -1);
        Path loc;
        try {
            loc = Path.of(location);
        } catch (RuntimeException e) {
            throw r.error(what + " has an invalid external data location '" + location + "'");
        }
        if (loc.isAbsolute()) {
            throw r.error(what + " has an absolute external data location '" + location
                    + "'; it must be relative to the model's folder");
        }
        Path base = baseDir.toAbsolutePath().normalize();
        Path file = base.resolve(loc).normalize();
        if (!file.startsWith(base)) {
            throw r.error(what + " has external data location '" + location + "' outside the model's folder");
        }
        return new OnnxTensor.ExternalData(location, file, offset, length, source);
    }

    private static long parseLong(ProtoReader r, String what, Map<String, String> entries, String key, long dflt) {
        String v = entries.get(key);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            long x = Long.parseLong(v.trim());
            if (x < 0) {
                throw new NumberFormatException("negative");
            }
            return x;
        } catch (NumberFormatException e) {
            throw r.error(what + " has external data " + key + " '" + v + "', not a byte count");
        }
    }
}
