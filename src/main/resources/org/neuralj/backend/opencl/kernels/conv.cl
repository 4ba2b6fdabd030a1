// NeuralJ OpenCL: 2-D convolution, NCHW, with groups, stride, dilation, asymmetric pads and a fused
// bias + activation epilogue (ConvSpec). x [N, C, H, W], w [M, C/groups, kH, kW], y [N, M, outH, outW].
// Two kernels, chosen on the host by size (OpenClBackend.conv2d):
//   conv2d_general  one work-item per output: the plain reference, any size.
//   conv2d_tiled    each work-item keeps OC_TILE output channels x X_TILE x positions in registers.
#include "activation.cl"
#include "conv_args.cl"

// Every kernel here also takes a residual (after CONV_ARGS): compiled with -DRESIDUAL, each output is
// act(conv + bias + residual[the output's index]), a ResNet block's Add folded in (Backend.conv2d with a residual);
// without it the argument is not read (the host passes y).
#ifdef RESIDUAL
#define WITH_RESIDUAL(v, i) ((v) + residual[i])
#else
#define WITH_RESIDUAL(v, i) (v)
#endif
#define CONV_RES_ARGS CONV_ARGS, __global const float* residual

#ifndef OC_TILE
#define OC_TILE 8      // output channels per work-item (tiled kernel)
#endif
#ifndef X_TILE
#define X_TILE 2       // x positions per work-item, WG_X apart so neighbouring work-items read neighbouring x
#endif
#ifndef WG_X
#define WG_X 16        // work-group width of the tiled kernel (the host launches with exactly this)
#endif

// global (outW, outH, N*M); y[n][m][oy][ox] = act(bias[m] + sum_{c,ky,kx} x[n][g*Cg+c][iy][ix] * w[m][c][ky][kx])
__kernel void conv2d_general(CONV_RES_ARGS) {
    const int ox = get_global_id(0);
    const int oy = get_global_id(1);
    const int nm = get_global_id(2);
    if (ox >= outW || oy >= outH || nm >= N * M) return;
    const int n = nm / M, m = nm - n * M;
    const int Cg = C / groups, Mg = M / groups, g = m / Mg;
    float sum = hasBias ? bias[m] : 0.0f;
    for (int c = 0; c < Cg; c++) {
        __global const float* xc = x + ((size_t)(n * C + g * Cg + c)) * H * W;   // x[n][g*Cg+c]
        __global const float* wc = w + ((size_t)(m * Cg + c)) * kH * kW;        // w[m][c]
        for (int ky = 0; ky < kH; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < kW; kx++) {
                const int ix = ox * strideW - padLeft + kx * dilationW;
                if (ix < 0 || ix >= W) continue;
                sum = fma(xc[iy * W + ix], wc[ky * kW + kx], sum);
            }
        }
    }
    const size_t o = ((size_t)nm * outH + oy) * outW + ox;
    y[o] = apply_act(WITH_RESIDUAL(sum, o), act, actA, actB);
}

// Work-group (WG_X, 1, 1); global (ceil(outW / (WG_X*X_TILE)) * WG_X, outH, N * groups * ceil(Mg / OC_TILE)).
// Work-item lx of group gx computes x positions ox = gx*WG_X*X_TILE + lx + t*WG_X (t < X_TILE) of row oy
// for output channels m0 .. m0+OC_TILE-1 of one group. Padding is handled by a clamped load and a
// select (no branch per pixel); channels past the group's end compute a duplicate and are not stored.
__kernel __attribute__((reqd_work_group_size(WG_X, 1, 1)))
void conv2d_tiled(CONV_RES_ARGS) {
    const int lx = get_local_id(0);
    const int oxBase = get_group_id(0) * (WG_X * X_TILE) + lx;
    const int oy = get_global_id(1);
    const int z = get_global_id(2);
    const int Cg = C / groups, Mg = M / groups;
    const int mTiles = (Mg + OC_TILE - 1) / OC_TILE;
    const int mt = z % mTiles;
    const int ng = z / mTiles;
    const int g = ng % groups;
    const int n = ng / groups;
    const int mFirst = g * Mg + mt * OC_TILE;   // first output channel of this tile
    const int mLast = g * Mg + Mg - 1;          // last channel of the group
    const int kHW = kH * kW;
    const int wStrideM = Cg * kHW;              // distance between w[m][..] and w[m+1][..]

    int wOff[OC_TILE];                          // w[min(m, mLast)][0][0][0]
    for (int j = 0; j < OC_TILE; j++) wOff[j] = min(mFirst + j, mLast) * wStrideM;
    int ix0[X_TILE];                            // input x of kx = 0
    for (int t = 0; t < X_TILE; t++) ix0[t] = (oxBase + t * WG_X) * strideW - padLeft;

    float acc[OC_TILE][X_TILE];
    for (int j = 0; j < OC_TILE; j++)
        for (int t = 0; t < X_TILE; t++) acc[j][t] = 0.0f;

    for (int c = 0; c < Cg; c++) {
        __global const float* xc = x + ((size_t)(n * C + g * Cg + c)) * H * W;   // x[n][g*Cg+c]
        const int wc = c * kHW;
        for (int ky = 0; ky < kH; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;        // a whole row of the window is padding
            __global const float* row = xc + iy * W;
            for (int kx = 0; kx < kW; kx++) {
                float xv[X_TILE];
                for (int t = 0; t < X_TILE; t++) {
                    const int ix = ix0[t] + kx * dilationW;
                    const float v = row[clamp(ix, 0, W - 1)];
                    xv[t] = (ix >= 0 && ix < W) ? v : 0.0f;
                }
                const int wk = wc + ky * kW + kx;
                for (int j = 0; j < OC_TILE; j++) {
                    const float wv = w[wOff[j] + wk];
                    for (int t = 0; t < X_TILE; t++) acc[j][t] = fma(wv, xv[t], acc[j][t]);
                }
            }
        }
    }

    for (int j = 0; j < OC_TILE; j++) {
        const int m = mFirst + j;
        if (m > mLast) break;
        const float b = hasBias ? bias[m] : 0.0f;
        const size_t row = (((size_t)(n * M + m)) * outH + oy) * outW;
        for (int t = 0; t < X_TILE; t++) {
            const int ox = oxBase + t * WG_X;
            if (ox < outW) y[row + ox] = apply_act(WITH_RESIDUAL(acc[j][t] + b, row + ox), act, actA, actB);
        }
    }
}

// ---- conv2d_vec: explicit vectors along x (for CPU drivers such as PoCL and for GPUs alike) ------
// Work-item (v * mTiles + mt, oy, n * groups + g) computes VW consecutive x positions ox = v*VW .. v*VW+VW-1
// of row oy for the VEC_OC output channels of tile mt of group g, as VEC_OC vectors of VW floats. Rows
// inside the image load with one unaligned vload; the few vectors that touch the left/right padding (or
// strideW > 1) gather lane by lane with a select (narrow images come with the padding made real: PADDED_X).
// global (ceil(outW / VW) * mTiles, outH, N * groups), mTiles = ceil(Mg / VEC_OC).
// The loops over the VEC_OC channels are unrolled on purpose: PoCL's compiler left them rolled, so acc[]
// lived in memory and every FMA loaded and stored its accumulator (the U-Net at 512^2 ran 1.9x slower).
// The weights come packed (pack_conv_vec_weights): the VEC_OC weights of one tap side by side, so one
// pointer serves all channels (with one pointer per channel the U-Net's convs ran 1.35x slower on PoCL).

#ifndef VW
#define VW 8           // vector width along x: 4, 8 or 16
#endif
#ifndef VEC_OC
#define VEC_OC 8       // output channels per work-item (conv2d_vec; the host passes its own)
#endif

// The activation compiled in (-DVEC_ACT=code): with it a run-time argument the epilogue evaluated its
// switch for each of the VEC_OC * VW outputs, as long as the multiply-adds of a 16-channel layer.
#ifdef VEC_ACT
#define VEC_ACT_OF(runtime) VEC_ACT
#else
#define VEC_ACT_OF(runtime) (runtime)
#endif

#if VW != 4 && VW != 8 && VW != 16
#error "VW must be 4, 8 or 16"
#endif
#if VW == 16
typedef float16 floatv;
#define VLOAD vload16
#define VSTORE vstore16
#elif VW == 4
typedef float4 floatv;
#define VLOAD vload4
#define VSTORE vstore4
#else
typedef float8 floatv;
#define VLOAD vload8
#define VSTORE vstore8
#endif

// VW inputs p[2t] (t < VW): a stride-2 row's lanes from two contiguous loads (rows padded by the host: PADDED_X2)
inline floatv load_even(__global const float* p) {
    const floatv a = VLOAD(0, p), b = VLOAD(0, p + VW);
    return (floatv)(a.even, b.even);
}

// VW inputs row[ix + t*step] (t < VW), 0 outside [0, W)
inline floatv load_lanes(__global const float* row, int ix, int step, int W) {
    if (step == 1 && ix >= 0 && ix + VW <= W) return VLOAD(0, row + ix);
    float v[VW];
    for (int t = 0; t < VW; t++) {
        const int i = ix + t * step;
        const float r = row[clamp(i, 0, W - 1)];
        v[t] = (i >= 0 && i < W) ? r : 0.0f;
    }
    return VLOAD(0, v);
}

// Where work-item (v * mTiles + mt, oy, n * groups + g) of conv2d_vec and conv2d_lanes works: XS x positions from
// ox0 of row oy for the OC output channels of tile mt (mFirst ..., at most to mLast) of group g, image n, and that
// tile's packed weights wTile ([c][ky][kx][OC], pack_conv_vec_weights). The channel tiles of one x position are
// neighbours in dimension 0, so they run one after another on a CPU driver and share the input rows in cache
// (ResNet-18 b1 on PoCL 36-40 -> 33 ms, a 1x1 conv 12.9 -> 11.0). Returns from the kernel past the output.
#define CONV_TILE_PLACE(OC, XS)                                                          \
    const int Cg = C / groups, Mg = M / groups;                                          \
    const int mTiles = (Mg + (OC) - 1) / (OC);                                           \
    const int mt = get_global_id(0) % mTiles;                                            \
    const int ox0 = get_global_id(0) / mTiles * (XS);                                    \
    const int ng = get_global_id(2);                                                     \
    const int oy = get_global_id(1);                                                     \
    if (ox0 >= outW || oy >= outH) return;                                               \
    const int g = ng % groups;                                                           \
    const int n = ng / groups;                                                           \
    if (n >= N) return;                                                                  \
    const int mFirst = g * Mg + mt * (OC);                                               \
    const int mLast = g * Mg + Mg - 1;                                                   \
    const int kHW = kH * kW;                                                             \
    __global const float* wTile = w + (size_t)(g * mTiles + mt) * Cg * kHW * (OC);

__kernel void conv2d_vec(CONV_RES_ARGS) {
    CONV_TILE_PLACE(VEC_OC, VW)
    const int ixBase = ox0 * strideW - padLeft;

    floatv acc[VEC_OC];
    #pragma unroll
    for (int j = 0; j < VEC_OC; j++) acc[j] = (floatv)(0.0f);

    for (int c = 0; c < Cg; c++) {
        __global const float* xc = x + ((size_t)(n * C + g * Cg + c)) * H * W;   // x[n][g*Cg+c]
        const int wc = c * kHW;
        for (int ky = 0; ky < kH; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;
            __global const float* row = xc + iy * W;
            for (int kx = 0; kx < kW; kx++) {
#ifdef PADDED_X   // x's rows padded by the host (pad_rows): every vector lies inside its row
                const floatv xv = VLOAD(0, row + ixBase + kx * dilationW);
#elif defined(PADDED_X2)   // the same for a stride of 2: two vectors' even lanes
                const floatv xv = load_even(row + ixBase + kx * dilationW);
#else
                const floatv xv = load_lanes(row, ixBase + kx * dilationW, strideW, W);
#endif
                __global const float* wk = wTile + (wc + ky * kW + kx) * VEC_OC;
                #pragma unroll
                for (int j = 0; j < VEC_OC; j++) acc[j] = fma((floatv)(wk[j]), xv, acc[j]);
            }
        }
    }

    #pragma unroll
    for (int j = 0; j < VEC_OC; j++) {
        const int m = mFirst + j;
        if (m > mLast) break;
        const float b = hasBias ? bias[m] : 0.0f;
        const size_t row = (((size_t)(n * M + m)) * outH + oy) * outW;
        __global float* yrow = y + row;
        float v[VW];
        VSTORE(acc[j] + (floatv)(b), 0, v);
        if (ox0 + VW <= outW) {
            #pragma unroll
            for (int t = 0; t < VW; t++) v[t] = apply_act(WITH_RESIDUAL(v[t], row + ox0 + t), VEC_ACT_OF(act), actA, actB);
            VSTORE(VLOAD(0, v), 0, yrow + ox0);
        } else {
            for (int t = 0; t < VW && ox0 + t < outW; t++)
                yrow[ox0 + t] = apply_act(WITH_RESIDUAL(v[t], row + ox0 + t), VEC_ACT_OF(act), actA, actB);
        }
    }
}

// ---- conv2d_lanes: output channels in the vector lanes (narrow images on CPU drivers) ----------------
// Work-item (v * mTiles + mt, oy, n * groups + g) computes LP consecutive x positions ox = v*LP .. v*LP+LP-1 of
// row oy for the 16 output channels of tile mt: LP vectors of 16 channels, each input pixel broadcast against
// the 16 packed weights of a tap (pack_conv_vec_weights with VEC_OC = 16). For a ResNet's 7- and 14-wide maps
// conv2d_vec's x vectors are 8 lanes of AVX-512's 16 (7 used); here every lane works. x comes with its rows
// padded by the host (every read inside its row, positions past outW computed and dropped).
// global (ceil(outW / LP) * mTiles, outH, N * groups), mTiles = ceil(Mg / 16).
#ifndef LP
#define LP 7           // output x positions per work-item (conv2d_lanes)
#endif
#ifndef LANE_STRIDE
#define LANE_STRIDE 1  // the convolution's column stride, compiled in
#endif

// the kernel's size, compiled in where the host gives it (-DCONV_KH=.. -DCONV_KW=..): the tap loops then unroll
// (in conv2d_vec it made no difference on PoCL)
#ifdef CONV_KH
#define TAPS_H CONV_KH
#define TAPS_W CONV_KW
#else
#define TAPS_H kH
#define TAPS_W kW
#endif

__kernel void conv2d_lanes(CONV_RES_ARGS) {
    CONV_TILE_PLACE(16, LP)
    const int ixBase = ox0 * LANE_STRIDE - padLeft;

    float16 acc[LP];
    #pragma unroll
    for (int t = 0; t < LP; t++) acc[t] = (float16)(0.0f);

    for (int c = 0; c < Cg; c++) {
        __global const float* xc = x + ((size_t)(n * C + g * Cg + c)) * H * W;   // x[n][g*Cg+c]
        const int wc = c * kHW;
        for (int ky = 0; ky < TAPS_H; ky++) {
            const int iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= H) continue;
            __global const float* row = xc + iy * W + ixBase;
            #pragma unroll
            for (int kx = 0; kx < TAPS_W; kx++) {
                const float16 wv = vload16(0, wTile + (wc + ky * TAPS_W + kx) * 16);
                __global const float* px = row + kx * dilationW;
                #pragma unroll
                for (int t = 0; t < LP; t++) acc[t] = fma((float16)(px[t * LANE_STRIDE]), wv, acc[t]);
            }
        }
    }

    for (int t = 0; t < LP && ox0 + t < outW; t++) {
        float v[16];
        vstore16(acc[t], 0, v);
        for (int j = 0; j < 16 && mFirst + j <= mLast; j++) {
            const int m = mFirst + j;
            const float b = hasBias ? bias[m] : 0.0f;
            const size_t o = (((size_t)(n * M + m)) * outH + oy) * outW + ox0 + t;
            y[o] = apply_act(WITH_RESIDUAL(v[j] + b, o), VEC_ACT_OF(act), actA, actB);
        }
    }
}

// Weights w [M, Cg, kH, kW] packed for conv2d_vec: wp[((g * mTiles + mt) * Cg + c) * kHW + t][j] = weight of
// output channel g * Mg + mt * VEC_OC + j (0 past the group's last channel). global (mTiles * VEC_OC * Cg * kHW, groups)
__kernel void pack_conv_vec_weights(__global const float* w, __global float* wp, const int Mg, const int Cg, const int kHW,
                                    const int mTiles) {
    const int i = get_global_id(0), g = get_global_id(1);
    const int perTile = Cg * kHW * VEC_OC;
    if (i >= mTiles * perTile) return;
    const int mt = i / perTile, ct = (i % perTile) / VEC_OC, j = i % VEC_OC;
    const int m = mt * VEC_OC + j;
    wp[(size_t)g * mTiles * perTile + i] = m < Mg ? w[((size_t)(g * Mg + m)) * Cg * kHW + ct] : 0.0f;
}
