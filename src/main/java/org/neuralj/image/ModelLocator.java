package org.neuralj.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neuralj.backend.NeuralJException;

/**
 * Finds a model by name or file: {@code --model nuclei} (a shipped or installed model),
 * {@code --model /path/net.onnx} / {@code /path/net.json} (a card, or an ONNX file with its card beside
 * it), or a bioimage.io model package: its folder or its {@code rdf.yaml} / {@code bioimageio.yaml}
 * ({@link BioimageModel}; its pre- and post-processing then replace the card's normalisation). Names
 * are looked up, in order, in the folders of the system property {@code neuralj.models}, the
 * environment variable {@code NEURALJ_MODELS} (both path lists), {@code sample-data/models} of the
 * working directory, and {@code models/} and {@code sample-data/models} beside the NeuralJ jar's folder
 * (and its parent: {@code target/} in a checkout, {@code plugins/} in Fiji), as {@code NAME.json} or a
 * package folder {@code NAME/}.
 */
public final class ModelLocator {

    /** An ONNX file and its card; {@code bioimage} the package it came from, or null. */
    public record Located(Path onnx, Path cardFile, ModelCard card, BioimageModel bioimage) {
        public Located(Path onnx, Path cardFile, ModelCard card) {
            this(onnx, cardFile, card, null);
        }

        /** The plane as the network wants it before the card's normalisation: a package's pre-processing, else as is. */
        public PlaneSource preprocess(PlaneSource src) {
            return bioimage == null ? src : bioimage.preprocess(src);
        }

        /** The tile model with a package's post-processing on its outputs, else as is. */
        public Tiler.TileModel postprocess(Tiler.TileModel model) {
            return bioimage == null ? model : bioimage.postprocess(model);
        }
    }

    private ModelLocator() {
    }

    public static List<Path> searchPath() {
        List<Path> dirs = new ArrayList<>();
        for (String list : new String[] {System.getProperty("neuralj.models"), System.getenv("NEURALJ_MODELS")}) {
            if (list != null && !list.isBlank()) {
                for (String p : list.split(java.io.File.pathSeparator)) {
                    if (!p.isBlank()) {
                        dirs.add(Path.of(p));
                    }
                }
            }
        }
        dirs.add(Path.of("sample-data", "models"));
        try {
            Path jar = Path.of(ModelLocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = jar.getParent();
            for (int up = 0; up < 2 && dir != null; up++, dir = dir.getParent()) {
                dirs.add(dir.resolve("models"));
                dirs.add(dir.resolve("sample-data").resolve("models"));
            }
        } catch (Exception ignored) {
            // no code source (unusual class loader): the other folders still apply
        }
        java.util.Set<Path> seen = new java.util.LinkedHashSet<>();
        for (Path d : dirs) {
            seen.add(d.toAbsolutePath().normalize());
        }
        return new ArrayList<>(seen);
    }

    /**
     * The model {@code nameOrFile}; an ONNX file without a card gets {@code fallback} (null: an error
     * saying a card is needed).
     */
    public static Located locate(String nameOrFile, ModelCard.Task task) {
        if (nameOrFile == null || nameOrFile.isBlank()) {
            throw new NeuralJException("no model given: a name (e.g. nuclei) or an .onnx / .json file");
        }
        Path p = Path.of(nameOrFile);
        if (BioimageModel.isPackage(p)) {
            return fromPackage(p, task);
        }
        if (Files.isRegularFile(p)) {
            return fromFile(p, task);
        }
        if (Files.isDirectory(p)) {
            throw new NeuralJException(p.toAbsolutePath() + " is a folder without a bioimage.io description ("
                    + String.join(" or ", BioimageModel.DESCRIPTIONS) + "); give a model file, a card or a package");
        }
        if (nameOrFile.endsWith(".onnx") || nameOrFile.endsWith(".json") || nameOrFile.endsWith(".yaml") || nameOrFile.contains("/")) {
            throw new NeuralJException("model file not found: " + p.toAbsolutePath());
        }
        List<Path> tried = new ArrayList<>();
        for (Path dir : searchPath()) {
            Path card = dir.resolve(nameOrFile + ".json");
            tried.add(dir.toAbsolutePath().normalize());
            if (Files.isRegularFile(card)) {
                return fromFile(card, task);
            }
            if (BioimageModel.isPackage(dir.resolve(nameOrFile))) {
                return fromPackage(dir.resolve(nameOrFile), task);
            }
        }
        throw new NeuralJException("no model named '" + nameOrFile + "' (looked for " + nameOrFile + ".json and a package folder "
                + nameOrFile + "/ in " + tried + "); give an .onnx file, or add a folder with -Dneuralj.models=DIR or NEURALJ_MODELS=DIR");
    }

    private static Located fromPackage(Path p, ModelCard.Task task) {
        BioimageModel b = BioimageModel.read(p);
        return new Located(b.weights(), b.description(), b.card(task), b);
    }

    private static Located fromFile(Path p, ModelCard.Task task) {
        Path card;
        Path onnx;
        if (p.toString().endsWith(".json")) {
            card = p;
            ModelCard c = ModelCard.read(card);
            onnx = c.modelFile(card);
            if (!Files.isRegularFile(onnx)) {
                throw new NeuralJException(card + " names the model " + c.model() + ", which is not there (" + onnx + ")");
            }
            c.verify(card, onnx);
            return check(new Located(onnx, card, c), task);
        }
        onnx = p;
        card = ModelCard.cardFileOf(p);
        if (Files.isRegularFile(card)) {
            ModelCard c = ModelCard.read(card);
            c.verify(card, onnx);
            return check(new Located(onnx, card, c), task);
        }
        return new Located(onnx, null, null);
    }

    private static Located check(Located l, ModelCard.Task task) {
        if (task != null && l.card().task() != task) {
            throw new NeuralJException(l.cardFile() + ": '" + l.card().name() + "' is a " + l.card().task().name().toLowerCase()
                    + " model, not a " + task.name().toLowerCase() + " model");
        }
        return l;
    }
}
