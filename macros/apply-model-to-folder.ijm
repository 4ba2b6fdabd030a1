// NeuralJ example: run an ONNX model on every image of a folder and save each result as a TIFF.
// Runs unchanged on the shipped sample data (sample-data/images, sample-data/models/blob-detector.onnx).
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch apply-model-to-folder.ijm \
//                  "input=sample-data/images output=demo-output model=sample-data/models/blob-detector.onnx"
// Every key of the argument is optional. For thousands of images or a cluster use the command line
// instead (`neuralj apply MODEL FOLDER --output OUT`: resume, shards, SLURM).
args = getArgument();
input = value(args, "input", "sample-data/images");
output = value(args, "output", "demo-output");
model = value(args, "model", "sample-data/models/blob-detector.onnx");

setBatchMode(true);                                    // no windows: images live in memory, titles still work
File.makeDirectory(output);
files = getFileList(input);
done = 0;
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/") || startsWith(files[i], ".")) continue;   // sub-folders, hidden files
    open(input + "/" + files[i]);
    name = File.nameWithoutExtension;
    // the line Plugins > Macros > Record writes for Plugins > NeuralJ > Apply ONNX Model...
    run("Apply ONNX Model...", "model=[" + model + "] normalization=zscore backend=auto");
    // the result is the new current image; it can also be selected by its title, INPUT-MODEL:
    selectImage(name + "-" + File.getNameWithoutExtension(model));
    saveAs("Tiff", output + "/" + name + "-neuralj.tif");
    close("*");
    done++;
}
print("NeuralJ: " + done + " image(s) from " + input + " written to " + output);

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
