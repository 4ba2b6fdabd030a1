package org.neuralj.viz;

import java.util.Map;
import java.util.Set;
import org.neuralj.backend.Tensor;
import org.neuralj.nn.Session;
import org.neuralj.train.Tape;
import org.neuralj.train.Var;

/**
 * The activations of one layer for one image: {@code data[c][y][x]} for the first image of the batch
 * (a 2-D value [N, K] counts as K channels of 1 x 1). Slice labels are {@code layer/channel}.
 */
public record FeatureMaps(String layer, int channels, int height, int width, float[] data) {

    public String label(int channel) {
        return layer + "/" + channel;
    }

    public float[] channel(int c) {
        float[] p = new float[height * width];
        System.arraycopy(data, c * p.length, p, 0, p.length);
        return p;
    }

    /** The value named {@code value} (an ONNX value name) for the model's one input {@code x}, from the engine's own run. */
    public static FeatureMaps of(Session session, Tensor x, String value) {
        String in = session.model().inputs().get(0).name();
        Map<String, Tensor> r = session.run(Map.of(in, x), Set.of(value));
        try {
            return of(value, session.backend().download(r.get(value)), r.get(value).shape());
        } finally {
            r.values().forEach(Tensor::close);
        }
    }

    /** The value at {@code point} of a tape network for input x. */
    public static FeatureMaps of(TapNet net, Tensor x, String point) {
        String p = net.point(point);
        FeatureMaps[] found = new FeatureMaps[1];
        try (Tape t = new Tape(net.backend(), Tape.EVAL)) {
            net.forward(t, t.input(x), (name, v) -> {
                if (name.equals(p)) {
                    found[0] = of(p, v.download(), v.shape());
                }
                return v;
            });
        }
        return found[0];
    }

    static FeatureMaps of(String name, float[] all, int[] s) {
        int channels = s.length >= 2 ? s[1] : all.length;
        int h = s.length >= 4 ? s[2] : 1;
        int w = s.length >= 4 ? s[3] : s.length == 3 ? s[2] : 1;
        float[] first = new float[channels * h * w];
        System.arraycopy(all, 0, first, 0, first.length);
        return new FeatureMaps(name, channels, h, w, first);
    }
}
