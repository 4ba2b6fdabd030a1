package org.neuralj.image;

import ij.IJ;
import ij.ImagePlus;
import ij.io.FileInfo;
import ij.io.TiffDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;

/**
 * The one way NeuralJ opens an image file: anything ImageJ reads, with a clear error for a missing,
 * empty or unreadable file, and for an uncompressed TIFF shorter than its pixel data (ImageJ would
 * otherwise fill the missing part and carry on, so a cut-off file would give a wrong result silently).
 */
public final class ImageFiles {
    private ImageFiles() {
    }

    public static ImagePlus open(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new NeuralJException(file + ": cannot read the file (" + e.getMessage() + ")");
        }
        if (size == 0) {
            throw new NeuralJException(file + ": the file is empty");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            checkTiffComplete(file, size);
        }
        ImagePlus imp = IJ.openImage(file.toString());
        if (imp == null) {
            throw new NeuralJException(file + ": ImageJ cannot open this file as an image");
        }
        return imp;
    }

    /** Refuses an uncompressed TIFF whose pixel data runs past the end of the file. */
    private static void checkTiffComplete(Path file, long size) {
        FileInfo[] info;
        try {
            Path dir = file.toAbsolutePath().getParent();
            info = new TiffDecoder(dir.toString() + java.io.File.separator, file.getFileName().toString()).getTiffInfo();
        } catch (IOException | RuntimeException e) {
            throw new NeuralJException(file + ": not a readable TIFF (" + e.getMessage() + ")");
        }
        if (info == null) {
            throw new NeuralJException(file + ": not a readable TIFF");
        }
        for (FileInfo fi : info) {
            if (fi.compression != FileInfo.COMPRESSION_NONE || fi.stripOffsets != null && fi.stripOffsets.length > 0 && fi.stripLengths == null) {
                continue; // compressed data: ImageJ's own decoder reports damage
            }
            long images = fi.nImages > 0 ? fi.nImages : 1;
            long needed = fi.getOffset() + (long) fi.width * fi.height * fi.getBytesPerPixel() * images;
            if (fi.gapBetweenImages > 0) {
                needed += fi.gapBetweenImages * (images - 1);
            }
            if (needed > size) {
                throw new NeuralJException(file + ": the TIFF is cut off: its pixel data needs " + needed
                        + " bytes but the file has " + size + " (an interrupted copy or download?)");
            }
        }
    }
}
