// NeuralJ example: train a cell classifier from folders (one sub-folder per class, named after the
// class), then classify new crops with it. Writes MODEL.onnx + MODEL.json (the model card: classes,
// input size, normalisation, training settings, validation accuracy) and a CSV of the predictions.
// Runs unchanged on the shipped sample data: sample-data/images/blood-cells-train holds 4 synthetic
// crops of each class (Platelets/, RBC/, WBC/; drawn by org.neuralj.samples.SampleData);
// sample-data/images/blood-cells 3 other synthetic crops to classify.
//   Fiji:      Plugins > Macros > Run... (paths are relative to the folder Fiji was started from)
//   ImageJ 1:  xvfb-run -a java -Dplugins.dir=FIJI_OR_IJ_DIR -jar ij.jar -batch train-classifier-from-folders.ijm \
//                  "images=sample-data/images/blood-cells-train classify=sample-data/images/blood-cells output=demo-output epochs=2"
// A dozen crops and 6 steps (seconds) only show the steps: a useful classifier needs hundreds of
// crops per class and more epochs (the shipped blood-cells model: 708 crops, 4 x 50 steps, 94 s on 2 CPU
// cores). For long training use the command line (`neuralj train classifier ...`: Ctrl-C cancels).
args = getArgument();
images = value(args, "images", "sample-data/images/blood-cells-train");
classify = value(args, "classify", "sample-data/images/blood-cells");
output = value(args, "output", "demo-output");
epochs = value(args, "epochs", "2");
steps = value(args, "steps", "3");
backend = value(args, "backend", "cpu");   // small 64x64 crops: the CPU; backend=auto takes a GPU when there is one

setBatchMode(true);
File.makeDirectory(output);
model = output + "/my-blood-cells.onnx";

// 1. Train: the line Plugins > Macros > Record writes for Plugins > NeuralJ > NeuralJ Train Classifier...
//    (validation=0.25: a quarter of the images are held out and scored; seed: the same run gives the
//    same model; progress goes to the status bar and the Log)
run("NeuralJ Train Classifier...", "images=[" + images + "] out=[" + model + "] epochs=" + epochs + " steps=" + steps
    + " seed=1 validation=0.25 backend=" + backend);
card = replace(model, ".onnx", ".json");
if (!File.exists(card)) exit("NeuralJ: training wrote no model card " + card + " (see the Log)");
print("NeuralJ: trained " + model + "; its card: " + card);

// 2. Classify with the new model: the card is the model argument of NeuralJ Classify
if (isOpen("NeuralJ Classes")) Table.reset("NeuralJ Classes");
files = getFileList(classify);
for (i = 0; i < files.length; i++) {
    if (endsWith(files[i], "/") || startsWith(files[i], ".")) continue;
    open(classify + "/" + files[i]);
    run("NeuralJ Classify...", "model=[" + card + "] backend=" + backend);
    close();
}
for (row = 0; row < Table.size("NeuralJ Classes"); row++)
    print(Table.getString("image", row, "NeuralJ Classes") + ": " + Table.getString("class", row, "NeuralJ Classes"));
Table.save(output + "/my-blood-cells-classes.csv", "NeuralJ Classes");

// value of "key=value" in a space-separated argument string, or the default
function value(s, key, fallback) {
    parts = split(s, " ");
    for (j = 0; j < parts.length; j++)
        if (startsWith(parts[j], key + "=")) return substring(parts[j], lengthOf(key) + 1);
    return fallback;
}
