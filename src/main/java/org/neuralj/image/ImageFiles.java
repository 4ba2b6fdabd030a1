package org.neuralj.image;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileInfo;
import ij.io.FileSaver;
import ij.io.TiffDecoder;
import ij.io.TiffEncoder;
import ij.process.FloatProcessor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.neuralj.backend.NeuralJException;

/**
 * The one way NeuralJ opens an image file: anything ImageJ reads, with a clear error for a missing,
 * empty or unreadable file, and for an uncompressed TIFF shorter than its pixel data (ImageJ would
 * otherwise fill the missing part and carry on, so a cut-off file would give a wrong result silently).
 * TIFFs ImageJ 1 cannot read are handled here: 64-bit float pixels (numpy's float64, as tifffile
 * writes them) are read as 32-bit float; complex and 64-bit integer pixels are refused by name.
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
            TiffPages tiff = TiffPages.read(file, 1);
            if (tiff != null && !tiff.pages().isEmpty()) {
                TiffPages.Page p = tiff.pages().get(0);
                if (p.sampleFormat() == TiffPages.COMPLEX_INT || p.sampleFormat() == TiffPages.COMPLEX_FLOAT) {
                    throw new NeuralJException(file + ": complex pixels (TIFF SampleFormat " + p.sampleFormat() + ", "
                            + p.bitsPerSample() + " bits) are not supported: save the real part, magnitude or phase as a "
                            + "32-bit image");
                }
                if (p.bitsPerSample() == 64) {
                    if (p.sampleFormat() != TiffPages.FLOAT) {
                        throw new NeuralJException(file + ": 64-bit integer pixels (TIFF SampleFormat " + p.sampleFormat()
                                + ") are not supported: save the image as 32-bit float or 16-bit");
                    }
                    return readFloat64(file);
                }
            }
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

    /**
     * A TIFF of 64-bit float pages (uncompressed, one sample per pixel, in strips) as a 32-bit float
     * image or stack: each value rounded to the nearest float (beyond +-3.4e38 it becomes infinite).
     */
    private static ImagePlus readFloat64(Path file) {
        TiffPages tiff = TiffPages.read(file, Integer.MAX_VALUE);
        TiffPages.Page first = tiff.pages().get(0);
        int w = first.width();
        int h = first.height();
        ImageStack stack = new ImageStack(w, h);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            for (int i = 0; i < tiff.pages().size(); i++) {
                TiffPages.Page p = tiff.pages().get(i);
                String page = file + (tiff.pages().size() > 1 ? " (page " + (i + 1) + ")" : "");
                if (p.bitsPerSample() != 64 || p.sampleFormat() != TiffPages.FLOAT || p.width() != w || p.height() != h) {
                    throw new NeuralJException(page + ": every page of a 64-bit float TIFF must be 64-bit float and " + w + "x" + h);
                }
                if (p.compression() != 1 || p.tiled() || p.samplesPerPixel() != 1 || p.stripOffsets() == null
                        || p.stripByteCounts() == null || p.stripOffsets().length != p.stripByteCounts().length) {
                    throw new NeuralJException(page + ": NeuralJ reads 64-bit float TIFFs uncompressed, in strips, with one "
                            + "sample per pixel (this one: compression " + p.compression() + (p.tiled() ? ", tiles" : "")
                            + ", " + p.samplesPerPixel() + " samples per pixel); save it uncompressed or as 32-bit float");
                }
                float[] px = new float[w * h];
                int k = 0;
                for (int s = 0; s < p.stripOffsets().length && k < px.length; s++) {
                    long bytes = Math.min(p.stripByteCounts()[s], 8L * (px.length - k));
                    ByteBuffer b = TiffPages.read(ch, p.stripOffsets()[s], bytes, size, file).order(tiff.order());
                    while (b.remaining() >= 8) {
                        px[k++] = (float) b.getDouble();
                    }
                }
                if (k < px.length) {
                    throw new NeuralJException(page + ": the strips hold " + k + " of the " + px.length + " pixels (damaged file)");
                }
                stack.addSlice(new FloatProcessor(w, h, px));
            }
        } catch (IOException e) {
            throw new NeuralJException(file + ": cannot read the file (" + e.getMessage() + ")", e);
        }
        ImagePlus imp = new ImagePlus(file.getFileName().toString(), stack);
        imp.resetDisplayRange();
        return imp;
    }

    /**
     * Encodes {@code imp} as ImageJ's TIFF (what File > Save As > Tiff writes: calibration, hyperstack
     * dimensions, slice labels, info and properties) to {@code out}. Unlike {@code IJ.saveAsTiff}, a
     * write error (a full disk) is thrown with its reason, not only logged.
     */
    public static void writeTiff(ImagePlus imp, OutputStream out) throws IOException {
        FileInfo fi = imp.getFileInfo();
        fi.info = imp.getInfoProperty();
        fi.description = new FileSaver(imp).getDescriptionString();
        if (imp.getStackSize() > 1) {
            fi.sliceLabels = imp.getStack().getSliceLabels();
        } else if (imp.getStack().getSliceLabel(1) != null) {
            fi.sliceLabels = new String[] {imp.getStack().getSliceLabel(1)};
        }
        fi.properties = imp.getPropertiesAsArray();
        new TiffEncoder(fi).write(out);
    }
}
