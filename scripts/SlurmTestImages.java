// Helper of scripts/slurm-test.sh, run as a single source file:
//   java -cp target/classes:target/jars/* scripts/SlurmTestImages.java make DIR N
//   java -cp target/classes:target/jars/* scripts/SlurmTestImages.java compare DIR_A DIR_B
// make: N seeded synthetic-nuclei TIFFs in DIR and two sub-folders (the SLURM test's inputs).
// compare: every TIFF below DIR_A has a twin below DIR_B with the same size and pixels (exit 1 if not).
import ij.IJ;
import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.neuralj.samples.SampleData;

public class SlurmTestImages {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("make")) {
            Path dir = Path.of(args[1]);
            int n = Integer.parseInt(args[2]);
            for (int i = 0; i < n; i++) {
                Path f = dir.resolve(i % 3 == 0 ? "" : "well-" + (i % 3)).resolve(String.format("field-%02d.tif", i));
                Files.createDirectories(f.getParent());
                IJ.saveAsTiff(SampleData.syntheticNuclei(640, 640, 90, 1000 + i), f.toString());
            }
            System.out.println("made " + n + " images in " + dir);
            return;
        }
        Path a = Path.of(args[1]);
        Path b = Path.of(args[2]);
        List<Path> files;
        try (Stream<Path> s = Files.walk(a)) {
            files = s.filter(p -> p.toString().endsWith(".tif")).sorted().toList();
        }
        int bad = 0;
        for (Path f : files) {
            Path twin = b.resolve(a.relativize(f));
            ImagePlus x = IJ.openImage(f.toString());
            ImagePlus y = Files.isRegularFile(twin) ? IJ.openImage(twin.toString()) : null;
            if (y == null || x.getWidth() != y.getWidth() || x.getHeight() != y.getHeight() || x.getStackSize() != y.getStackSize()) {
                System.out.println("DIFFERENT " + a.relativize(f) + ": missing or other size in " + b);
                bad++;
                continue;
            }
            double worst = 0;
            for (int z = 1; z <= x.getStackSize(); z++) {
                float[] p = (float[]) x.getStack().getProcessor(z).convertToFloat().getPixels();
                float[] q = (float[]) y.getStack().getProcessor(z).convertToFloat().getPixels();
                for (int i = 0; i < p.length; i++) {
                    worst = Math.max(worst, Math.abs(p[i] - q[i]));
                }
            }
            if (worst != 0) {
                System.out.println("DIFFERENT " + a.relativize(f) + ": max |difference| " + worst);
                bad++;
            }
        }
        System.out.println(files.size() - bad + " of " + files.size() + " outputs identical to the reference");
        System.exit(bad == 0 && !files.isEmpty() ? 0 : 1);
    }
}
