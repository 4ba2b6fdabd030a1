// NeuralJ OpenCL: (log-)softmax along one axis, x viewed as [outer, n, inner]; numerically stable
// (subtracts the maximum). One work-item per (outer, inner) column.

// global (outer*inner)
__kernel void softmax(__global const float* x, __global float* y,
                      const int outer, const int n, const int inner, const int logSoftmax) {
    const int id = get_global_id(0);
    if (id >= outer * inner) return;
    const int o = id / inner, k = id - o * inner;
    const size_t base = (size_t)o * n * inner + k;     // x[o][0][k]
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = fmax(mx, x[base + (size_t)i * inner]);
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += exp(x[base + (size_t)i * inner] - mx);
    if (logSoftmax) {
        const float ls = log(sum);   // (x - max) - log(sum): x - max is exact near the maximum
        for (int i = 0; i < n; i++) y[base + (size_t)i * inner] = (x[base + (size_t)i * inner] - mx) - ls;
    } else {
        const float inv = 1.0f / sum;
        for (int i = 0; i < n; i++) y[base + (size_t)i * inner] = exp(x[base + (size_t)i * inner] - mx) * inv;
    }
}
