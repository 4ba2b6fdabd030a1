#!/bin/sh
# Builds target/gpu-kit, what a lent GPU machine (no network, no Java) needs for bench/gpu/run-on-device.sh: a trimmed
# Java runtime (jlink), NeuralJ's jar and runtime dependencies, the GPU benchmark's classes, the U-Net from ../shared
# and this machine's OpenCL ICD loader (used there only if the device has none). Then carry it to the device:
#   run(command="bash bench/gpu/run-on-device.sh", carry=["target/gpu-kit"])       (under 64 MiB)
set -e
cd "$(dirname "$0")/../.."
KIT=target/gpu-kit
mvn -q -B package -DskipTests
mvn -q -B test-compile
rm -rf "$KIT"
mkdir -p "$KIT/lib" "$KIT/bench-classes/org/neuralj/bench" "$KIT/shared/onnx/real-models/unet2d-nuclei-broad" "$KIT/native"
cp target/NeuralJ_-*.jar "$KIT/lib/"
mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KIT/lib"
for c in GpuBench BenchCases Zoo; do
  cp target/test-classes/org/neuralj/bench/$c*.class "$KIT/bench-classes/org/neuralj/bench/"
done
cp ../shared/onnx/real-models/unet2d-nuclei-broad/weights.onnx "$KIT/shared/onnx/real-models/unet2d-nuclei-broad/"
jlink --add-modules java.base,java.desktop,java.logging,java.xml,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$KIT/jre"
loader=$(ldconfig -p | awk '/libOpenCL\.so\.1 .*x86-64/ {print $NF; exit}')
if [ -n "$loader" ]; then cp -L "$loader" "$KIT/native/libOpenCL.so.1"; fi
du -sh "$KIT"
