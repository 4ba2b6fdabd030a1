package org.neuralj.viz;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.nn.Model;
import org.neuralj.onnx.OnnxNode;
import org.neuralj.onnx.OnnxTensor;

/**
 * Learned convolution kernels as pictures. A layer's weights [O, I, kH, kW] become one tile per
 * (output, input) pair — a row per output channel — scaled up {@code zoom} times, each row scaled
 * symmetrically so that 0 is mid-grey; with 3 input channels each output channel is one RGB tile
 * (the filter as the colours it responds to).
 */
public final class Kernels {
    private Kernels() {
    }

    /** A convolution's weights: the ONNX node (or layer) name, the weight name, shape and values. */
    public record ConvWeights(String layer, String weight, int[] shape, float[] data) {
    }

    /** Every Conv of an ONNX model whose weights are an initializer, in graph order. */
    public static List<ConvWeights> of(Model model) {
        List<ConvWeights> out = new ArrayList<>();
        var init = model.onnx().graph().initializerMap();
        for (OnnxNode n : model.onnx().graph().nodes()) {
            if (n.opType().equals("Conv") && n.hasInput(1) && init.containsKey(n.input(1))) {
                OnnxTensor w = init.get(n.input(1));
                if (w.shape().length == 4) {
                    String name = n.name() == null || n.name().isEmpty() ? n.outputs().get(0) : n.name();
                    out.add(new ConvWeights(name, w.name(), w.shape(), w.toFloats()));
                }
            }
        }
        return out;
    }

    /** The montage of one layer; {@code maxInputs} limits the tiles per row for wide layers. */
    public static Montage montage(ConvWeights cw, int zoom, int maxInputs) {
        int[] s = cw.shape();
        int o = s[0], in = s[1], kh = s[2], kw = s[3], k2 = kh * kw;
        int th = kh * zoom, tw = kw * zoom;
        List<float[]> tiles = new ArrayList<>();
        float[] w = cw.data();
        if (in == 3) {
            for (int m = 0; m < o; m++) {
                float a = absMax(w, m * 3 * k2, 3 * k2);
                float[] tile = new float[3 * th * tw];
                for (int c = 0; c < 3; c++) {                                // tile[c][y][x] = w[m][c][y/zoom][x/zoom]
                    for (int y = 0; y < th; y++) {
                        for (int x = 0; x < tw; x++) {
                            tile[c * th * tw + y * tw + x] = 0.5f + 0.5f * w[(m * 3 + c) * k2 + (y / zoom) * kw + x / zoom] / a;
                        }
                    }
                }
                tiles.add(tile);
            }
            return Montage.grid(tiles, tw, th, 3, (int) Math.ceil(Math.sqrt(o)), 1, 1f);
        }
        int cols = Math.min(in, maxInputs);
        for (int m = 0; m < o; m++) {
            float a = absMax(w, m * in * k2, in * k2);
            for (int c = 0; c < cols; c++) {
                float[] tile = new float[th * tw];
                for (int y = 0; y < th; y++) {
                    for (int x = 0; x < tw; x++) {
                        tile[y * tw + x] = 0.5f + 0.5f * w[(m * in + c) * k2 + (y / zoom) * kw + x / zoom] / a;
                    }
                }
                tiles.add(tile);
            }
        }
        return Montage.grid(tiles, tw, th, 1, cols, 1, 1f);
    }

    private static float absMax(float[] w, int from, int n) {
        float a = 0;
        for (int i = from; i < from + n; i++) {
            a = Math.max(a, Math.abs(w[i]));
        }
        return a == 0 ? 1 : a;
    }
}
