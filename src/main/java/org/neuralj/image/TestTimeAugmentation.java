package org.neuralj.image;

import org.neuralj.backend.NeuralJException;
import org.neuralj.nn.HostTensor;

/**
 * Test-time augmentation: runs a tile through the network in 2, 4 or 8 of the square's symmetries
 * (identity, mirror left-right, mirror top-bottom, half turn, then the four with rows and columns
 * swapped), maps each output back and averages the raw outputs. A segmentation network is not exactly
 * equivariant to these, so the mean is smoother and usually scores better, at 2-8x the run time.
 * Rows and columns are swapped only with a height equal to the width or a fully convolutional network
 * (tiles are), so any tile works.
 */
final class TestTimeAugmentation implements Tiler.TileModel {

    /** How many symmetries may be asked for. */
    static boolean valid(int transforms) {
        return transforms == 1 || transforms == 2 || transforms == 4 || transforms == 8;
    }

    private final Tiler.TileModel model;
    private final int transforms;

    private TestTimeAugmentation(Tiler.TileModel model, int transforms) {
        this.model = model;
        this.transforms = transforms;
    }

    /** {@code model} itself for 1 transform, else a model averaging over {@code transforms} symmetries. */
    static Tiler.TileModel wrap(Tiler.TileModel model, int transforms) {
        if (!valid(transforms)) {
            throw new NeuralJException("test-time augmentation takes 1, 2, 4 or 8 transforms, not " + transforms);
        }
        return transforms == 1 ? model : new TestTimeAugmentation(model, transforms);
    }

    @Override
    public HostTensor run(float[] input, int channels, int height, int width) {
        float[] sum = null;
        int[] shape = null;
        for (int t = 0; t < transforms; t++) {
            boolean swap = t >= 4;
            boolean flipX = (t & 1) != 0;
            boolean flipY = (t & 2) != 0;
            int h = swap ? width : height;
            int w = swap ? height : width;
            float[] x = transform(input, channels, height, width, flipX, flipY, swap);
            HostTensor out = model.run(x, channels, h, w);
            int k = out.shape()[1];
            if (out.shape()[2] != h || out.shape()[3] != w) {
                throw new NeuralJException("test-time augmentation needs an output of the input's size; the model gave "
                        + java.util.Arrays.toString(out.shape()));
            }
            // the inverse: swap back first (the forward swapped last), then undo the flips
            float[] back = swap ? transform(out.data(), k, h, w, false, false, true) : out.data();
            back = flipX || flipY ? transform(back, k, height, width, flipX, flipY, false) : back;
            if (sum == null) {
                sum = back == out.data() ? back.clone() : back;
                shape = new int[] {1, k, height, width};
            } else {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += back[i];
                }
            }
        }
        float inv = 1f / transforms;
        for (int i = 0; i < sum.length; i++) {
            sum[i] *= inv;
        }
        return new HostTensor(shape, sum);
    }

    /**
     * {@code a} [c][h][w] mirrored (columns when flipX, rows when flipY), then with rows and columns swapped
     * when {@code swap} (the result is [c][w][h]).
     */
    static float[] transform(float[] a, int c, int h, int w, boolean flipX, boolean flipY, boolean swap) {
        float[] r = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            for (int y = 0; y < h; y++) {
                int sy = flipY ? h - 1 - y : y;
                for (int x = 0; x < w; x++) {
                    int sx = flipX ? w - 1 - x : x;
                    float v = a[base + sy * w + sx];
                    r[base + (swap ? x * h + y : y * w + x)] = v;
                }
            }
        }
        return r;
    }

    @Override
    public boolean fallBackToCpu(NeuralJException e, String tried) {
        return model.fallBackToCpu(e, tried);
    }

    @Override
    public int tileLimit() {
        return model.tileLimit();
    }

    @Override
    public void limitTiles(int side) {
        model.limitTiles(side);
    }
}
