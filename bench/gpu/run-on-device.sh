#!/bin/bash
# On a lent GPU machine, from the repository root, with target/gpu-kit carried (bench/gpu/make-kit.sh): lists the
# OpenCL devices and runs org.neuralj.bench.GpuBench; RESULTS-gpu.md, the log, the device list and the tuned
# work-group shapes land in $OUT (or bench/ when $OUT is unset). Copy RESULTS-gpu.md to bench/ in the repository.
set -u
KIT=target/gpu-kit
OUTDIR=${OUT:-bench}
mkdir -p "$OUTDIR"
(nvidia-smi -L 2>&1 || true) | head -4
# OpenCL: the system's ICD loader, else the kit's; an ICD file for NVIDIA's driver if the driver left none
if ! ldconfig -p | grep -q 'libOpenCL\.so\.1'; then
  export LD_LIBRARY_PATH="$PWD/$KIT/native${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ ! -d /etc/OpenCL/vendors ] || [ -z "$(ls /etc/OpenCL/vendors 2>/dev/null)" ]; then
  lib=$(ldconfig -p | awk '/libnvidia-opencl\.so\.1/ {print $NF; exit}')
  if [ -n "$lib" ]; then
    mkdir -p /tmp/neuralj-icd && echo "$lib" > /tmp/neuralj-icd/nvidia.icd
    export OCL_ICD_VENDORS=/tmp/neuralj-icd
  fi
fi
# signal chaining, as bin/neuralj does (PoCL and some drivers install handlers of their own)
if [ -f "$KIT/jre/lib/libjsig.so" ]; then export LD_PRELOAD="$PWD/$KIT/jre/lib/libjsig.so"; fi
CP="$KIT/bench-classes:$(ls "$KIT"/lib/*.jar | tr '\n' ':')"
JAVA=("$KIT/jre/bin/java" --add-modules jdk.incubator.vector -Djava.awt.headless=true)
"${JAVA[@]}" -cp "$CP" org.neuralj.cli.Main devices 2>&1 | grep -v "^WARNING" | tee "$OUTDIR/devices.txt"
"${JAVA[@]}" -Xmx24g -Dneuralj.shared="$KIT/shared" -Dbench.out="$OUTDIR/RESULTS-gpu.md" \
  -Dneuralj.opencl.tuningDir="$OUTDIR/opencl-tuning" -cp "$CP" org.neuralj.bench.GpuBench 2>&1 | grep -v "^WARNING" | tee "$OUTDIR/gpu-bench.log"
