// NeuralJ OpenCL: the argument list of every convolution kernel (conv2d_general, conv2d_tiled, conv2d_vec in
// conv.cl, conv_transpose2d, depthwise_conv2d): OpenClBackend sets these arguments in this order, whichever
// kernel it picks, so they are written once here. Included with #include "conv_args.cl" (see activation.cl).
#ifndef NEURALJ_CONV_ARGS_CL
#define NEURALJ_CONV_ARGS_CL

#define CONV_ARGS __global const float* x, __global const float* w, __global const float* bias, __global float* y, \
                  const int N, const int C, const int H, const int W, const int M, const int kH, const int kW, \
                  const int outH, const int outW, const int strideH, const int strideW, const int padTop, const int padLeft, \
                  const int dilationH, const int dilationW, const int groups, \
                  const int hasBias, const int act, const float actA, const float actB

#endif
