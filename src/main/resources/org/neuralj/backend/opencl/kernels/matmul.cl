// NeuralJ OpenCL: batched matrix product with numpy batch broadcasting.
// a [..., M, K] x b [..., K, N] -> y [..., M, N]. The batch index z is split over the output batch
// shape bd0..bd3 (right-aligned, `batchRank` used); a and b are found through their batch strides
// (0 where they broadcast). Tiles of TILE x TILE of a and b are staged in local memory.

#ifndef TILE
#define TILE 16
#endif

// work-group (TILE, TILE, 1); global (roundUp(N, TILE), roundUp(M, TILE), batch)
__kernel __attribute__((reqd_work_group_size(TILE, TILE, 1)))
void matmul(__global const float* a, __global const float* b, __global float* y,
            const int M, const int N, const int K, const int batchRank,
            const int bd0, const int bd1, const int bd2, const int bd3,
            const int as0, const int as1, const int as2, const int as3,
            const int bs0, const int bs1, const int bs2, const int bs3) {
    __local float As[TILE][TILE];        // As[row][k]
    __local float Bs[TILE][TILE + 1];    // Bs[k][col]
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int col = get_global_id(0), row = get_global_id(1);
    const int z = get_global_id(2);
    const int bd[4] = {bd0, bd1, bd2, bd3};
    const int as[4] = {as0, as1, as2, as3};
    const int bs[4] = {bs0, bs1, bs2, bs3};
    size_t aOff = 0, bOff = 0;
    int rest = z;
    for (int k = 3; k >= 4 - batchRank; k--) {
        const int q = rest / bd[k];
        const int c = rest - q * bd[k];
        rest = q;
        aOff += (size_t)c * as[k];
        bOff += (size_t)c * bs[k];
    }
    __global const float* A = a + aOff;
    __global const float* B = b + bOff;
    float sum = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        const int ka = k0 + lx, kb = k0 + ly;
        As[ly][lx] = (row < M && ka < K) ? A[(size_t)row * K + ka] : 0.0f;
        Bs[ly][lx] = (kb < K && col < N) ? B[(size_t)kb * N + col] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TILE; k++) sum = fma(As[ly][k], Bs[k][lx], sum);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < M && col < N) y[(size_t)z * M * N + (size_t)row * N + col] = sum;
}

// Matrix x vector, a [M, K] x b [K, 1] -> y [M] (a dense layer on one image: the Gemm of a classifier's
// head arrives as W x a^T): a work-item per row, 16 products at a time. Through the tiled kernel above,
// 15 of its 16 columns idle, ResNet-18's 1000 x 512 head took 13 ms on PoCL. global (M)
__kernel void matvec(__global const float* a, __global const float* b, __global float* y, const int M, const int K) {
    const int m = get_global_id(0);
    if (m >= M) return;
    __global const float* row = a + (size_t)m * K;
    float16 acc = (float16)(0.0f);
    int k = 0;
    for (; k + 16 <= K; k += 16) acc = fma(vload16(0, row + k), vload16(0, b + k), acc);
    float sum = 0.0f;
    for (; k < K; k++) sum = fma(row[k], b[k], sum);
    const float8 h8 = acc.lo + acc.hi;
    const float4 h4 = h8.lo + h8.hi;
    const float2 h2 = h4.lo + h4.hi;
    y[m] = h2.x + h2.y + sum;
}
