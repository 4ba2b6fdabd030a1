// NeuralJ example: run an ONNX model on every image of a folder and save the results as TIFF.
// Run from Fiji (Plugins > Macros > Run...) or headless:
//   ImageJ --headless -macro apply-model-to-folder.ijm "input=sample-data/images output=demo-output model=sample-data/models/blob-detector.onnx"
args = getArgument();
input = "sample-data/images";
output = "demo-output";
model = "sample-data/models/blob-detector.onnx";
if (args != "") {
    input = parse(args, "input", input);
    output = parse(args, "output", output);
    model = parse(args, "model", model);
}
setBatchMode(true);
File.makeDirectory(output);
files = getFileList(input);
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/")) continue;           // skip sub-folders
    open(input + File.separator + files[i]);
    source = getTitle();
    run("Apply ONNX Model...", "model=[" + model + "] normalization=zscore backend=auto");
    saveAs("Tiff", output + File.separator + replace(source, "\\.[^.]*$", "") + "-neuralj.tif");
    close("*");
}
print("NeuralJ: processed " + files.length + " file(s) into " + output);

function parse(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++) {
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    }
    return fallback;
}
