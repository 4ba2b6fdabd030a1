// NeuralJ example: segment nuclei with the shipped model, then classify blood-cell crops.
// Runs unchanged on the shipped sample data (sample-data/images, sample-data/models/nuclei + blood-cells).
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch segment-and-classify.ijm "output=demo-output"
// For folders of thousands of images use the command line (`neuralj segment`, `neuralj classify`).
args = getArgument();
output = value(args, "output", "demo-output");
setBatchMode(true);
File.makeDirectory(output);

// 1. Segment: any image size (tiled with the model's halo); labels are 16-bit, 0 = background.
//    The line Plugins > Macros > Record writes for Plugins > NeuralJ > NeuralJ Segment...:
open("sample-data/images/synthetic-nuclei.tif");
run("NeuralJ Segment...", "model=[sample-data/models/nuclei.json] output=labels instances=watershed tile=0 halo=0 threshold=0.5 backend=auto");
selectImage("synthetic-nuclei-nuclei");                 // the result is titled IMAGE-MODEL
getStatistics(area, mean, min, max);
print("NeuralJ Segment: " + max + " nuclei");
saveAs("Tiff", output + "/synthetic-nuclei-labels.tif");
close("*");

// 2. Classify: one row per image (per slice of a stack) in the "NeuralJ Classes" table.
dir = "sample-data/images/blood-cells/";
files = getFileList(dir);
for (i = 0; i < files.length; i++) {
    if (!endsWith(files[i], ".png")) continue;
    open(dir + files[i]);
    run("NeuralJ Classify...", "model=[sample-data/models/blood-cells.json] backend=auto");
    close();
}
for (row = 0; row < Table.size("NeuralJ Classes"); row++)
    print(Table.getString("image", row, "NeuralJ Classes") + ": " + Table.getString("class", row, "NeuralJ Classes"));
Table.save(output + "/blood-cells-classes.csv", "NeuralJ Classes");

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
