package org.neuralj.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.neuralj.SharedData;
import org.neuralj.backend.Backend;
import org.neuralj.backend.Backends;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxTensor;

/**
 * Whole models on every backend: the 2-D PyTorch-converted ONNX model tests (real weights), the nine
 * "light" classic CNNs (constant weights; input arange(N)/N; expected outputs from ONNX's
 * CReferenceEvaluator) and the real bioimage.io nucleus U-Net against its own test_output.npy.
 */
class OnnxModelConformanceTest {

    @TestFactory
    Stream<DynamicTest> pytorchConverted() throws IOException {
        Path root = SharedData.require("onnx/model-tests/pytorch-converted");
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String spec : Backends.available()) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                tests.add(DynamicTest.dynamicTest(name + " on " + spec, () -> {
                    Assumptions.assumeFalse(name.contains("3d") || name.contains("3D"),
                            "3-D model test: the engine runs 1-D and 2-D convolutions and pools");
                    try (Backend b = Backends.select(spec)) {
                        assertNull(OnnxCase.run(dir, b), name + " on " + spec);
                    }
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> lightClassicCnns() throws IOException {
        Path root = SharedData.require("onnx/model-tests/light");
        List<Path> models;
        try (Stream<Path> s = Files.list(root)) {
            models = s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
        }
        assertEquals(9, models.size(), "the nine light models");
        List<DynamicTest> tests = new ArrayList<>();
        for (String spec : Backends.available()) {
            for (Path file : models) {
                String name = file.getFileName().toString().replace(".onnx", "");
                tests.add(DynamicTest.dynamicTest(name + " on " + spec, () -> {
                    Model model = Model.load(file);
                    Model.Input in = model.inputs().get(0);
                    int[] shape = new int[in.dims().length];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = (int) in.dims()[i];
                    }
                    int n = org.neuralj.backend.Tensor.elementCount(shape);
                    float[] x = new float[n];
                    for (int i = 0; i < n; i++) {
                        x[i] = (float) i / n; // arange(N).reshape(shape) / N, as the ONNX light tests define
                    }
                    OnnxTensor expected = OnnxReader.readTensor(root.resolve(name + "_output_0.pb"));
                    try (Backend b = Backends.select(spec); Session s = new Session(model, b)) {
                        HostTensor y = s.runOnHost(Map.of(in.name(), new HostTensor(shape, x))).values().iterator().next();
                        Tolerances.assertShape(expected.shape(), y.shape(), name);
                        Tolerances.assertClose(expected.toFloats(), y.data(), Tolerances.ABS, Tolerances.REL, name + " on " + spec);
                    }
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> realNucleusUnet() {
        Path dir = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        List<DynamicTest> tests = new ArrayList<>();
        for (String spec : Backends.available()) {
            tests.add(DynamicTest.dynamicTest("unet2d-nuclei-broad on " + spec, () -> {
                Model model = Model.load(dir.resolve("weights.onnx"));
                Npy.Array input = Npy.read(dir.resolve("test_input.npy"));
                Npy.Array expected = Npy.read(dir.resolve("test_output.npy"));
                float[] x = org.neuralj.image.Normalization.ZSCORE.apply(input.data());
                try (Backend b = Backends.select(spec); Session s = new Session(model, b)) {
                    HostTensor y = s.runOnHost(Map.of(model.inputs().get(0).name(), new HostTensor(input.shape(), x)))
                            .values().iterator().next();
                    float[] p = y.data().clone();
                    for (int i = 0; i < p.length; i++) {
                        p[i] = (float) (1 / (1 + Math.exp(-p[i])));
                    }
                    Tolerances.assertShape(expected.shape(), y.shape(), "U-Net output");
                    // the model card's reference: sigmoid(model((x - mean) / (std + 1e-6)))
                    Tolerances.assertClose(expected.data(), p, 1e-4f, 0f, "U-Net on " + spec);
                }
            }));
        }
        return tests.stream();
    }

}
