package org.neuralj.train.task;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Tensor;
import org.neuralj.image.Normalization;
import org.neuralj.image.NormalizationStats;
import org.neuralj.train.Layer;
import org.neuralj.train.Tape;
import org.neuralj.train.data.Augment;
import org.neuralj.train.data.ObjectCores;
import org.neuralj.train.data.Sample;

/**
 * A fixed set of crops of the validation images (the same every epoch, no augmentation) for a cheap
 * per-epoch foreground Dice: what the live plot shows and early stopping watches. The full tiled,
 * instance-level evaluation runs once at the end on the whole images.
 */
final class ValidationCrops {
    private static final int BATCH = 4;
    private final List<float[]> images = new ArrayList<>();
    private final List<float[]> masks = new ArrayList<>();
    private final int size;

    ValidationCrops(List<Sample> validation, int size, long seed, boolean cores, Normalization normalization) {
        this.size = size;
        Random r = new Random(seed);
        for (Sample s : validation) {
            NormalizationStats st = NormalizationStats.of(normalization, s.pixels());
            float[][] v = Augment.NONE.segmentationCrop(s, size, st.offset(), st.scale(), r,
                    cores ? ObjectCores.of(s.labels(), s.width(), s.height()) : null);
            images.add(v[0]);
            masks.add(v[1]);
        }
    }

    /** Foreground Dice of the network (evaluation mode, channel 0 thresholded at probability 0.5) over all crops. */
    double dice(Layer net, Backend b, int channels) {
        long both = 0, predicted = 0, truth = 0;
        int plane = size * size;
        for (int from = 0; from < images.size(); from += BATCH) {
            int n = Math.min(BATCH, images.size() - from);
            float[] x = new float[n * channels * plane];
            for (int i = 0; i < n; i++) {
                System.arraycopy(images.get(from + i), 0, x, i * channels * plane, channels * plane);
            }
            float[] z;
            try (Tensor xt = b.upload(x, n, channels, size, size); Tape t = new Tape(b, Tape.EVAL)) {
                z = net.forward(t, t.input(xt)).download();
            }
            int outputs = z.length / (n * plane);
            for (int i = 0; i < n; i++) {
                float[] m = masks.get(from + i);
                for (int p = 0; p < plane; p++) {
                    boolean pred = z[i * outputs * plane + p] > 0; // logit > 0 <=> sigmoid > 0.5
                    boolean gt = m[p] > 0.5f;
                    if (pred) {
                        predicted++;
                    }
                    if (gt) {
                        truth++;
                    }
                    if (pred && gt) {
                        both++;
                    }
                }
            }
        }
        return predicted + truth == 0 ? 1.0 : 2.0 * both / (predicted + truth);
    }
}
