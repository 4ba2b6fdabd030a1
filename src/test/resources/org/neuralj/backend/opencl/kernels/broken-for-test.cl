// Deliberately broken kernel source for ClFaultTest: the build must fail and its log reach the user.
__kernel void broken(__global float* y) {
    y[get_global_id(0)] = not_declared_anywhere * 2.0f;
}
