package org.neuralj.train.task;

import java.util.ArrayList;
import java.util.List;
import org.neuralj.train.Act;
import org.neuralj.train.BatchNorm2d;
import org.neuralj.train.Conv2d;
import org.neuralj.train.Dense;
import org.neuralj.train.Flatten;
import org.neuralj.train.GlobalAvgPool;
import org.neuralj.train.Init;
import org.neuralj.train.Layer;
import org.neuralj.train.Parameter;
import org.neuralj.train.Pool2d;
import org.neuralj.train.Residual;
import org.neuralj.train.Sequential;
import org.neuralj.train.Tape;
import org.neuralj.train.Upsample;
import org.neuralj.train.Var;

/** The networks the training commands build: a residual U-Net for segmentation, a small ResNet for classification. */
public final class Nets {
    private Nets() {
    }

    /** conv3-BN-ReLU-conv3-BN + shortcut (1x1 conv when the shape changes), then ReLU. */
    static Layer block(Init init, String name, int in, int out, int stride) {
        Layer body = new Sequential(new Conv2d(init, name + ".c1", in, out, 3, stride, 1, 1, 1, false), new BatchNorm2d(init, name + ".bn1", out),
                Act.relu(), new Conv2d(init, name + ".c2", out, out, 3, 1, 1, 1, 1, false), new BatchNorm2d(init, name + ".bn2", out));
        Layer shortcut = in == out && stride == 1 ? null
                : new Sequential(new Conv2d(init, name + ".sc", in, out, 1, stride, 0, 1, 1, false), new BatchNorm2d(init, name + ".scbn", out));
        return new Residual(body, shortcut, Act.relu());
    }

    /**
     * A U-Net with residual blocks: {@code depth} max-pool levels (stride 2^depth), {@code base}
     * channels at the top doubling per level, nearest up-sampling and skip concatenation, a 1x1 head with
     * {@code outputs} logits.
     */
    public static final class UNet implements Layer {
        private final List<Layer> down = new ArrayList<>();
        private final List<Layer> up = new ArrayList<>();
        private final Layer bottom;
        private final Layer head;
        private final int depth;

        public UNet(Init init, int channels, int base, int depth, int outputs) {
            this.depth = depth;
            int c = channels;
            for (int l = 0; l < depth; l++) {
                int o = base << l;
                down.add(block(init, "down" + l, c, o, 1));
                c = o;
            }
            bottom = block(init, "bottom", c, base << depth, 1);
            int below = base << depth;
            for (int l = depth - 1; l >= 0; l--) {
                int o = base << l;
                up.add(block(init, "up" + l, below + o, o, 1));
                below = o;
            }
            head = new Conv2d(init, "head", base, outputs, 1);
        }

        public int stride() {
            return 1 << depth;
        }

        @Override
        public Var forward(Tape t, Var x) {
            List<Var> skips = new ArrayList<>();
            Var v = x;
            Pool2d pool = Pool2d.max(2);
            for (Layer d : down) {
                v = d.forward(t, v);
                skips.add(v);
                v = pool.forward(t, v);
            }
            v = bottom.forward(t, v);
            Upsample us = Upsample.nearest(2);
            for (int k = 0; k < depth; k++) {
                Var skip = skips.get(depth - 1 - k);
                v = up.get(k).forward(t, t.concat(List.of(skip, us.forward(t, v)), 1));
            }
            return head.forward(t, v);
        }

        @Override
        public List<Parameter> parameters() {
            List<Parameter> p = new ArrayList<>();
            down.forEach(l -> p.addAll(l.parameters()));
            p.addAll(bottom.parameters());
            up.forEach(l -> p.addAll(l.parameters()));
            p.addAll(head.parameters());
            return p;
        }
    }

    /** A small ResNet: conv-BN-ReLU stem, max pool, residual blocks halving the size, global average pool, dense. */
    public static Sequential resnet(Init init, int channels, int base, int stages, int classes) {
        List<Layer> l = new ArrayList<>();
        l.add(new Conv2d(init, "stem", channels, base, 3, 1, 1, 1, 1, false));
        l.add(new BatchNorm2d(init, "stem.bn", base));
        l.add(Act.relu());
        l.add(Pool2d.max(2));
        int c = base;
        for (int s = 0; s < stages; s++) {
            int o = base << (s + 1);
            l.add(block(init, "stage" + s, c, o, 2));
            c = o;
        }
        l.add(new GlobalAvgPool());
        l.add(new Flatten());
        l.add(new Dense(init, "fc", c, classes));
        return new Sequential(l);
    }
}
