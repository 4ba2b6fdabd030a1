package org.neuralj.train.task;

import java.util.HashMap;
import java.util.Map;

/**
 * Segmentation scores, the DSB2018 / StarDist convention: foreground Dice; instances matched one to one
 * at IoU above a threshold (IoU > 0.5 makes matches unique), AP = TP / (TP + FP + FN), F1 = 2TP / (2TP +
 * FP + FN), mean AP over IoU 0.5, 0.55, ..., 0.95. Counts add up over images ({@link Counts#add}).
 */
public final class Metrics {
    private Metrics() {
    }

    public static final double[] THRESHOLDS = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    /** Summed counts over images: foreground overlap and, per IoU threshold, TP / FP / FN. */
    public static final class Counts {
        long inter, sumTrue, sumPred;
        final long[] tp = new long[THRESHOLDS.length];
        final long[] fp = new long[THRESHOLDS.length];
        final long[] fn = new long[THRESHOLDS.length];
        int images;

        public void add(int[] truth, int[] pred) {
            images++;
            Map<Long, Integer> pairs = new HashMap<>();
            Map<Integer, Integer> areaT = new HashMap<>();
            Map<Integer, Integer> areaP = new HashMap<>();
            for (int i = 0; i < truth.length; i++) {
                int t = truth[i], p = pred[i];
                if (t != 0) {
                    sumTrue++;
                    areaT.merge(t, 1, Integer::sum);
                }
                if (p != 0) {
                    sumPred++;
                    areaP.merge(p, 1, Integer::sum);
                }
                if (t != 0 && p != 0) {
                    inter++;
                    pairs.merge(((long) t << 32) | p, 1, Integer::sum);
                }
            }
            for (int k = 0; k < THRESHOLDS.length; k++) {
                int matched = 0;
                for (Map.Entry<Long, Integer> e : pairs.entrySet()) {
                    int t = (int) (e.getKey() >>> 32), p = (int) (long) e.getKey();
                    double iou = e.getValue() / (double) (areaT.get(t) + areaP.get(p) - e.getValue());
                    if (iou > THRESHOLDS[k]) {
                        matched++;
                    }
                }
                tp[k] += matched;
                fp[k] += areaP.size() - matched;
                fn[k] += areaT.size() - matched;
            }
        }

        /** Adds another set of counts (e.g. a thread's share of the images) to these. */
        public void addAll(Counts o) {
            inter += o.inter;
            sumTrue += o.sumTrue;
            sumPred += o.sumPred;
            for (int k = 0; k < THRESHOLDS.length; k++) {
                tp[k] += o.tp[k];
                fp[k] += o.fp[k];
                fn[k] += o.fn[k];
            }
            images += o.images;
        }

        public double dice() {
            return sumTrue + sumPred == 0 ? 1 : 2.0 * inter / (sumTrue + sumPred);
        }

        public double ap(int k) {
            long d = tp[k] + fp[k] + fn[k];
            return d == 0 ? 1 : tp[k] / (double) d;
        }

        public double f1(int k) {
            long d = 2 * tp[k] + fp[k] + fn[k];
            return d == 0 ? 1 : 2.0 * tp[k] / d;
        }

        public double meanAp() {
            double s = 0;
            for (int k = 0; k < THRESHOLDS.length; k++) {
                s += ap(k);
            }
            return s / THRESHOLDS.length;
        }

        public int images() {
            return images;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("images", images);
            m.put("dice", dice());
            m.put("ap50", ap(0));
            m.put("f1_50", f1(0));
            m.put("mean_ap_50_95", meanAp());
            m.put("true_objects", tp[0] + fn[0]);
            m.put("predicted_objects", tp[0] + fp[0]);
            return m;
        }
    }
}
