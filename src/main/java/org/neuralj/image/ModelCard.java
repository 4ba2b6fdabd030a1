package org.neuralj.image;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neuralj.backend.NeuralJException;
import org.neuralj.io.AtomicFiles;
import org.neuralj.onnx.ModelFormatException;

/**
 * What a shipped or trained model is and how to feed it: a small JSON file beside the ONNX file with
 * the same stem ({@code nuclei.onnx} + {@code nuclei.json}). Read with NeuralJ's own safe {@link Json}
 * reader; unknown keys are kept in {@link #extra()} and ignored. Example:
 * <pre>{@code
 * { "name": "nuclei", "task": "segmentation", "model": "nuclei.onnx",
 *   "input": {"axes": "bcyx", "channels": 1, "normalization": "percentile"},
 *   "output": "sigmoid", "classes": ["background", "nucleus"], "threshold": 0.5,
 *   "tile": 512, "halo": 24, "stride": 4,
 *   "training": {"data": "DSB2018 (BBBC038)", "licence": "CC0", "command": "neuralj train ...", "seed": 1},
 *   "metrics": {"dice": 0.87, "ap50": 0.71} }
 * }</pre>
 *
 * @param name          short name (the CLI's {@code --model NAME})
 * @param task          segmentation, classification or image (image to image)
 * @param model         the ONNX file, relative to the card
 * @param axes          input axes, "bcyx"
 * @param channels      input channels: 1 (grey) or 3 (RGB)
 * @param normalization how intensities are scaled before the network
 * @param inputSize     classification: the side the image is resized to; 0 for fully convolutional models
 * @param output        what the network outputs: "sigmoid" (logits, one foreground channel), "softmax"
 *                      (logits over classes), or "probability" (already in [0, 1])
 * @param classes       class names (segmentation: background first)
 * @param threshold     segmentation: foreground probability threshold
 * @param tile          preferred tile side (0: NeuralJ's default)
 * @param halo          context the network needs on each side (0: computed from the graph)
 * @param stride        the network's stride (tile sizes and origins are multiples of it; 0: from the graph)
 * @param training      training data, licence, command, seed, ... (free-form)
 * @param metrics       validation metrics (free-form numbers or nested maps)
 * @param extra         any other keys, among them {@code "sha256"}: the SHA-256 of the ONNX file (hex),
 *                      written by {@link #write} and checked by {@link #verify} whenever the model loads, and
 *                      {@code "grey_input"} ({@link #greyAsRgb})
 */
public record ModelCard(String name, Task task, String model, String axes, int channels, Normalization normalization, int inputSize,
                        String output, List<String> classes, double threshold, int tile, int halo, int stride,
                        Map<String, Object> training, Map<String, Object> metrics, Map<String, Object> extra) {

    public enum Task {
        SEGMENTATION, CLASSIFICATION, IMAGE;

        static Task parse(String s, String source) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new NeuralJException(source + ": unknown task '" + s + "': use segmentation, classification or image");
            }
        }
    }

    private static final List<String> OUTPUTS = List.of("sigmoid", "softmax", "probability", "raw");
    private static final String SHA256 = "sha256";
    /** Card key: "replicate" feeds a grey image to a 3-channel model as R = G = B; "refuse" (default) refuses it. */
    public static final String GREY_INPUT = "grey_input";

    public ModelCard {
        classes = List.copyOf(classes);
        training = training == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(training));
        metrics = metrics == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** The card beside an ONNX file: same folder, same stem, ".json". */
    public static Path cardFileOf(Path onnx) {
        String n = onnx.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return onnx.resolveSibling((dot > 0 ? n.substring(0, dot) : n) + ".json");
    }

    /** The ONNX file this card names (relative to the card's folder). */
    public Path modelFile(Path cardFile) {
        return cardFile.toAbsolutePath().getParent().resolve(model);
    }

    public static ModelCard read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NeuralJException("cannot read model card " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    public static ModelCard parse(String text, String source) {
        Object root = Json.parse(text, source);
        if (!(root instanceof Map<?, ?> m)) {
            throw new NeuralJException(source + ": a model card is a JSON object");
        }
        Map<String, Object> o = new LinkedHashMap<>();
        m.forEach((k, v) -> o.put((String) k, v));
        String name = str(o, "name", null, source);
        Task task = Task.parse(str(o, "task", null, source), source);
        String model = str(o, "model", name + ".onnx", source);
        Map<String, Object> in = map(o, "input", source);
        String axes = str(in, "axes", "bcyx", source);
        int channels = integer(in, "channels", 1, source);
        if (channels != 1 && channels != 3) {
            throw new NeuralJException(source + ": input.channels must be 1 or 3, not " + channels);
        }
        Normalization norm;
        try {
            norm = Normalization.parse(str(in, "normalization", "zscore", source));
        } catch (IllegalArgumentException e) {
            throw new NeuralJException(source + ": input." + e.getMessage());
        }
        int inputSize = integer(in, "size", 0, source);
        String output = str(o, "output", task == Task.CLASSIFICATION ? "softmax" : "sigmoid", source);
        if (!OUTPUTS.contains(output)) {
            throw new NeuralJException(source + ": output '" + output + "' is not one of " + OUTPUTS);
        }
        List<String> classes = new ArrayList<>();
        Object cl = o.get("classes");
        if (cl != null) {
            if (!(cl instanceof List<?> l)) {
                throw new NeuralJException(source + ": classes must be a list of names");
            }
            for (Object x : l) {
                classes.add(String.valueOf(x));
            }
        }
        if (task == Task.CLASSIFICATION && classes.size() < 2) {
            throw new NeuralJException(source + ": a classification card needs at least two classes");
        }
        if (task == Task.CLASSIFICATION && inputSize <= 0) {
            throw new NeuralJException(source + ": a classification card needs input.size (the side images are resized to)");
        }
        double threshold = number(o, "threshold", 0.5, source);
        int tile = integer(o, "tile", 0, source);
        int halo = integer(o, "halo", 0, source);
        int stride = integer(o, "stride", 0, source);
        if (tile < 0 || halo < 0 || stride < 0) {
            throw new NeuralJException(source + ": tile, halo and stride must not be negative");
        }
        Object sum = o.get(SHA256);
        if (sum != null && !(sum instanceof String h && h.matches("[0-9a-f]{64}"))) {
            throw new NeuralJException(source + ": \"sha256\" must be the 64 lower-case hex digits of the model file's SHA-256, "
                    + "not " + sum);
        }
        Object grey = o.get(GREY_INPUT);
        if (grey != null && !"replicate".equals(grey) && !"refuse".equals(grey)) {
            throw new NeuralJException(source + ": \"" + GREY_INPUT + "\" must be \"replicate\" or \"refuse\", not " + grey);
        }
        if ("replicate".equals(grey) && channels != 3) {
            throw new NeuralJException(source + ": \"" + GREY_INPUT + "\": \"replicate\" is for 3-channel (RGB) models; this one has "
                    + channels);
        }
        Map<String, Object> extra = new LinkedHashMap<>(o);
        for (String k : List.of("name", "task", "model", "input", "output", "classes", "threshold", "tile", "halo", "stride",
                "training", "metrics")) {
            extra.remove(k);
        }
        return new ModelCard(name, task, model, axes, channels, norm, inputSize, output, classes, threshold, tile, halo, stride,
                map(o, "training", source), map(o, "metrics", source), extra);
    }

    /** The card as JSON (what {@link #parse} reads back). */
    public String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", name);
        o.put("task", task.name().toLowerCase(Locale.ROOT));
        o.put("model", model);
        if (sha256() != null) {
            o.put(SHA256, sha256()); // beside the file it is the sum of
        }
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("axes", axes);
        in.put("channels", channels);
        in.put("normalization", normalization.id());
        if (inputSize > 0) {
            in.put("size", inputSize);
        }
        o.put("input", in);
        o.put("output", output);
        o.put("classes", classes);
        if (task == Task.SEGMENTATION) {
            o.put("threshold", threshold);
        }
        if (tile > 0) {
            o.put("tile", tile);
        }
        if (halo > 0) {
            o.put("halo", halo);
        }
        if (stride > 0) {
            o.put("stride", stride);
        }
        o.put("training", training);
        o.put("metrics", metrics);
        o.putAll(extra);
        return Json.write(o);
    }

    /**
     * Writes the card to {@code file} (atomically), with the SHA-256 of the ONNX file it names when that
     * file exists (so write the model first); returns the card as written.
     */
    public ModelCard write(Path file) {
        Path onnx = modelFile(file);
        ModelCard written = Files.isRegularFile(onnx) ? withSha256(sha256Of(onnx)) : this;
        AtomicFiles.writeString(file, written.toJson());
        return written;
    }

    /**
     * Writes the SHA-256 of its model into each card named (after a shipped model was regenerated):
     * {@code java -cp target/classes:target/jars/* org.neuralj.image.ModelCard sample-data/models/*.json}.
     */
    public static void main(String[] cards) {
        for (String c : cards) {
            Path file = Path.of(c);
            ModelCard card = read(file).write(file);
            System.out.println(file + ": sha256 " + card.sha256() + " of " + card.modelFile(file));
        }
    }

    /** The SHA-256 of the ONNX file this card was written with (lower-case hex), or null. */
    public String sha256() {
        return extra.get(SHA256) instanceof String h ? h : null;
    }

    /** How RGB images reach a one-channel model (key "rgb_to_grey"; default luminance). */
    public GreyConversion rgbToGrey() {
        Object v = extra.get(RGB_TO_GREY);
        try {
            return v == null ? GreyConversion.LUMINANCE : GreyConversion.parse(String.valueOf(v), name + ": card key \"" + RGB_TO_GREY + "\"");
        } catch (IllegalArgumentException e) {
            throw new NeuralJException(e.getMessage());
        }
    }

    public static final String RGB_TO_GREY = "rgb_to_grey";

    /** Whether a grey image is fed to this 3-channel model as R = G = B (card key "grey_input": "replicate"). */
    public boolean greyAsRgb() {
        return channels == 3 && "replicate".equals(extra.get(GREY_INPUT));
    }

    public ModelCard withSha256(String hex) {
        Map<String, Object> e = new LinkedHashMap<>(extra);
        e.put(SHA256, hex);
        return new ModelCard(name, task, model, axes, channels, normalization, inputSize, output, classes, threshold, tile, halo,
                stride, training, metrics, e);
    }

    /**
     * Checks that {@code onnx} is the file this card ({@code cardFile}) was written for, when the card
     * carries a checksum: a changed or damaged model (a cut-off download, a bad copy) must not run
     * quietly with the card's settings.
     */
    public void verify(Path cardFile, Path onnx) {
        String expected = sha256();
        if (expected == null) {
            return;
        }
        String actual = sha256Of(onnx);
        if (!actual.equals(expected)) {
            throw new ModelFormatException(onnx + " does not match its model card " + cardFile + ": the file's sha256 is "
                    + actual + ", the card says " + expected + ". The file was changed or damaged (an interrupted download "
                    + "or copy?): get it again; if you changed the model on purpose, write the new sum into the card "
                    + "(or remove its \"sha256\" line)");
        }
    }

    /** Verifies {@code onnx} against the card beside it (same stem, .json), if there is one. */
    public static void verifyBeside(Path onnx) {
        Path card = cardFileOf(onnx);
        if (Files.isRegularFile(card)) {
            read(card).verify(card, onnx);
        }
    }

    /** The SHA-256 of a file, lower-case hex. */
    public static String sha256Of(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                d.update(buffer, 0, n);
            }
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new NeuralJException("cannot read " + file + " to check its sha256: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** This card with another foreground threshold and the given keys set among its other keys. */
    public ModelCard withSettings(double newThreshold, Map<String, Object> keys) {
        Map<String, Object> e = new LinkedHashMap<>(extra);
        e.putAll(keys);
        return new ModelCard(name, task, model, axes, channels, normalization, inputSize, output, classes, newThreshold, tile, halo,
                stride, training, metrics, e);
    }

    public ModelCard withMetrics(Map<String, Object> m) {
        return new ModelCard(name, task, model, axes, channels, normalization, inputSize, output, classes, threshold, tile, halo,
                stride, training, m, extra);
    }

    public ModelCard withTraining(Map<String, Object> t) {
        return new ModelCard(name, task, model, axes, channels, normalization, inputSize, output, classes, threshold, tile, halo,
                stride, t, metrics, extra);
    }

    /**
     * Checks a tile and halo asked by the user against this card and the network's receptive field,
     * before any work: a halo below the network's gives seams (bioimage.io spec #227), a tile must hold
     * twice the halo plus one stride step. Returns the halo to use (the larger of the asked and needed).
     */
    public static int checkTiling(String modelName, int tile, int askedHalo, int neededHalo, int stride) {
        if (askedHalo > 0 && askedHalo < neededHalo) {
            throw new IllegalArgumentException(modelName + ": halo " + askedHalo + " is below the network's " + neededHalo
                    + " (its receptive field): tiles would show seams; use --halo " + neededHalo + " or more");
        }
        int halo = Math.max(askedHalo, neededHalo);
        int h = TilePlan.roundUp(halo, Math.max(stride, 1));
        if (tile > 0 && tile < 2 * h + stride) {
            throw new IllegalArgumentException(modelName + ": tile " + tile + " is too small for halo " + halo + " and stride " + stride
                    + ": use --tile " + TilePlan.roundUp(4 * h + stride, stride) + " or more (at least " + (2 * h + stride) + ")");
        }
        return halo;
    }

    private static String str(Map<String, Object> o, String key, String def, String source) {
        Object v = o.get(key);
        if (v == null) {
            if (def == null) {
                throw new NeuralJException(source + ": the model card has no \"" + key + "\"");
            }
            return def;
        }
        if (!(v instanceof String s)) {
            throw new NeuralJException(source + ": \"" + key + "\" must be a string");
        }
        return s;
    }

    private static double number(Map<String, Object> o, String key, double def, String source) {
        Object v = o.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Double d)) {
            throw new NeuralJException(source + ": \"" + key + "\" must be a number");
        }
        return d;
    }

    private static int integer(Map<String, Object> o, String key, int def, String source) {
        double d = number(o, key, def, source);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new NeuralJException(source + ": \"" + key + "\" must be a whole number, not " + d);
        }
        return (int) d;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String key, String source) {
        Object v = o.get(key);
        if (v == null) {
            return new LinkedHashMap<>();
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new NeuralJException(source + ": \"" + key + "\" must be an object");
        }
        return (Map<String, Object>) v;
    }
}
