// NeuralJ example: segment the nuclei of every image in a folder with the shipped nucleus model, save
// each label image (16-bit, 0 = background, 1..N = one nucleus each) and a CSV with the count per image.
// Runs unchanged on the shipped sample data (sample-data/images, sample-data/models/nuclei).
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch segment-nuclei-in-folder.ijm \
//                  "input=sample-data/images output=demo-output model=nuclei"
// Every key of the argument is optional. For thousands of images or a cluster use the command line:
// `neuralj segment --model nuclei IN/ OUT/` (resume, shards, SLURM).
args = getArgument();
input = value(args, "input", "sample-data/images");
output = value(args, "output", "demo-output");
model = value(args, "model", "nuclei");            // a model name, or a .json card / .onnx file

setBatchMode(true);                                 // no windows: images live in memory, titles still work
File.makeDirectory(output);
Table.create("Nucleus counts");                     // one row per image, saved as CSV at the end
files = getFileList(input);
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/") || startsWith(files[i], ".")) continue;   // sub-folders, hidden files
    open(input + "/" + files[i]);
    name = File.nameWithoutExtension;
    // the line Plugins > Macros > Record writes for Plugins > NeuralJ > NeuralJ Segment...
    // (tile=0 and halo=0: the model's tile and its receptive field; instances=auto: the card's method)
    run("NeuralJ Segment...", "model=[" + model + "] output=labels instances=auto tile=0 halo=0 threshold=0 backend=auto");
    // the labels are the new current image, titled IMAGE-MODEL (e.g. synthetic-nuclei-nuclei)
    saveAs("Tiff", output + "/" + name + "-labels.tif");
    // count the labels present (a histogram over all 16-bit values) and their mean area in pixels
    getHistogram(values, counts, 65536);
    nuclei = 0;
    area = 0;
    for (v = 1; v < counts.length; v++) {
        if (counts[v] > 0) {
            nuclei++;
            area += counts[v];
        }
    }
    row = Table.size("Nucleus counts");
    Table.set("image", row, files[i], "Nucleus counts");
    Table.set("nuclei", row, nuclei, "Nucleus counts");
    Table.set("mean_area_px", row, area / maxOf(1, nuclei), "Nucleus counts");
    print("NeuralJ Segment: " + files[i] + ": " + nuclei + " nuclei");
    close("*");
}
Table.save(output + "/nucleus-counts.csv", "Nucleus counts");
print("NeuralJ: " + Table.size("Nucleus counts") + " image(s) from " + input + "; labels and nucleus-counts.csv in " + output);

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
