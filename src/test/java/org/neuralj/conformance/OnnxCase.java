package org.neuralj.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.neuralj.backend.Backend;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxTensor;

/**
 * One ONNX backend test folder (model.onnx + test_data_set_0/input_K.pb, output_K.pb, as the ONNX
 * project ships them; expected outputs come from ONNX's reference implementation) run on a backend.
 */
final class OnnxCase {
    private OnnxCase() {
    }

    /** Runs the case; returns null when every output matches, else what differs. */
    static String run(Path dir, Backend backend) throws IOException {
        Model model = Model.load(dir.resolve("model.onnx"));
        Path data = dir.resolve("test_data_set_0");
        List<OnnxTensor> inputs = read(data, "input_");
        List<OnnxTensor> expected = read(data, "output_");
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        for (int i = 0; i < model.inputs().size(); i++) {
            OnnxTensor t = inputs.get(i);
            feed.put(model.inputs().get(i).name(), new HostTensor(t.shape(), t.toFloats()));
        }
        Map<String, HostTensor> out;
        try (Session session = new Session(model, backend).acceptNonFinite()) {
            out = session.runOnHost(feed);
        }
        List<String> names = model.outputNames();
        StringBuilder problems = new StringBuilder();
        for (int i = 0; i < expected.size(); i++) {
            HostTensor got = out.get(names.get(i));
            OnnxTensor want = expected.get(i);
            if (!java.util.Arrays.equals(got.shape(), want.shape())) {
                problems.append("output ").append(names.get(i)).append(": shape ")
                        .append(java.util.Arrays.toString(got.shape())).append(" != expected ")
                        .append(java.util.Arrays.toString(want.shape())).append("; ");
                continue;
            }
            String p = Tolerances.compare(want.toFloats(), got.data(), Tolerances.ABS, Tolerances.REL);
            if (p != null) {
                problems.append("output ").append(names.get(i)).append(": ").append(p).append("; ");
            }
        }
        return problems.length() == 0 ? null : problems.toString();
    }

    static List<OnnxTensor> read(Path dir, String prefix) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".pb"))
                    .sorted((a, b) -> Integer.compare(index(a, prefix), index(b, prefix))).toList();
        }
        List<OnnxTensor> tensors = new ArrayList<>();
        for (Path p : files) {
            tensors.add(OnnxReader.readTensor(p));
        }
        return tensors;
    }

    private static int index(Path p, String prefix) {
        String name = p.getFileName().toString();
        return Integer.parseInt(name.substring(prefix.length(), name.length() - 3));
    }
}
