package org.neuralj.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.nn.Model;
import org.neuralj.onnx.OnnxGraph;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.ValueInfo;

/** Loading image models for tiling. */
public final class Models {
    private Models() {
    }

    /**
     * Loads an ONNX image model with its height and width made free (symbolic), so it runs on tiles of
     * any size: exporters (PyTorch, bioimage.io, NeuralJ's own) often write the size they were traced
     * with, although a fully convolutional network takes any size that is a multiple of its stride.
     */
    public static Model loadTileable(Path file) {
        return Model.fromOnnx(freeSpatialDims(OnnxReader.read(file)), file.getFileName().toString());
    }

    /** {@code onnx} with the last two dims of every rank-4 graph input and output symbolic ("H", "W"). */
    public static OnnxModel freeSpatialDims(OnnxModel onnx) {
        OnnxGraph g = onnx.graph();
        OnnxGraph free = new OnnxGraph(g.name(), g.nodes(), g.initializers(), relax(g.inputs(), g), relax(g.outputs(), null),
                List.of());
        return new OnnxModel(onnx.irVersion(), onnx.opsetImports(), onnx.producerName(), onnx.producerVersion(), free);
    }

    private static List<ValueInfo> relax(List<ValueInfo> values, OnnxGraph initializersOf) {
        List<ValueInfo> out = new ArrayList<>();
        for (ValueInfo v : values) {
            boolean initializer = initializersOf != null && initializersOf.initializer(v.name()) != null;
            if (!initializer && v.hasShape() && v.dims().length == 4) {
                long[] d = v.dims().clone();
                String[] p = v.dimParams() == null ? new String[4] : v.dimParams().clone();
                d[2] = -1;
                d[3] = -1;
                p[2] = "H";
                p[3] = "W";
                out.add(new ValueInfo(v.name(), v.elemType(), d, p));
            } else {
                out.add(v);
            }
        }
        return out;
    }
}
