package org.neuralj.onnx;

import java.nio.file.Path;
import java.util.Map;
import org.neuralj.io.AtomicFiles;

import org.neuralj.onnx.OnnxFields.Attribute;
import org.neuralj.onnx.OnnxFields.Dimension;
import org.neuralj.onnx.OnnxFields.Graph;
import org.neuralj.onnx.OnnxFields.Model;
import org.neuralj.onnx.OnnxFields.Node;
import org.neuralj.onnx.OnnxFields.OperatorSetId;
import org.neuralj.onnx.OnnxFields.Shape;
import org.neuralj.onnx.OnnxFields.Tensor;
import org.neuralj.onnx.OnnxFields.TensorType;
import org.neuralj.onnx.OnnxFields.Type;

/**
 * Writes {@link OnnxModel}s and {@link OnnxTensor}s in the ONNX protobuf format, the inverse of
 * {@link OnnxReader}. Tensor data is always written inline as raw_data (external data is read and
 * embedded), strings as string_data; repeated attribute values and dims are written unpacked, as
 * onnx.proto declares them.
 */
public final class OnnxWriter {
    private OnnxWriter() {
    }

    /** Writes the model to {@code file} (replacing it in one step: never half-written, see {@link AtomicFiles}). */
    public static void write(OnnxModel model, Path file) {
        AtomicFiles.write(file, toBytes(model));
    }

    /** Writes a serialized TensorProto (the format of the ONNX tests' input_K.pb files). */
    public static void writeTensor(OnnxTensor tensor, Path file) {
        AtomicFiles.write(file, toBytes(tensor));
    }

    public static byte[] toBytes(OnnxModel model) {
        ProtoWriter w = new ProtoWriter();
        w.writeVarintField(Model.IR_VERSION, model.irVersion());
        for (Map.Entry<String, Long> e : model.opsetImports().entrySet()) {
            ProtoWriter o = new ProtoWriter();
            o.writeStringFieldIfSet(OperatorSetId.DOMAIN, e.getKey());
            o.writeVarintField(OperatorSetId.VERSION, e.getValue());
            w.writeMessage(Model.OPSET_IMPORT, o);
        }
        w.writeStringFieldIfSet(Model.PRODUCER_NAME, model.producerName());
        w.writeStringFieldIfSet(Model.PRODUCER_VERSION, model.producerVersion());
        w.writeMessage(Model.GRAPH, graph(model.graph()));
        return w.toByteArray();
    }

    public static byte[] toBytes(OnnxTensor tensor) {
        return tensor(tensor).toByteArray();
    }

    private static ProtoWriter graph(OnnxGraph g) {
        ProtoWriter w = new ProtoWriter();
        for (OnnxNode n : g.nodes()) {
            w.writeMessage(Graph.NODE, node(n));
        }
        w.writeStringFieldIfSet(Graph.NAME, g.name());
        for (OnnxTensor t : g.initializers()) {
            w.writeMessage(Graph.INITIALIZER, tensor(t));
        }
        for (ValueInfo v : g.inputs()) {
            w.writeMessage(Graph.INPUT, valueInfo(v));
        }
        for (ValueInfo v : g.outputs()) {
            w.writeMessage(Graph.OUTPUT, valueInfo(v));
        }
        for (ValueInfo v : g.valueInfo()) {
            w.writeMessage(Graph.VALUE_INFO, valueInfo(v));
        }
        return w;
    }

    private static ProtoWriter node(OnnxNode n) {
        ProtoWriter w = new ProtoWriter();
        for (String s : n.inputs()) {
            w.writeStringField(Node.INPUT, s); // "" kept: it marks an optional input left out
        }
        for (String s : n.outputs()) {
            w.writeStringField(Node.OUTPUT, s);
        }
        w.writeStringFieldIfSet(Node.NAME, n.name());
        w.writeStringField(Node.OP_TYPE, n.opType());
        for (OnnxAttribute a : n.attributes().values()) {
            w.writeMessage(Node.ATTRIBUTE, attribute(a));
        }
        w.writeStringFieldIfSet(Node.DOMAIN, n.domain());
        return w;
    }

    private static ProtoWriter attribute(OnnxAttribute a) {
        ProtoWriter w = new ProtoWriter();
        w.writeStringField(Attribute.NAME, a.name());
        w.writeVarintField(Attribute.TYPE, a.type().code());
        switch (a.type()) {
            case FLOAT -> w.writeFloatField(Attribute.F, a.asFloat());
            case INT -> w.writeVarintField(Attribute.I, a.asLong());
            case STRING -> w.writeBytesField(Attribute.S, a.asBytes());
            case TENSOR -> w.writeMessage(Attribute.T, tensor(a.asTensor()));
            case GRAPH -> w.writeMessage(Attribute.G, graph(a.asGraph()));
            case FLOATS -> w.writeUnpackedFloats(Attribute.FLOATS, a.asFloats());
            case INTS -> w.writeUnpackedVarints(Attribute.INTS, a.asLongs());
            case STRINGS -> a.asStringBytes().forEach(b -> w.writeBytesField(Attribute.STRINGS, b));
            case TENSORS -> a.asTensors().forEach(t -> w.writeMessage(Attribute.TENSORS, tensor(t)));
            case GRAPHS -> a.asGraphs().forEach(g -> w.writeMessage(Attribute.GRAPHS, graph(g)));
            case TYPE_PROTO -> a.opaqueValues().forEach(b -> w.writeBytesField(Attribute.TP, b));
            case TYPE_PROTOS -> a.opaqueValues().forEach(b -> w.writeBytesField(Attribute.TYPE_PROTOS, b));
            case SPARSE_TENSOR -> a.opaqueValues().forEach(b -> w.writeBytesField(Attribute.SPARSE_TENSOR, b));
            case SPARSE_TENSORS -> a.opaqueValues().forEach(b -> w.writeBytesField(Attribute.SPARSE_TENSORS, b));
            case UNDEFINED -> throw new IllegalArgumentException("attribute '" + a.name() + "' has type UNDEFINED");
        }
        return w;
    }

    private static ProtoWriter tensor(OnnxTensor t) {
        ProtoWriter w = new ProtoWriter();
        w.writeUnpackedVarints(Tensor.DIMS, t.dims());
        w.writeVarintField(Tensor.DATA_TYPE, t.dataType().code());
        w.writeStringFieldIfSet(Tensor.NAME, t.name());
        if (t.dataType() == DataType.STRING) {
            for (byte[] b : t.stringBytes()) {
                w.writeBytesField(Tensor.STRING_DATA, b);
            }
        } else {
            w.writeBytesField(Tensor.RAW_DATA, t.rawData());
        }
        return w;
    }

    private static ProtoWriter valueInfo(ValueInfo v) {
        ProtoWriter w = new ProtoWriter();
        w.writeStringField(OnnxFields.ValueInfo.NAME, v.name());
        if (v.elemType() != 0 || v.hasShape()) {
            ProtoWriter tt = new ProtoWriter();
            tt.writeVarintField(TensorType.ELEM_TYPE, v.elemType());
            if (v.hasShape()) {
                long[] dims = v.dims();
                String[] params = v.dimParams();
                ProtoWriter shape = new ProtoWriter();
                for (int i = 0; i < dims.length; i++) {
                    ProtoWriter d = new ProtoWriter();
                    if (params[i] != null) {
                        d.writeStringField(Dimension.DIM_PARAM, params[i]);
                    } else if (dims[i] >= 0) {
                        d.writeVarintField(Dimension.DIM_VALUE, dims[i]);
                    }
                    shape.writeMessage(Shape.DIM, d);
                }
                tt.writeMessage(TensorType.SHAPE, shape);
            }
            ProtoWriter type = new ProtoWriter();
            type.writeMessage(Type.TENSOR_TYPE, tt);
            w.writeMessage(OnnxFields.ValueInfo.TYPE, type);
        }
        return w;
    }
}
