package org.neuralj.backend.cpu;

/** What the CPU backend runs on in this JVM, for logs, `neuralj devices` and benchmark tables. */
public final class CpuKernels {
    private CpuKernels() {
    }

    /**
     * The SGEMM under convolutions and matrix products: the Vector API kernel (JVM started with
     * {@code --add-modules jdk.incubator.vector}) or the plain-Java loops.
     */
    public static String sgemm() {
        return Sgemm.describe();
    }

    /** The inner loops of the image-filter ops (separable, Sobel): Vector API or plain Java. */
    public static String filters() {
        return CpuFilters.describe();
    }

    /** True when the Vector API SGEMM is in use. */
    public static boolean vectorSgemm() {
        return Sgemm.vector() != null;
    }
}
