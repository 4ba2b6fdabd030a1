// NeuralJ OpenCL: reductions over any set of axes, one work-item per output element.
// The output index is split over the kept dimensions kd0..kd5 (right-aligned, `keptRank` used) with the
// input strides ks*; the reduced index space (rd*, input strides rs*, right-aligned, `redRank` used) is
// walked as an odometer. Empty reductions give 0 (SUM, SUM_SQUARE), NaN (MEAN), -inf (MAX), +inf (MIN).

#ifndef RANK_MAX
#define RANK_MAX 6
#endif

#define RED_SUM 0
#define RED_MEAN 1
#define RED_MAX 2
#define RED_MIN 3
#define RED_SUM_SQUARE 4
#define RED_ARGMAX 5
#define RED_ARGMIN 6

// global (outCount)
__kernel void reduce(__global const float* x, __global float* y, const int outCount, const int op,
                     const int keptRank,
                     const int kd0, const int kd1, const int kd2, const int kd3, const int kd4, const int kd5,
                     const int ks0, const int ks1, const int ks2, const int ks3, const int ks4, const int ks5,
                     const int redRank, const int redCount,
                     const int rd0, const int rd1, const int rd2, const int rd3, const int rd4, const int rd5,
                     const int rs0, const int rs1, const int rs2, const int rs3, const int rs4, const int rs5) {
    const int id = get_global_id(0);
    if (id >= outCount) return;
    const int kd[RANK_MAX] = {kd0, kd1, kd2, kd3, kd4, kd5};
    const int ks[RANK_MAX] = {ks0, ks1, ks2, ks3, ks4, ks5};
    const int rd[RANK_MAX] = {rd0, rd1, rd2, rd3, rd4, rd5};
    const int rs[RANK_MAX] = {rs0, rs1, rs2, rs3, rs4, rs5};
    int base = 0, rest = id;
    for (int k = RANK_MAX - 1; k >= RANK_MAX - keptRank; k--) {
        const int q = rest / kd[k];
        base += (rest - q * kd[k]) * ks[k];
        rest = q;
    }
    int idx[RANK_MAX] = {0, 0, 0, 0, 0, 0};
    float acc = (op == RED_MAX || op == RED_ARGMAX) ? -INFINITY
              : (op == RED_MIN || op == RED_ARGMIN) ? INFINITY : 0.0f;
    int best = 0;
    int off = base;
    for (int r = 0; r < redCount; r++) {
        const float v = x[off];
        switch (op) {
            case RED_SUM: case RED_MEAN: acc += v; break;
            case RED_SUM_SQUARE: acc = fma(v, v, acc); break;
            case RED_MAX: acc = (v > acc || isnan(v)) ? v : acc; break;
            case RED_MIN: acc = (v < acc || isnan(v)) ? v : acc; break;
            case RED_ARGMAX: if (v > acc || r == 0) { acc = v; best = r; } break;
            case RED_ARGMIN: if (v < acc || r == 0) { acc = v; best = r; } break;
        }
        // advance the odometer over the reduced dimensions
        for (int k = RANK_MAX - 1; k >= RANK_MAX - redRank; k--) {
            off += rs[k];
            if (++idx[k] < rd[k]) break;
            off -= rs[k] * rd[k];
            idx[k] = 0;
        }
    }
    float out;
    if (op == RED_MEAN) out = acc / (float)redCount;
    else if (op == RED_ARGMAX || op == RED_ARGMIN) out = (float)best;
    else out = acc;
    y[id] = out;
}
