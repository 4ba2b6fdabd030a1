package org.neuralj.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neuralj.backend.NeuralJException;

/**
 * A bioimage.io model package (a folder with {@code rdf.yaml} or {@code bioimageio.yaml}, description
 * format 0.4 or 0.5), read with the safe {@link BioimageYaml} and mapped onto what NeuralJ's Segment
 * path uses: the ONNX weights (checked against their sha256), a {@link ModelCard} (input channels,
 * tile and stride from the input's size rule, halo from the output's, the output's kind), and the
 * input's pre-processing and the output's post-processing ({@link BioimageProcessing}), which replace
 * the card's normalisation. Only what NeuralJ can run is accepted: one 2-D input with axes
 * {@code bcyx} (1 or 3 channels), an output of the input's size, ONNX weights inside the package;
 * anything else is refused naming the file and the field.
 *
 * @param description the rdf.yaml / bioimageio.yaml
 * @param name        the package's id (or 0.4 nickname), else its folder's name
 * @param weights     the ONNX weights file
 * @param channels    input channels
 * @param tile        the tile side its input size rule suggests (0: NeuralJ's default)
 * @param stride      the step of its input size rule (0: from the graph)
 * @param halo        the output's halo (the largest over y and x)
 * @param output      "probability" when post-processing ends in sigmoid or binarize or the output's
 *                    declared range is [0, 1], else "raw"
 * @param testInput   the package's test input (.npy), or null
 * @param testOutput  the package's expected output for it (.npy), or null
 */
public record BioimageModel(Path description, String name, Path weights, int channels, BioimageProcessing preprocessing,
                            BioimageProcessing postprocessing, int tile, int stride, int halo, String output, String license,
                            String trainingData, Path testInput, Path testOutput) {

    /** The file names a package's description may have. */
    public static final List<String> DESCRIPTIONS = List.of("rdf.yaml", "bioimageio.yaml");

    /** True when {@code p} is a package folder (with a description) or a .yaml / .yml file. */
    public static boolean isPackage(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml")) || Files.isDirectory(p) && descriptionIn(p) != null;
    }

    private static Path descriptionIn(Path dir) {
        for (String n : DESCRIPTIONS) {
            if (Files.isRegularFile(dir.resolve(n))) {
                return dir.resolve(n);
            }
        }
        try (var files = Files.list(dir)) {
            List<Path> named = files.filter(f -> f.getFileName().toString().endsWith(".bioimageio.yaml")).toList();
            return named.size() == 1 ? named.get(0) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Reads the package in folder {@code p}, or the description file {@code p}. */
    public static BioimageModel read(Path p) {
        Path file = Files.isDirectory(p) ? descriptionIn(p) : p;
        if (file == null) {
            throw new NeuralJException(p + " is not a bioimage.io model package: no " + String.join(" or ", DESCRIPTIONS) + " in it");
        }
        Object root = BioimageYaml.read(file);
        if (!(root instanceof Map<?, ?> m)) {
            throw new NeuralJException(file + ": a bioimage.io description is a mapping");
        }
        return new Reader(file, m).model();
    }

    /** The card NeuralJ's Segment path reads: normalisation NONE (the pre-processing does it). */
    public ModelCard card(ModelCard.Task task) {
        ModelCard.Task t = task == null ? ModelCard.Task.SEGMENTATION : task;
        if (t == ModelCard.Task.CLASSIFICATION) {
            throw new NeuralJException(description + ": a bioimage.io model with an image output cannot be used to classify");
        }
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("data", trainingData == null ? "see " + description.getFileName() : trainingData);
        training.put("licence", license == null ? "see " + description.getFileName() : license);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("bioimageio", description.toString());
        extra.put("preprocessing", preprocessing.describe());
        extra.put("postprocessing", postprocessing.describe());
        String model = description.toAbsolutePath().getParent().relativize(weights.toAbsolutePath()).toString();
        return new ModelCard(name, t, model, "bcyx", channels, Normalization.NONE, 0, output, List.of("background", "foreground"),
                0.5, tile, halo, stride, training, Map.of(), extra);
    }

    /** The image plane after the package's pre-processing. */
    public PlaneSource preprocess(PlaneSource src) {
        return preprocessing.apply(src);
    }

    /** The tile model with the package's post-processing applied to each output tile. */
    public Tiler.TileModel postprocess(Tiler.TileModel model) {
        return postprocessing.apply(model);
    }

    /** Walks one description; every error names the file and the field. */
    private static final class Reader {
        private final Path file;
        private final Path folder;
        private final Map<?, ?> root;

        Reader(Path file, Map<?, ?> root) {
            this.file = file;
            this.folder = file.toAbsolutePath().normalize().getParent();
            this.root = root;
        }

        BioimageModel model() {
            Object type = root.get("type");
            if (type != null && !type.equals("model")) {
                throw fail("type", "is '" + type + "'; NeuralJ runs bioimage.io models");
            }
            String version = String.valueOf(root.get("format_version"));
            boolean v04 = version.startsWith("0.4");
            if (!v04 && !version.startsWith("0.5")) {
                throw fail("format_version", "is " + version + "; NeuralJ reads the formats 0.4 and 0.5");
            }
            List<?> inputs = list(root.get("inputs"), "inputs");
            if (inputs.size() != 1) {
                throw fail("inputs", "lists " + inputs.size() + " inputs; NeuralJ runs models with one image input");
            }
            Map<?, ?> in = map(inputs.get(0), "inputs[0]");
            Map<?, ?> out = map(list(root.get("outputs"), "outputs").get(0), "outputs[0]");
            String inId = String.valueOf(in.containsKey("id") ? in.get("id") : in.get("name"));
            Axes ia = v04 ? axes04(in, "inputs[0]", false) : axes05(in, "inputs[0]", false);
            Axes oa = v04 ? axes04(out, "outputs[0]", true) : axes05(out, "outputs[0]", true);
            if (!ia.letters.equals("bcyx")) {
                throw fail("inputs[0].axes", "are '" + ia.letters + "'; NeuralJ feeds 2-D images as bcyx (batch, channel, y, x)");
            }
            if (!oa.letters.contains("y") || !oa.letters.contains("x")) {
                throw fail("outputs[0].axes", "are '" + oa.letters + "': NeuralJ segments with models that output an image");
            }
            if (ia.channels != 1 && ia.channels != 3) {
                throw fail("inputs[0]", "has " + ia.channels + " channels; NeuralJ feeds 1 (grey) or 3 (RGB)");
            }
            int tile = 0, stride = 0;
            if (ia.fixedSize > 0) {
                tile = ia.fixedSize;
            } else if (ia.step > 0) {
                stride = ia.step;
                tile = ia.min + (int) Math.ceil(Math.max(0, Segmenter.DEFAULT_TILE - ia.min) / (double) ia.step) * ia.step;
            }
            BioimageProcessing pre = BioimageProcessing.parse(in.get("preprocessing"), where("inputs[0].preprocessing"), inId,
                    ia.channels, false);
            BioimageProcessing post = BioimageProcessing.parse(out.get("postprocessing"), where("outputs[0].postprocessing"),
                    String.valueOf(out.containsKey("id") ? out.get("id") : out.get("name")), Math.max(1, oa.channels), true);
            Path weights = weights();
            return new BioimageModel(file, name(), weights, ia.channels, pre, post, tile, stride, oa.halo,
                    outputKind(post, out, v04), string(root.get("license")), trainingData(),
                    testTensor(in, v04 ? "test_inputs" : "test_tensor"), testTensor(out, v04 ? "test_outputs" : "test_tensor"));
        }

        /** The axes of one tensor: letters in order, channel count, size rule of y/x, halo. */
        private record Axes(String letters, int channels, int fixedSize, int min, int step, int halo) {
        }

        /** Format 0.5: a list of {type, id, size, channel_names, halo, scale}. */
        private Axes axes05(Map<?, ?> t, String at, boolean output) {
            StringBuilder letters = new StringBuilder();
            int channels = 0, fixed = 0, min = 0, step = 0, halo = 0;
            List<?> axes = list(t.get("axes"), at + ".axes");
            for (int i = 0; i < axes.size(); i++) {
                String here = at + ".axes[" + i + "]";
                Map<?, ?> a = map(axes.get(i), here);
                String type = String.valueOf(a.get("type"));
                switch (type) {
                    case "batch" -> letters.append('b');
                    case "channel" -> {
                        letters.append('c');
                        channels = a.get("channel_names") instanceof List<?> names ? names.size() : integer(a.get("size"), here + ".size");
                    }
                    case "space" -> {
                        String id = a.get("id") == null ? "x" : String.valueOf(a.get("id"));
                        if (id.length() != 1 || "yxz".indexOf(id.charAt(0)) < 0) {
                            throw fail(here + ".id", "is '" + id + "'; space axes are x, y (and z)");
                        }
                        letters.append(id);
                        if (a.get("scale") instanceof Number s && s.doubleValue() != 1) {
                            throw fail(here + ".scale", "is " + s + "; NeuralJ needs an output of the input's size");
                        }
                        if (output) {
                            halo = Math.max(halo, a.get("halo") == null ? 0 : integer(a.get("halo"), here + ".halo"));
                        } else {
                            Object size = a.get("size");
                            if (size instanceof Number n) {
                                fixed = fixed == 0 ? n.intValue() : Math.min(fixed, n.intValue());
                            } else if (size instanceof Map<?, ?> rule && rule.containsKey("min")) {
                                min = Math.max(min, integer(rule.get("min"), here + ".size.min"));
                                step = Math.max(step, integer(rule.get("step"), here + ".size.step"));
                            } else if (size != null) {
                                throw fail(here + ".size", "refers to another tensor; NeuralJ needs a fixed size or {min, step}");
                            }
                        }
                    }
                    case "time", "index" -> letters.append(type.charAt(0));
                    default -> throw fail(here + ".type", "is '" + type + "' (batch, channel, space, time or index)");
                }
            }
            return new Axes(letters.toString(), channels == 0 ? 1 : channels, fixed, min, step, halo);
        }

        /** Format 0.4: axes "bcyx", shape [..] or {min, step} (inputs) / {reference_tensor, scale, offset}, halo [..]. */
        private Axes axes04(Map<?, ?> t, String at, boolean output) {
            String letters = string(t.get("axes"));
            if (letters == null) {
                throw fail(at + ".axes", "is missing");
            }
            Object shape = t.get("shape");
            int c = letters.indexOf('c'), y = letters.indexOf('y'), x = letters.indexOf('x');
            int channels = 1, fixed = 0, min = 0, step = 0, halo = 0;
            if (shape instanceof List<?> dims) {
                if (dims.size() != letters.length()) {
                    throw fail(at + ".shape", "has " + dims.size() + " entries for axes " + letters);
                }
                channels = c >= 0 ? integer(dims.get(c), at + ".shape[" + c + "]") : 1;
                if (!output && y >= 0 && x >= 0) {
                    fixed = Math.min(integer(dims.get(y), at + ".shape"), integer(dims.get(x), at + ".shape"));
                }
            } else if (shape instanceof Map<?, ?> rule) {
                if (rule.containsKey("min")) {
                    List<?> mins = list(rule.get("min"), at + ".shape.min");
                    List<?> steps = list(rule.get("step"), at + ".shape.step");
                    channels = c >= 0 ? integer(mins.get(c), at + ".shape.min") : 1;
                    if (y >= 0 && x >= 0) {
                        min = Math.max(integer(mins.get(y), at + ".shape.min"), integer(mins.get(x), at + ".shape.min"));
                        step = Math.max(integer(steps.get(y), at + ".shape.step"), integer(steps.get(x), at + ".shape.step"));
                    }
                } else if (rule.containsKey("scale")) {
                    List<?> scale = list(rule.get("scale"), at + ".shape.scale");
                    for (int i : new int[] {y, x}) {
                        if (i >= 0 && i < scale.size() && scale.get(i) instanceof Number s && s.doubleValue() != 1) {
                            throw fail(at + ".shape.scale", "is " + scale + "; NeuralJ needs an output of the input's size");
                        }
                    }
                    channels = 0; // decided by the model
                } else {
                    throw fail(at + ".shape", "must be a list, {min, step} or {reference_tensor, scale, offset}");
                }
            } else {
                throw fail(at + ".shape", "is missing");
            }
            if (output && t.get("halo") instanceof List<?> h) {
                for (int i : new int[] {y, x}) {
                    if (i >= 0 && i < h.size()) {
                        halo = Math.max(halo, integer(h.get(i), at + ".halo"));
                    }
                }
            }
            return new Axes(letters, channels, fixed, min, step, halo);
        }

        private String name() {
            Object id = root.get("id");
            if (id instanceof String s && !s.isBlank()) {
                return s.contains("/") ? s.substring(s.lastIndexOf('/') + 1) : s;
            }
            if (root.get("config") instanceof Map<?, ?> config && config.get("bioimageio") instanceof Map<?, ?> b
                    && b.get("nickname") instanceof String nick && !nick.isBlank()) {
                return nick;
            }
            return folder.getFileName() == null ? "bioimageio-model" : folder.getFileName().toString();
        }

        private Path weights() {
            Map<?, ?> w = map(root.get("weights"), "weights");
            Object onnx = w.get("onnx");
            if (onnx == null) {
                throw fail("weights", "has no onnx entry (only " + w.keySet() + "); NeuralJ runs ONNX weights: convert the model"
                        + " with bioimageio.core or choose a package that has them");
            }
            Map<?, ?> o = map(onnx, "weights.onnx");
            Path p = inside(string(o.get("source")), "weights.onnx.source");
            if (!Files.isRegularFile(p)) {
                throw fail("weights.onnx.source", "names " + p.getFileName() + ", which is not in " + folder);
            }
            String sha = string(o.get("sha256"));
            if (sha != null && !sha.equalsIgnoreCase(sha256(p))) {
                throw fail("weights.onnx.sha256", "does not match " + p.getFileName() + " (a damaged or replaced file)");
            }
            return p;
        }

        /** A file of the package: a relative path that stays inside its folder. */
        private Path inside(String source, String field) {
            if (source == null || source.isBlank()) {
                throw fail(field, "is missing");
            }
            if (source.contains("://")) {
                throw fail(field, "is a URL (" + source + "); download it into the package folder and name the file");
            }
            Path p = folder.resolve(source).normalize();
            if (!p.startsWith(folder)) {
                throw fail(field, "(" + source + ") points outside the package folder " + folder);
            }
            return p;
        }

        private Path testTensor(Map<?, ?> t, String key) {
            Object v = t.get(key);
            Object source = v instanceof Map<?, ?> m ? m.get("source") : v instanceof List<?> l && !l.isEmpty() ? l.get(0) : null;
            if (!(source instanceof String s)) {
                return null;
            }
            Path p = inside(s, key);
            return Files.isRegularFile(p) ? p : null;
        }

        private String outputKind(BioimageProcessing post, Map<?, ?> out, boolean v04) {
            List<BioimageProcessing.Step> steps = new ArrayList<>(post.steps());
            while (!steps.isEmpty() && steps.get(steps.size() - 1) instanceof BioimageProcessing.Clip) {
                steps.remove(steps.size() - 1);
            }
            if (!steps.isEmpty() && (steps.get(steps.size() - 1) instanceof BioimageProcessing.Sigmoid
                    || steps.get(steps.size() - 1) instanceof BioimageProcessing.Binarize)) {
                return "probability";
            }
            Object range = v04 ? out.get("data_range") : out.get("data") instanceof Map<?, ?> d ? d.get("range") : null;
            if (range instanceof List<?> r && r.size() == 2 && r.get(0) instanceof Number lo && r.get(1) instanceof Number hi
                    && lo.doubleValue() == 0 && hi.doubleValue() == 1) {
                return "probability";
            }
            return "raw";
        }

        private String trainingData() {
            Object t = root.get("training_data");
            if (t instanceof Map<?, ?> m && m.get("id") != null) {
                return "bioimage.io " + m.get("id");
            }
            return t instanceof String s ? s : null;
        }

        private String where(String field) {
            return file + ": " + field;
        }

        private NeuralJException fail(String field, String problem) {
            return new NeuralJException(file + ": " + field + " " + problem);
        }

        private List<?> list(Object v, String field) {
            if (!(v instanceof List<?> l) || l.isEmpty()) {
                throw fail(field, "must be a non-empty list");
            }
            return l;
        }

        private Map<?, ?> map(Object v, String field) {
            if (!(v instanceof Map<?, ?> m)) {
                throw fail(field, "must be a mapping");
            }
            return m;
        }

        private int integer(Object v, String field) {
            if (!(v instanceof Long || v instanceof Integer) || ((Number) v).longValue() < 0 || ((Number) v).longValue() > 1 << 20) {
                throw fail(field, "must be a whole number from 0 to " + (1 << 20) + ", not " + v);
            }
            return ((Number) v).intValue();
        }

        private static String string(Object v) {
            return v == null ? null : String.valueOf(v);
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new NeuralJException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
