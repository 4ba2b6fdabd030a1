// NeuralJ example: classify every cell crop in a folder with the shipped blood-cell model and save the
// "NeuralJ Classes" table (image, slice, class, one probability per class) as a CSV.
// Runs unchanged on the shipped sample data (sample-data/images/blood-cells: 3 synthetic crops drawn by
// org.neuralj.samples.SampleData, one per class; sample-data/models/blood-cells).
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch classify-cells-in-folder.ijm \
//                  "input=sample-data/images/blood-cells output=demo-output model=blood-cells"
// Every key of the argument is optional. For thousands of crops use the command line:
// `neuralj classify --model blood-cells --csv cells.csv IN/`.
args = getArgument();
input = value(args, "input", "sample-data/images/blood-cells");
output = value(args, "output", "demo-output");
model = value(args, "model", "blood-cells");       // a model name, or a .json card / .onnx file

setBatchMode(true);
File.makeDirectory(output);
if (isOpen("NeuralJ Classes")) Table.reset("NeuralJ Classes");   // rows of an earlier run
files = getFileList(input);
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/") || startsWith(files[i], ".")) continue;   // sub-folders, hidden files
    open(input + "/" + files[i]);
    // the line Plugins > Macros > Record writes for Plugins > NeuralJ > NeuralJ Classify...:
    // it adds one row per image (per slice of a stack) to the "NeuralJ Classes" table
    run("NeuralJ Classify...", "model=[" + model + "] backend=auto");
    close();
}
for (row = 0; row < Table.size("NeuralJ Classes"); row++)
    print(Table.getString("image", row, "NeuralJ Classes") + ": " + Table.getString("class", row, "NeuralJ Classes"));
Table.save(output + "/cell-classes.csv", "NeuralJ Classes");
print("NeuralJ: " + Table.size("NeuralJ Classes") + " cell(s) from " + input + " classified into " + output + "/cell-classes.csv");

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
