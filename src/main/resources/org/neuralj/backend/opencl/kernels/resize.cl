// NeuralJ OpenCL: ONNX Resize of the last two axes of x [N, C, H, W] to [N, C, outH, outW]
// (ResizeSpec). The coordinate formulas are those of ResizeSpec.sourceCoordinate, in float32.

#define COORD_HALF_PIXEL 0
#define COORD_PYTORCH_HALF_PIXEL 1
#define COORD_ASYMMETRIC 2
#define COORD_ALIGN_CORNERS 3
#define COORD_HALF_PIXEL_SYMMETRIC 4

#define NEAREST_ROUND_PREFER_FLOOR 0
#define NEAREST_ROUND_PREFER_CEIL 1
#define NEAREST_FLOOR 2
#define NEAREST_CEIL 3

#define MODE_NEAREST 0
#define MODE_LINEAR 1
#define MODE_CUBIC 2

inline float source_coordinate(int mode, int o, int in, int out, float scale) {
    switch (mode) {
        case COORD_HALF_PIXEL: return ((float)o + 0.5f) / scale - 0.5f;
        case COORD_PYTORCH_HALF_PIXEL: return out > 1 ? ((float)o + 0.5f) / scale - 0.5f : 0.0f;
        case COORD_ASYMMETRIC: return (float)o / scale;
        case COORD_ALIGN_CORNERS: {
            // ONNX uses the unrounded resized length in * scale (not the integer output size)
            const float resized = (float)in * scale;
            return resized == 1.0f ? 0.0f : ((float)o * (float)(in - 1)) / (resized - 1.0f);
        }
        case COORD_HALF_PIXEL_SYMMETRIC: {
            const float adjustment = (float)out / (scale * (float)in);
            const float center = (float)in / 2.0f;
            const float offset = center * (1.0f - adjustment);
            return offset + ((float)o + 0.5f) / scale - 0.5f;
        }
        default: return NAN;
    }
}

inline int nearest_index(float c, int nearestMode, int in) {
    const float f = floor(c);
    const float d = c - f;
    float r;
    switch (nearestMode) {
        case NEAREST_ROUND_PREFER_FLOOR: r = d > 0.5f ? f + 1.0f : f; break;
        case NEAREST_ROUND_PREFER_CEIL: r = d >= 0.5f ? f + 1.0f : f; break;
        case NEAREST_FLOOR: r = f; break;
        default: r = ceil(c); break;
    }
    return clamp((int)r, 0, in - 1);
}

// ONNX cubic convolution weights for the neighbours floor(c)-1 .. floor(c)+2, t = c - floor(c).
inline void cubic_weights(float t, float A, float* wt) {
    const float t1 = t + 1.0f, t2 = 1.0f - t, t3 = 2.0f - t;
    wt[0] = ((A * t1 - 5.0f * A) * t1 + 8.0f * A) * t1 - 4.0f * A;
    wt[1] = ((A + 2.0f) * t - (A + 3.0f)) * t * t + 1.0f;
    wt[2] = ((A + 2.0f) * t2 - (A + 3.0f)) * t2 * t2 + 1.0f;
    wt[3] = ((A * t3 - 5.0f * A) * t3 + 8.0f * A) * t3 - 4.0f * A;
}

// The 4 cubic neighbour indices (clamped to the edge) and weights (outside ones zeroed and the rest
// renormalised when excludeOutside) along one axis.
inline void cubic_axis(float c, int in, float A, int excludeOutside, int* idx, float* wt) {
    const float f = floor(c);
    cubic_weights(c - f, A, wt);
    const int i0 = (int)f - 1;
    float total = 0.0f;
    for (int k = 0; k < 4; k++) {
        const int i = i0 + k;
        if (excludeOutside && (i < 0 || i >= in)) wt[k] = 0.0f;
        total += wt[k];
        idx[k] = clamp(i, 0, in - 1);
    }
    if (excludeOutside && total != 0.0f) {
        for (int k = 0; k < 4; k++) wt[k] /= total;
    }
}

// NEAREST and CUBIC (LINEAR has resize_linear below). MODE, COORD and NEAREST are defines (one program per
// combination): with them as run-time arguments PoCL ran the U-Net's bilinear up-sampling 5x slower (a
// switch per pixel kept it from vectorising).
// global (outW, outH, N*C)
#ifdef MODE
__kernel void resize(__global const float* x, __global float* y,
                     const int NC, const int H, const int W, const int outH, const int outW,
                     const float scaleH, const float scaleW, const float cubicA, const int excludeOutside) {
    const int mode = MODE, coordMode = COORD, nearestMode = NEAREST;
    const int ox = get_global_id(0), oy = get_global_id(1), nc = get_global_id(2);
    if (ox >= outW || oy >= outH || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    const float cy = source_coordinate(coordMode, oy, H, outH, scaleH);
    const float cx = source_coordinate(coordMode, ox, W, outW, scaleW);
    float v;
    if (mode == MODE_NEAREST) {
        v = xc[nearest_index(cy, nearestMode, H) * W + nearest_index(cx, nearestMode, W)];
    } else {
        int iy[4], ix[4];
        float wy[4], wx[4];
        cubic_axis(cy, H, cubicA, excludeOutside, iy, wy);
        cubic_axis(cx, W, cubicA, excludeOutside, ix, wx);
        v = 0.0f;
        for (int a = 0; a < 4; a++) {
            float r = 0.0f;
            for (int b = 0; b < 4; b++) r += wx[b] * xc[iy[a] * W + ix[b]];
            v += wy[a] * r;
        }
    }
    y[((size_t)nc * outH + oy) * outW + ox] = v;
}
#endif

// LINEAR (bilinear) resizing, 16 outputs of a row per work-item: the row's source rows and weight are
// worked out once, and the 16 lanes unroll (one output per work-item, PoCL took twice the CPU backend's
// time on a U-Net's up-sampling): clamped source coordinates, the two neighbours on each axis weighted by the
// distance. global (ceil(outW / 16), outH, N*C)
#ifdef COORD
__kernel void resize_linear(__global const float* x, __global float* y,
                            const int NC, const int H, const int W, const int outH, const int outW,
                            const float scaleH, const float scaleW) {
    const int ox0 = get_global_id(0) * 16, oy = get_global_id(1), nc = get_global_id(2);
    if (ox0 >= outW || oy >= outH || nc >= NC) return;
    __global const float* xc = x + (size_t)nc * H * W;
    const float py = clamp(source_coordinate(COORD, oy, H, outH, scaleH), 0.0f, (float)(H - 1));
    const int y0 = (int)floor(py), y1 = min(y0 + 1, H - 1);
    const float ty = py - (float)y0;
    __global const float* top = xc + y0 * W;
    __global const float* bottom = xc + y1 * W;
    __global float* out = y + ((size_t)nc * outH + oy) * outW;
    #pragma unroll
    for (int t = 0; t < 16; t++) {
        const int ox = min(ox0 + t, outW - 1);   // past the row's end: recompute its last output (same value)
        const float px = clamp(source_coordinate(COORD, ox, W, outW, scaleW), 0.0f, (float)(W - 1));
        const int x0 = (int)floor(px), x1 = min(x0 + 1, W - 1);
        const float tx = px - (float)x0;
        const float a = top[x0] * (1.0f - tx) + top[x1] * tx;
        const float b = bottom[x0] * (1.0f - tx) + bottom[x1] * tx;
        out[ox] = a * (1.0f - ty) + b * ty;
    }
}
#endif

// NEAREST up-sampling by whole factors FH, FW (defines) that repeats every input pixel (the host checked the
// coordinate mode gives oy / FH, ox / FW): a copy, VW outputs of a row per work-item (a define), no
// coordinate math; with the factors compiled in, the division is a shift and the copy loop unrolls (with
// them as arguments PoCL took 5x the CPU backend's time).
// global (ceil(outW / VW), outH, N*C)
#ifdef VW
__kernel void resize_repeat(__global const float* x, __global float* y, const int NC, const int H, const int W) {
    const int ox0 = get_global_id(0) * VW;
    const int oy = get_global_id(1);
    const int nc = get_global_id(2);
    const int outW = W * FW;
    if (ox0 >= outW || oy >= H * FH || nc >= NC) return;
    __global const float* row = x + ((size_t)nc * H + oy / FH) * W;
    __global float* out = y + ((size_t)nc * H * FH + oy) * outW;
    if (ox0 + VW <= outW) {
        #pragma unroll
        for (int t = 0; t < VW; t++) out[ox0 + t] = row[(ox0 + t) / FW];
    } else {
        for (int t = 0; ox0 + t < outW; t++) out[ox0 + t] = row[(ox0 + t) / FW];
    }
}
#endif
