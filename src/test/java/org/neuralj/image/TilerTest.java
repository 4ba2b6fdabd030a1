package org.neuralj.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.FloatProcessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neuralj.SharedData;
import org.neuralj.backend.DeviceOutOfMemoryException;
import org.neuralj.backend.cpu.CpuBackend;
import org.neuralj.io.Npy;
import org.neuralj.nn.HostTensor;
import org.neuralj.nn.Model;
import org.neuralj.nn.Session;
import org.neuralj.train.Act;
import org.neuralj.train.Conv2d;
import org.neuralj.train.Init;
import org.neuralj.train.Layer;
import org.neuralj.train.OnnxExport;
import org.neuralj.train.Pool2d;
import org.neuralj.train.Sequential;
import org.neuralj.train.Upsample;

/** Tiling: the plan's geometry, tiled = untiled, receptive fields from the graph, out-of-memory retry. */
class TilerTest {

    @Test
    void validRegionsCoverEveryPixelOnceAndTilesShareOneAlignedSize() {
        Random r = new Random(1);
        for (int trial = 0; trial < 300; trial++) {
            int w = 1 + r.nextInt(700), h = 1 + r.nextInt(700);
            int stride = 1 << r.nextInt(4);
            int halo = r.nextInt(40);
            int tile = 2 * TilePlan.roundUp(halo, stride) + stride + r.nextInt(300);
            boolean border = r.nextBoolean();
            TilePlan p = TilePlan.of(w, h, tile, halo, stride, border);
            int[] cover = new int[w * h];
            for (TilePlan.Tile t : p.tiles()) {
                assertEquals(0, Math.floorMod(t.x() + p.border(), stride), t::toString);
                assertEquals(0, Math.floorMod(t.y() + p.border(), stride), t::toString);
                assertTrue(t.validX() + t.validWidth() <= p.tileWidth() && t.validY() + t.validHeight() <= p.tileHeight(), t::toString);
                assertEquals(t.outX(), t.x() + t.validX());
                assertEquals(t.outY(), t.y() + t.validY());
                // inner edges keep a full halo of context
                if (t.outX() > 0) {
                    assertTrue(t.validX() >= p.halo(), () -> "left context " + t);
                }
                if (t.outX() + t.validWidth() < w) {
                    assertTrue(p.tileWidth() - t.validX() - t.validWidth() >= p.halo(), () -> "right context " + t);
                }
                for (int y = 0; y < t.validHeight(); y++) {
                    for (int x = 0; x < t.validWidth(); x++) {
                        cover[(t.outY() + y) * w + t.outX() + x]++;
                    }
                }
            }
            for (int i = 0; i < cover.length; i++) {
                if (cover[i] != 1) {
                    assertEquals(1, cover[i], "pixel " + i + " of " + w + "x" + h + " tile " + tile + " halo " + halo);
                }
            }
            assertEquals(0, p.tileWidth() % stride);
            assertEquals(0, p.tileHeight() % stride);
        }
        assertThrows(IllegalArgumentException.class, () -> TilePlan.of(100, 100, 64, 32, 1, false), "tile < 2 halo + stride");
    }

    @Test
    void mirrorIsNumpyReflect() {
        int[] expected = {2, 1, 0, 1, 2, 3, 2, 1, 0, 1};
        for (int i = -2; i < 8; i++) {
            assertEquals(expected[i + 2], org.neuralj.backend.PadMode.REFLECT.sourceIndex(i, 4), "i=" + i);
        }
    }

    static Path export(Layer net, Path file, int c, int size) {
        try (CpuBackend b = new CpuBackend(1)) {
            OnnxExport.write(net, b, file, "input", "output", 1, c, size, size);
        }
        return file;
    }

    /** Three 3x3 convolutions: radius 3, stride 1. */
    static Path plainNet(Path dir) {
        try (CpuBackend b = new CpuBackend(1)) {
            Init init = new Init(b, 5);
            try (Sequential net = new Sequential(new Conv2d(init, "a", 1, 4, 3), Act.relu(), new Conv2d(init, "b", 4, 4, 3),
                    Act.relu(), new Conv2d(init, "c", 4, 2, 3))) {
                OnnxExport.write(net, b, dir.resolve("plain.onnx"), "input", "output", 1, 1, 16, 16);
            }
        }
        return dir.resolve("plain.onnx");
    }

    /** conv, max pool 2, conv, upsample 2, conv: stride 2. */
    static Path poolNet(Path dir) {
        try (CpuBackend b = new CpuBackend(1)) {
            Init init = new Init(b, 6);
            try (Sequential net = new Sequential(new Conv2d(init, "a", 1, 4, 3), Act.relu(), Pool2d.max(2), new Conv2d(init, "b", 4, 4, 3),
                    Act.relu(), Upsample.nearest(2), new Conv2d(init, "c", 4, 1, 3))) {
                OnnxExport.write(net, b, dir.resolve("pool.onnx"), "input", "output", 1, 1, 16, 16);
            }
        }
        return dir.resolve("pool.onnx");
    }

    static float[] untiled(Session s, FloatProcessor fp, NormalizationStats n) {
        String input = s.model().inputs().get(0).name();
        float[] px = ((float[]) fp.getPixels()).clone();
        for (int i = 0; i < px.length; i++) {
            px[i] = n.apply(px[i]);
        }
        Map<String, HostTensor> out = s.runOnHost(Map.of(input, new HostTensor(new int[] {1, 1, fp.getHeight(), fp.getWidth()}, px)));
        return out.values().iterator().next().data();
    }

    static float[] tiled(Session s, String input, FloatProcessor fp, NormalizationStats n, int tile, int halo, int stride, int channels,
                         boolean border) {
        float[] out = new float[channels * fp.getWidth() * fp.getHeight()];
        int plane = fp.getWidth() * fp.getHeight();
        Tiler.run(PlaneSource.of(fp, 1), n, Tiler.of(s, input), new Tiler.Options(tile, halo, stride, border), (t, o) -> {
            for (int c = 0; c < channels; c++) {
                float[] part = new float[plane];
                Tiler.into(part, fp.getWidth(), c, null).accept(t, o);
                for (int y = 0; y < t.validHeight(); y++) {
                    for (int x = 0; x < t.validWidth(); x++) {
                        int i = (t.outY() + y) * fp.getWidth() + t.outX() + x;
                        out[c * plane + i] = part[i];
                    }
                }
            }
        }, null, null);
        return out;
    }

    static FloatProcessor noise(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] px = new float[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (100 + 30 * r.nextGaussian() + 40 * Math.sin(i % w / 7.0));
        }
        return new FloatProcessor(w, h, px);
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void receptiveFieldsFromTheGraph(@TempDir Path dir) {
        assertEquals(new ReceptiveField(3, 1), ReceptiveField.of(Models.loadTileable(plainNet(dir)), 1, 64));
        ReceptiveField pool = ReceptiveField.of(Models.loadTileable(poolNet(dir)), 1, 64);
        assertEquals(2, pool.stride());
        // conv 1 + pool (1, strided) + conv 2 (one pixel at jump 2) + upsample (2) + conv 1 = 7 at most
        assertTrue(pool.radius() >= 4 && pool.radius() <= 8, pool.toString());
    }

    @Test
    void tiledEqualsUntiledForSmallConvNets(@TempDir Path dir) {
        for (Path file : List.of(plainNet(dir), poolNet(dir))) {
            Model m = Models.loadTileable(file);
            ReceptiveField rf = ReceptiveField.of(m, 1, 64);
            try (CpuBackend b = new CpuBackend(2); Session s = new Session(m, b)) {
                int channels = file.toString().contains("plain") ? 2 : 1;
                FloatProcessor fp = noise(130, 94, 3); // even sizes: the untiled run needs no stride padding
                NormalizationStats n = NormalizationStats.of(Normalization.ZSCORE, PlaneSource.of(fp, 1), fp);
                float[] ref = untiled(s, fp, n);
                for (int tile : new int[] {24, 40, 64}) {
                    double d = maxDiff(ref, tiled(s, "input", fp, n, tile, rf.radius(), rf.stride(), channels, false));
                    assertTrue(d < 1e-4, file.getFileName() + " tile " + tile + ": max difference " + d);
                }
                // a halo below the receptive field gives seams: the check is not vacuous
                if (rf.radius() > 1) {
                    double seams = maxDiff(ref, tiled(s, "input", fp, n, 24, 0, rf.stride(), channels, false));
                    assertTrue(seams > 1e-3, "halo 0 should differ, got " + seams);
                }
                // odd sizes are padded to the stride and cropped back: one big tile == many small ones
                FloatProcessor odd = noise(101, 77, 4);
                NormalizationStats no = NormalizationStats.of(Normalization.ZSCORE, PlaneSource.of(odd, 1), odd);
                float[] whole = tiled(s, "input", odd, no, 256, rf.radius(), rf.stride(), channels, false);
                float[] small = tiled(s, "input", odd, no, 32, rf.radius(), rf.stride(), channels, false);
                assertTrue(maxDiff(whole, small) < 1e-4, "odd size " + maxDiff(whole, small));
            }
        }
    }

    @Test
    void tiledEqualsUntiledForTheSharedUNet() throws Exception {
        Path dir = SharedData.require("onnx/real-models/unet2d-nuclei-broad");
        Model m = Models.loadTileable(dir.resolve("weights.onnx"));
        ReceptiveField rf = ReceptiveField.of(m, 1, 512);
        System.out.println("U-Net receptive field " + rf);
        var x = Npy.read(dir.resolve("test_input.npy"));
        FloatProcessor fp = new FloatProcessor(512, 512, x.data().clone());
        try (CpuBackend b = new CpuBackend(2); Session s = new Session(m, b)) {
            NormalizationStats n = NormalizationStats.of(Normalization.ZSCORE, PlaneSource.of(fp, 1), fp);
            float[] ref = untiled(s, fp, n);
            float[] t = tiled(s, m.inputs().get(0).name(), fp, n, 256, rf.radius(), rf.stride(), 1, false);
            double d = maxDiff(ref, t);
            System.out.println("U-Net 512x512, 256-pixel tiles, halo " + rf.halo() + ": max |tiled - untiled| = " + d);
            assertTrue(d < 1e-4, "max difference " + d);
        }
    }

    @Test
    void outOfDeviceMemoryHalvesTheTileAndRetries(@TempDir Path dir) {
        Model m = Models.loadTileable(plainNet(dir));
        try (CpuBackend b = new CpuBackend(1); Session s = new Session(m, b)) {
            Tiler.TileModel real = Tiler.of(s, "input");
            List<Integer> tried = new ArrayList<>();
            // a device that only holds 40 x 40 tiles, as CSBDeep's OOMThrowingTest injects an executor that throws
            Tiler.TileModel small = (in, c, h, w) -> {
                tried.add(w);
                if (w * h > 40 * 40) {
                    throw new DeviceOutOfMemoryException("injected: " + w + "x" + h + " does not fit");
                }
                return real.run(in, c, h, w);
            };
            FloatProcessor fp = noise(150, 150, 9);
            NormalizationStats n = NormalizationStats.of(Normalization.ZSCORE, PlaneSource.of(fp, 1), fp);
            float[] out = new float[150 * 150];
            List<String> log = new ArrayList<>();
            TilePlan done = Tiler.run(PlaneSource.of(fp, 1), n, small, new Tiler.Options(160, 3, 1, false), Tiler.into(out, 150, 0, null),
                    log::add, null);
            assertEquals(37, done.tileWidth());
            assertEquals(List.of(150, 75, 37), tried.subList(0, 3)); // 160 asked: one 150 tile, then 75, then 37
            assertEquals(2, log.size(), log.toString());
            assertTrue(log.get(0).contains("retrying with 75"), log.get(0));
            float[] ref = untiled(s, fp, n);
            float[] ch0 = java.util.Arrays.copyOf(ref, 150 * 150);
            assertTrue(maxDiff(ch0, out) < 1e-4);
            // nothing fits: the error names the smallest tile
            Tiler.TileModel none = (in, c, h, w) -> {
                throw new DeviceOutOfMemoryException("injected");
            };
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> Tiler.run(PlaneSource.of(fp, 1), n, none,
                    new Tiler.Options(64, 3, 1, false), Tiler.into(out, 150, 0, null), log::add, null));
            assertTrue(e.getMessage().contains("smallest"), e.getMessage());
        }
    }
}
