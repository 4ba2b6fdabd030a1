package org.neuralj.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.neuralj.nn.Model;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxReader;

/**
 * The benchmarks' whole-model cases, free of ONNX Runtime so the GPU benchmark ({@link GpuBench}) runs where its jar
 * is not carried: the real U-Net from {@code shared}, ResNet-18 ({@link Zoo}) and the shipped models.
 */
final class BenchCases {
    private BenchCases() {
    }

    /** One benchmark case: an ONNX model, its input, and its FLOPs (2 per multiply-add). */
    record Case(String name, OnnxModel onnx, String input, int[] shape, float[] data, double gflop, boolean layer) {
    }

    /**
     * The U-Net at 512² (and 2048² unless {@code quick}; skipped, saying so, without {@code shared}), ResNet-18 at batch
     * 1 and 32, and the shipped nuclei, blood-cell and blob models at the sizes the commands run them.
     */
    static List<Case> models(Path shared, boolean quick, Random r) throws IOException {
        List<Case> cases = new ArrayList<>();
        Path unet = shared.resolve("onnx/real-models/unet2d-nuclei-broad/weights.onnx");
        if (Files.exists(unet)) {
            OnnxModel m = Zoo.anySize(OnnxReader.read(unet));
            String in = m.graph().inputs().get(0).name();
            List<Integer> sizes = new ArrayList<>(List.of(512));
            if (!quick) {
                sizes.add(2048);
            }
            for (int size : sizes) {
                int[] shape = {1, 1, size, size};
                double gflop = Model.fromOnnx(m, "unet").flops(Map.of(in, shape)) / 1e9;
                cases.add(new Case("U-Net (unet2d-nuclei-broad) " + size + "²", m, in, shape, gaussian(r, size * size), gflop, false));
            }
        } else {
            System.out.println("skipping the U-Net: " + unet + " is absent");
        }
        for (int batch : List.of(1, 32)) {
            OnnxModel rn = Zoo.resnet18(224);
            int[] shape = {batch, 3, 224, 224};
            double gflop = Model.fromOnnx(rn, "resnet18").flops(Map.of("input", shape)) / 1e9;
            cases.add(new Case("ResNet-18 224², batch " + batch, rn, "input", shape, gaussian(r, batch * 3 * 224 * 224), gflop, false));
        }
        // the shipped models at the sizes the commands run them (nuclei: its 512² tile; blood cells: a batch of crops)
        for (String[] m : new String[][] {{"nuclei", "1", "512", "1"}, {"blood-cells", "3", "64", "32"}, {"blob-detector", "1", "512", "1"}}) {
            OnnxModel om = OnnxReader.read(Path.of("sample-data/models", m[0] + ".onnx"));
            String in = om.graph().inputs().get(0).name();
            int ch = Integer.parseInt(m[1]), side = Integer.parseInt(m[2]), batch = Integer.parseInt(m[3]);
            int[] shape = {batch, ch, side, side};
            double gflop = Model.fromOnnx(om, m[0]).flops(Map.of(in, shape)) / 1e9;
            cases.add(new Case("shipped " + m[0] + " " + side + "², batch " + batch, om, in, shape, gaussian(r, batch * ch * side * side), gflop, false));
        }
        return cases;
    }

    static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
