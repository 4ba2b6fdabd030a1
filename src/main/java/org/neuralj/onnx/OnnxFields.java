package org.neuralj.onnx;

/**
 * The ONNX protobuf field numbers this package reads or writes, written down from the ONNX schema
 * (only the fields the engine needs; every other field is skipped on read). Grouped by message.
 */
public final class OnnxFields {
    private OnnxFields() {
    }

    /** ModelProto: the file's top-level message. */
    public static final class Model {
        public static final int IR_VERSION = 1;        // int64
        public static final int PRODUCER_NAME = 2;     // string
        public static final int PRODUCER_VERSION = 3;  // string
        public static final int DOMAIN = 4;            // string (ignored)
        public static final int MODEL_VERSION = 5;     // int64 (ignored)
        public static final int DOC_STRING = 6;        // string (ignored)
        public static final int GRAPH = 7;             // GraphProto
        public static final int OPSET_IMPORT = 8;      // repeated OperatorSetIdProto
        public static final int FUNCTIONS = 25;        // repeated FunctionProto (ignored: model-local functions)

        private Model() {
        }
    }

    /** OperatorSetIdProto. */
    public static final class OperatorSetId {
        public static final int DOMAIN = 1;   // string, "" or "ai.onnx" = the default operator set
        public static final int VERSION = 2;  // int64

        private OperatorSetId() {
        }
    }

    /** GraphProto. */
    public static final class Graph {
        public static final int NODE = 1;         // repeated NodeProto
        public static final int NAME = 2;         // string
        public static final int INITIALIZER = 5;  // repeated TensorProto
        public static final int DOC_STRING = 10;  // string (ignored)
        public static final int INPUT = 11;       // repeated ValueInfoProto
        public static final int OUTPUT = 12;      // repeated ValueInfoProto
        public static final int VALUE_INFO = 13;  // repeated ValueInfoProto

        private Graph() {
        }
    }

    /** NodeProto. */
    public static final class Node {
        public static final int INPUT = 1;      // repeated string ("" = optional input left out)
        public static final int OUTPUT = 2;     // repeated string
        public static final int NAME = 3;       // string
        public static final int OP_TYPE = 4;    // string
        public static final int ATTRIBUTE = 5;  // repeated AttributeProto
        public static final int DOC_STRING = 6; // string (ignored)
        public static final int DOMAIN = 7;     // string

        private Node() {
        }
    }

    /** AttributeProto. */
    public static final class Attribute {
        public static final int NAME = 1;            // string
        public static final int F = 2;               // float
        public static final int I = 3;               // int64
        public static final int S = 4;               // bytes
        public static final int T = 5;               // TensorProto
        public static final int G = 6;               // GraphProto
        public static final int FLOATS = 7;          // repeated float
        public static final int INTS = 8;            // repeated int64
        public static final int STRINGS = 9;         // repeated bytes
        public static final int TENSORS = 10;        // repeated TensorProto
        public static final int GRAPHS = 11;         // repeated GraphProto
        public static final int DOC_STRING = 13;     // string (ignored)
        public static final int TP = 14;             // TypeProto (kept as opaque bytes)
        public static final int TYPE_PROTOS = 15;    // repeated TypeProto (opaque)
        public static final int TYPE = 20;           // AttributeType enum
        public static final int REF_ATTR_NAME = 21;  // string (only inside functions)
        public static final int SPARSE_TENSOR = 22;  // SparseTensorProto (opaque)
        public static final int SPARSE_TENSORS = 23; // repeated SparseTensorProto (opaque)

        private Attribute() {
        }
    }

    /** ValueInfoProto. */
    public static final class ValueInfo {
        public static final int NAME = 1;  // string
        public static final int TYPE = 2;  // TypeProto

        private ValueInfo() {
        }
    }

    /** TypeProto (a oneof; only tensor_type is read). */
    public static final class Type {
        public static final int TENSOR_TYPE = 1;  // TypeProto.Tensor

        private Type() {
        }
    }

    /** TypeProto.Tensor. */
    public static final class TensorType {
        public static final int ELEM_TYPE = 1;  // int32 (a DataType code)
        public static final int SHAPE = 2;      // TensorShapeProto (absent = rank unknown)

        private TensorType() {
        }
    }

    /** TensorShapeProto. */
    public static final class Shape {
        public static final int DIM = 1;  // repeated Dimension

        private Shape() {
        }
    }

    /** TensorShapeProto.Dimension (a oneof of value and param). */
    public static final class Dimension {
        public static final int DIM_VALUE = 1;  // int64
        public static final int DIM_PARAM = 2;  // string (symbolic, e.g. "batch")

        private Dimension() {
        }
    }

    /** TensorProto. */
    public static final class Tensor {
        public static final int DIMS = 1;           // repeated int64
        public static final int DATA_TYPE = 2;      // int32 (a DataType code)
        public static final int SEGMENT = 3;        // Segment (rejected: segmented tensors are not supported)
        public static final int FLOAT_DATA = 4;     // repeated float (FLOAT, COMPLEX64)
        public static final int INT32_DATA = 5;     // repeated int32 (INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16, FLOAT8*, INT4/UINT4)
        public static final int STRING_DATA = 6;    // repeated bytes (STRING)
        public static final int INT64_DATA = 7;     // repeated int64 (INT64)
        public static final int NAME = 8;           // string
        public static final int RAW_DATA = 9;       // bytes, little-endian, any numeric type
        public static final int DOUBLE_DATA = 10;   // repeated double (DOUBLE, COMPLEX128)
        public static final int UINT64_DATA = 11;   // repeated uint64 (UINT32, UINT64)
        public static final int DOC_STRING = 12;    // string (ignored)
        public static final int EXTERNAL_DATA = 13; // repeated StringStringEntryProto (location, offset, length, checksum)
        public static final int DATA_LOCATION = 14; // enum: 0 DEFAULT, 1 EXTERNAL

        public static final int LOCATION_DEFAULT = 0;
        public static final int LOCATION_EXTERNAL = 1;

        private Tensor() {
        }
    }

    /** StringStringEntryProto. */
    public static final class StringStringEntry {
        public static final int KEY = 1;    // string
        public static final int VALUE = 2;  // string

        private StringStringEntry() {
        }
    }
}
