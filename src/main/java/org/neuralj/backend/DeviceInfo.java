package org.neuralj.backend;

/** One OpenCL device as listed by {@code neuralj devices}; {@code index} is what {@code opencl:N} selects. */
public record DeviceInfo(int index, String platform, String name, String vendor, String type,
                         int computeUnits, long globalMemoryBytes, long maxAllocationBytes, String version) {

    @Override
    public String toString() {
        return String.format("opencl:%d  %s  [%s, %s, %d compute units, %d MiB, %s]", index, name, platform, type,
                computeUnits, globalMemoryBytes >> 20, version);
    }
}
