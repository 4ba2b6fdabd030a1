package org.neuralj.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neuralj.backend.NeuralJException;
import org.neuralj.onnx.DataType;
import org.neuralj.onnx.OnnxModel;
import org.neuralj.onnx.OnnxReader;
import org.neuralj.onnx.OnnxTensor;

/**
 * Transfer learning from a model trained by NeuralJ (or any ONNX file whose initializers carry the same
 * parameter names): a freshly built network takes every weight whose name and shape match an
 * initializer of the source model; the rest (typically a new head for a different number of classes)
 * keeps its random initialisation. Chosen layers can then be frozen by name prefix.
 */
public final class Transfer {
    /**
     * What {@link #loadMatching} did.
     *
     * @param loaded      parameters taken from the source model
     * @param fresh       parameters with no initializer of that name in the source (left as initialised)
     * @param reshaped    parameters whose source initializer has another shape (left as initialised: a new head)
     */
    public record Report(List<String> loaded, List<String> fresh, List<String> reshaped) {
        public String summary() {
            return loaded.size() + " parameters loaded" + (reshaped.isEmpty() ? "" : ", " + reshaped.size() + " re-initialised (other shape: "
                    + String.join(", ", reshaped) + ")") + (fresh.isEmpty() ? "" : ", " + fresh.size() + " new (" + String.join(", ", fresh) + ")");
        }
    }

    private Transfer() {
    }

    /** Loads matching initializers of the ONNX file {@code source} into {@code params}. */
    public static Report loadMatching(List<Parameter> params, Path source) {
        return loadMatching(params, OnnxReader.read(source), source.toString());
    }

    public static Report loadMatching(List<Parameter> params, OnnxModel source, String sourceName) {
        Map<String, OnnxTensor> inits = initializers(source);
        List<String> loaded = new ArrayList<>(), fresh = new ArrayList<>(), reshaped = new ArrayList<>();
        for (Parameter p : params) {
            OnnxTensor t = inits.get(p.name());
            if (t == null) {
                fresh.add(p.name());
            } else if (!Arrays.equals(t.shape(), p.shape())) {
                reshaped.add(p.name() + " " + Arrays.toString(t.shape()) + " -> " + Arrays.toString(p.shape()));
            } else {
                p.load(t.toFloats());
                loaded.add(p.name());
            }
        }
        if (loaded.isEmpty()) {
            throw new NeuralJException(sourceName + ": none of its initializers matches a parameter of the network by name and shape "
                    + "(is it a model trained by NeuralJ with the same architecture?)");
        }
        return new Report(loaded, fresh, reshaped);
    }

    /**
     * Freezes every parameter whose name starts with one of {@code prefixes} followed by '.' (or equals it);
     * returns the names frozen. A prefix that matches nothing is an error (a typo would silently train all).
     */
    public static List<String> freeze(List<Parameter> params, List<String> prefixes) {
        List<String> frozen = new ArrayList<>();
        for (String prefix : prefixes) {
            boolean any = false;
            for (Parameter p : params) {
                if (p.name().equals(prefix) || p.name().startsWith(prefix + ".")) {
                    p.freeze(true);
                    frozen.add(p.name());
                    any = true;
                }
            }
            if (!any) {
                TreeSet<String> layers = new TreeSet<>();
                params.forEach(p -> layers.add(p.name().contains(".") ? p.name().substring(0, p.name().indexOf('.')) : p.name()));
                throw new NeuralJException("--freeze " + prefix + ": no layer of that name; the network's layers are " + layers);
            }
        }
        return frozen;
    }

    /** The shape of a NeuralJ small ResNet classifier: {channels, base, stages, classes}, read from its initializers. */
    public static int[] resnetShape(OnnxModel m, String sourceName) {
        Map<String, OnnxTensor> inits = initializers(m);
        OnnxTensor stem = require(inits, "stem.weight", sourceName, "a NeuralJ classifier");
        OnnxTensor fc = require(inits, "fc.weight", sourceName, "a NeuralJ classifier");
        int stages = count(inits, Pattern.compile("stage(\\d+)\\.c1\\.weight"));
        return new int[] {stem.shape()[1], stem.shape()[0], stages, fc.shape()[1]};
    }

    /** The shape of a NeuralJ residual U-Net: {channels, base, depth, outputs}, read from its initializers. */
    public static int[] unetShape(OnnxModel m, String sourceName) {
        Map<String, OnnxTensor> inits = initializers(m);
        OnnxTensor first = require(inits, "down0.c1.weight", sourceName, "a NeuralJ segmentation U-Net");
        OnnxTensor head = require(inits, "head.weight", sourceName, "a NeuralJ segmentation U-Net");
        int depth = count(inits, Pattern.compile("down(\\d+)\\.c1\\.weight"));
        return new int[] {first.shape()[1], first.shape()[0], depth, head.shape()[0]};
    }

    private static Map<String, OnnxTensor> initializers(OnnxModel m) {
        Map<String, OnnxTensor> byName = new HashMap<>();
        for (OnnxTensor t : m.graph().initializers()) {
            if (t.dataType() == DataType.FLOAT) {
                byName.put(t.name(), t);
            }
        }
        return byName;
    }

    private static OnnxTensor require(Map<String, OnnxTensor> inits, String name, String sourceName, String what) {
        OnnxTensor t = inits.get(name);
        if (t == null) {
            throw new NeuralJException(sourceName + " is not " + what + " (it has no initializer '" + name
                    + "'); transfer learning starts from models trained by NeuralJ");
        }
        return t;
    }

    private static int count(Map<String, OnnxTensor> inits, Pattern p) {
        int n = 0;
        for (String name : inits.keySet()) {
            Matcher m = p.matcher(name);
            if (m.matches()) {
                n = Math.max(n, Integer.parseInt(m.group(1)) + 1);
            }
        }
        return n;
    }
}
