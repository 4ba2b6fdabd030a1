package org.neuralj.train;

import java.util.List;
import org.neuralj.backend.ResizeSpec;

/**
 * Integer-factor upsampling: nearest (PyTorch "nearest": asymmetric coordinates, floor) or bilinear
 * (PyTorch align_corners=False: half-pixel). Exported as ONNX Resize with scales.
 */
public final class Upsample implements Layer {
    private final int factor;
    private final boolean bilinear;

    public Upsample(int factor, boolean bilinear) {
        this.factor = factor;
        this.bilinear = bilinear;
    }

    public static Upsample nearest(int factor) {
        return new Upsample(factor, false);
    }

    public static Upsample bilinear(int factor) {
        return new Upsample(factor, true);
    }

    @Override
    public Var forward(Tape t, Var x) {
        ResizeSpec spec = new ResizeSpec(x.dim(2) * factor, x.dim(3) * factor, factor, factor,
                bilinear ? ResizeSpec.Mode.LINEAR : ResizeSpec.Mode.NEAREST,
                bilinear ? ResizeSpec.CoordinateMode.HALF_PIXEL : ResizeSpec.CoordinateMode.ASYMMETRIC,
                ResizeSpec.NearestMode.FLOOR, -0.75f, false);
        return t.resize(x, spec);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
