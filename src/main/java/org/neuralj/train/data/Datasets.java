package org.neuralj.train.data;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.neuralj.backend.NeuralJException;
import org.neuralj.image.GreyConversion;
import org.neuralj.image.Instances;

/**
 * Training data from folders: image + mask pairs ({@link #pairs}) and class sub-folders
 * ({@link #classFolders}). Every problem (a missing mask, a mask of another size, an unreadable file, an
 * empty class folder) is a {@link NeuralJException} naming the file.
 */
public final class Datasets {
    static final Set<String> IMAGE_EXTENSIONS = Set.of("tif", "tiff", "png", "jpg", "jpeg", "bmp", "gif");

    private Datasets() {
    }

    /** Image files directly in {@code dir}, sorted by name (hidden files skipped). */
    public static List<Path> imageFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new NeuralJException("not a folder: " + dir);
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> IMAGE_EXTENSIONS.contains(extension(p))).sorted().toList();
        } catch (IOException e) {
            throw new NeuralJException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /**
     * Pairs each image in {@code images} with the mask of the same name stem in {@code masks} (any image
     * extension). Masks are label images (0 = background, 1..N objects) or binary (any non-zero value is
     * foreground). {@code group} gives each image's split key (null: its own name).
     *
     * @param channels 1 (grey; RGB images as luminance) or 3 (RGB)
     * @param limit    at most this many pairs (0: all), taken in name order after {@code filter}
     */
    public static List<Sample> pairs(Path images, Path masks, int channels, Function<Path, String> group,
                                     java.util.function.Predicate<Path> filter, int limit) {
        return pairs(images, masks, channels, GreyConversion.LUMINANCE, group, filter, limit);
    }

    /** As {@link #pairs(Path, Path, int, Function, java.util.function.Predicate, int)}, RGB images read for one channel by {@code grey}. */
    public static List<Sample> pairs(Path images, Path masks, int channels, GreyConversion grey, Function<Path, String> group,
                                     java.util.function.Predicate<Path> filter, int limit) {
        List<Path> files = imageFiles(images);
        if (files.isEmpty()) {
            throw new NeuralJException("no images in " + images);
        }
        Map<String, Path> maskByStem = new HashMap<>();
        for (Path m : imageFiles(masks)) {
            Path other = maskByStem.put(stem(m), m);
            if (other != null) {
                throw new NeuralJException("two masks for one image: " + other + " and " + m);
            }
        }
        List<Sample> out = new ArrayList<>();
        for (Path f : files) {
            if (filter != null && !filter.test(f)) {
                continue;
            }
            if (limit > 0 && out.size() >= limit) {
                break;
            }
            Path m = maskByStem.get(stem(f));
            if (m == null) {
                throw new NeuralJException("no mask for " + f + " in " + masks + " (expected " + stem(f) + ".tif/.png/...)");
            }
            Sample img = read(f, channels, grey, group == null ? stem(f) : group.apply(f), -1);
            ImagePlus mp = open(m);
            if (mp.getWidth() != img.width() || mp.getHeight() != img.height()) {
                throw new NeuralJException("mask " + m + " is " + mp.getWidth() + "x" + mp.getHeight() + " but image " + f + " is "
                        + img.width() + "x" + img.height());
            }
            if (mp.getType() == ImagePlus.COLOR_RGB) {
                throw new NeuralJException("mask " + m + " is an RGB image: masks are 8/16-bit label or binary images");
            }
            out.add(new Sample(f.toString(), img.group(), img.channels(), img.height(), img.width(), img.pixels(),
                    Instances.values(mp.getProcessor()), -1));
        }
        return out;
    }

    /**
     * Images in class sub-folders of {@code root} (one folder per class, name = class; sorted), read
     * recursively below each class folder. {@code group} gives the split key (null: the file name).
     */
    public static Map<String, List<Sample>> classFolders(Path root, int channels, Function<Path, String> group) {
        if (!Files.isDirectory(root)) {
            throw new NeuralJException("not a folder: " + root);
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new NeuralJException("cannot list " + root + ": " + e.getMessage(), e);
        }
        if (classDirs.size() < 2) {
            throw new NeuralJException(root + " needs at least two class sub-folders (one per class), found " + classDirs.size());
        }
        Map<String, List<Sample>> out = new TreeMap<>();
        int k = 0;
        for (Path dir : classDirs) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                        .filter(p -> IMAGE_EXTENSIONS.contains(extension(p))).sorted().toList();
            } catch (IOException e) {
                throw new NeuralJException("cannot list " + dir + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new NeuralJException("class folder " + dir + " has no images");
            }
            List<Sample> samples = new ArrayList<>();
            for (Path f : files) {
                samples.add(read(f, channels, group == null ? f.getFileName().toString() : group.apply(f), k));
            }
            out.put(dir.getFileName().toString(), samples);
            k++;
        }
        return out;
    }

    static ImagePlus open(Path f) {
        return org.neuralj.image.ImageFiles.open(f);
    }

    /** One image as [C][H][W] raw values (RGB: 3 channels R, G, B, or luminance for 1 channel). */
    public static Sample read(Path f, int channels, String group, int classIndex) {
        return read(f, channels, GreyConversion.LUMINANCE, group, classIndex);
    }

    /** As {@link #read(Path, int, String, int)}, an RGB image read for one channel by {@code grey}. */
    public static Sample read(Path f, int channels, GreyConversion grey, String group, int classIndex) {
        ImagePlus imp = open(f);
        ImageProcessor ip = imp.getProcessor();
        int w = ip.getWidth(), h = ip.getHeight();
        float[] px = new float[channels * w * h];
        if (channels == 3) {
            if (!(ip instanceof ColorProcessor cp)) {
                throw new NeuralJException(f + " is a grey image but 3 channels (RGB) are expected");
            }
            int[] rgb = (int[]) cp.getPixels();
            for (int i = 0; i < w * h; i++) {
                px[i] = (rgb[i] >> 16) & 0xff;
                px[w * h + i] = (rgb[i] >> 8) & 0xff;
                px[2 * w * h + i] = rgb[i] & 0xff;
            }
        } else {
            px = grey.values(ip); // RGB: luminance or one channel (getf would give the packed integer)
        }
        imp.close();
        return new Sample(f.toString(), group, channels, h, w, px, null, classIndex);
    }

    /**
     * Groups from a table (TSV or CSV with a header): the column {@code fileColumn} names a file (matched
     * by its path ending, e.g. {@code WBC/x.png}), {@code groupColumn} its group. For BCCD:
     * {@code groupsFromTable(manifest, "crop", "source_image")}.
     */
    public static Function<Path, String> groupsFromTable(Path table, String fileColumn, String groupColumn) {
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (IOException e) {
            throw new NeuralJException("cannot read " + table + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new NeuralJException(table + " is empty");
        }
        String sep = lines.get(0).contains("\t") ? "\t" : ",";
        List<String> head = List.of(lines.get(0).split(sep, -1));
        int fc = head.indexOf(fileColumn);
        int gc = head.indexOf(groupColumn);
        if (fc < 0 || gc < 0) {
            throw new NeuralJException(table + " has no column '" + (fc < 0 ? fileColumn : groupColumn) + "' (columns: " + head + ")");
        }
        Map<String, String> groups = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] c = line.split(sep, -1);
            if (c.length > Math.max(fc, gc)) {
                groups.put(c[fc].replace('\\', '/'), c[gc]);
            }
        }
        return p -> {
            String s = p.toString().replace('\\', '/');
            // the longest table path that the file's path ends with
            for (int i = 0; i < s.length(); i = s.indexOf('/', i) + 1) {
                String g = groups.get(s.substring(i));
                if (g != null) {
                    return g;
                }
                if (s.indexOf('/', i) < 0) {
                    break;
                }
            }
            String name = p.getFileName().toString();
            int dot = name.lastIndexOf('.');
            String g = dot > 0 ? groups.get(name.substring(0, dot)) : null; // tables that list ids without the extension
            if (g != null) {
                return g;
            }
            throw new NeuralJException(p + " is not listed in " + table + " (column " + fileColumn + ")");
        };
    }
}
