// NeuralJ example: Gaussian-blur every image of a folder, then find its edges, and save both as TIFF.
// Runs unchanged on the shipped sample data (sample-data/images).
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch blur-and-edges-of-folder.ijm \
//                  "input=sample-data/images output=demo-output sigma=2"
// The filters work in place on the current image, like ImageJ's own, on every bit depth and on whole
// stacks ("stack"). For thousands of images use the command line: `neuralj filter gaussian --sigma 2 IN --output OUT`.
args = getArgument();
input = value(args, "input", "sample-data/images");
output = value(args, "output", "demo-output");
sigma = value(args, "sigma", "2");

setBatchMode(true);
File.makeDirectory(output);
files = getFileList(input);
done = 0;
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/") || startsWith(files[i], ".")) continue;   // sub-folders, hidden files
    open(input + "/" + files[i]);
    name = File.nameWithoutExtension;
    // the lines Plugins > Macros > Record writes for Plugins > NeuralJ > Filters
    run("NeuralJ Gaussian Blur", "sigma=" + sigma + " edge=edge backend=auto stack");
    saveAs("Tiff", output + "/" + name + "-blur.tif");
    run("NeuralJ Find Edges", "edge=edge backend=auto stack");
    saveAs("Tiff", output + "/" + name + "-blur-edges.tif");
    close("*");
    done++;
}
print("NeuralJ: " + done + " image(s) from " + input + " blurred and edge-filtered into " + output);

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
